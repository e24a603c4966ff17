import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kioku, tinySeriesTraining } from '../helpers/cli.js';

/** `kioku export` refuses to write into the model directory it exports. */

let root: string;
let model: string;
/** The model directory's files and their bytes before any export. */
let before: Map<string, Buffer>;

async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const names = (await readdir(dir)).sort();
  return new Map(await Promise.all(names.map(async (n) => [n, await readFile(join(dir, n))] as const)));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-export-guard-'));
  const lines = ['date,y'];
  for (let r = 0; r < 40; r++)
    lines.push(`${new Date(Date.UTC(2020, 0, 1 + r)).toISOString().slice(0, 10)},${r % 5}`);
  await writeFile(join(root, 's.csv'), `${lines.join('\n')}\n`);
  const r = await kioku(...tinySeriesTraining(join(root, 's.csv'), join(root, 'run'), { lookback: 3 }));
  expect(r.code).toBe(0);
  model = join(root, 'run', 'model');
  before = await snapshot(model);
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('kioku export --out <the model directory>', () => {
  it.each(['pytorch', 'onnx', 'tfjs'])(
    '%s: refused with exit 1 naming both paths, the model untouched',
    async (format) => {
      const r = await kioku('export', '--model', model, '--format', format, '--out', model);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `kioku: --out "${model}" is the model directory "${model}"; exporting there would overwrite the saved model, choose another --out\n`,
      );
      expect(await snapshot(model)).toEqual(before);
    },
  );

  it('sees through a relative path, a trailing slash and a symbolic link', async () => {
    const link = join(root, 'link');
    await symlink(model, link);
    for (const out of [relative(process.cwd(), model), `${model}/`, link, join(root, 'run', '.', 'model')]) {
      const r = await kioku('export', '--model', model, '--format', 'pytorch', '--out', out);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `kioku: --out "${out}" is the model directory "${model}"; exporting there would overwrite the saved model, choose another --out\n`,
      );
    }
    expect(await snapshot(model)).toEqual(before);
  });

  it('still exports into a directory beside the model', async () => {
    const out = join(root, 'run', 'pytorch');
    const r = await kioku('export', '--model', model, '--format', 'pytorch', '--out', out, '--json');
    expect(r.code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['config.json', 'model.py', 'model.safetensors']);
    expect(await readFile(join(out, 'config.json'))).toEqual(before.get('config.json'));
    expect(await snapshot(model)).toEqual(before);
  });
});
