import { watch } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readableDir } from '../../src/io/atomic-node.js';
import { Generator } from '../../src/tensor/random.js';
import { kioku, tinyTextTraining } from '../helpers/cli.js';
import { removeBundle, startKioku } from './cli-process.js';

/**
 * `kioku export` killed with SIGKILL while it replaces an earlier export: the directory holds
 * the old model.onnx and config.json or the new ones, never a new model beside an old config.
 * Kills land the moment model.onnx changes in the directory, and at seeded random moments.
 */

let root: string;
const files = ['model.onnx', 'config.json'] as const;
type ExportSet = Record<(typeof files)[number], Buffer>;
const sets: Record<'a' | 'b', ExportSet> = {} as never;

async function readSet(dir: string): Promise<ExportSet> {
  const [onnx, config] = await Promise.all(files.map((f) => readFile(join(dir, f))));
  return { 'model.onnx': onnx!, 'config.json': config! };
}

const exportArgs = (model: string, out: string) => [
  'export',
  '--model',
  join(root, model, 'model'),
  '--format',
  'onnx',
  '--out',
  out,
];

async function train(name: string, hidden: number): Promise<void> {
  const r = await kioku(...tinyTextTraining(join(root, 'mail.csv'), join(root, name), { hidden }));
  expect(r.code, r.stderr).toBe(0);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-export-kill-'));
  const rows = Array.from({ length: 60 }, (_, i) =>
    i % 2 ? `win a free prize now ${i},spam` : `meeting notes for monday ${i},ham`,
  );
  await writeFile(join(root, 'mail.csv'), `text,label\n${rows.join('\n')}\n`);
  await train('a', 4);
  await train('b', 6);
  for (const m of ['a', 'b'] as const) {
    const r = await kioku(...exportArgs(m, join(root, `clean-${m}`)));
    expect(r.code, r.stderr).toBe(0);
    sets[m] = await readSet(join(root, `clean-${m}`));
  }
  expect(Buffer.compare(sets.a['config.json'], sets.b['config.json'])).not.toBe(0);
}, 120_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await removeBundle();
});

/** Which export the directory holds: 'a', 'b', or 'mixed'. */
async function holds(out: string): Promise<string> {
  const dir = await readableDir(out);
  expect(dir, `${out} and its committed replacement are both missing`).not.toBeNull();
  const got = await readSet(dir!);
  for (const m of ['a', 'b'] as const) {
    if (files.every((f) => Buffer.compare(got[f], sets[m][f]) === 0)) return m;
  }
  return 'mixed';
}

describe('kioku export under SIGKILL', () => {
  it('leaves the old export or the new one, whole', async () => {
    const out = join(root, 'out');
    const rng = new Generator(11);
    const seen: string[] = [];
    for (let round = 0; round < 12; round++) {
      const restore = await kioku(...exportArgs('a', out));
      expect(restore.code, restore.stderr).toBe(0);
      expect(await holds(out)).toBe('a');
      const run = await startKioku(exportArgs('b', out));
      // Even rounds: kill the moment model.onnx changes in the directory; odd rounds: at a seeded moment.
      const watcher =
        round % 2 === 0
          ? watch(out, (_event, name) => {
              if (name === 'model.onnx') run.child.kill('SIGKILL');
            })
          : null;
      const timer = watcher ? null : setTimeout(() => run.child.kill('SIGKILL'), rng.random() * 600);
      const exit = await run.done;
      watcher?.close();
      if (timer) clearTimeout(timer);
      expect(exit.code === 0 || exit.signal === 'SIGKILL', exit.stderr).toBe(true);
      seen.push(await holds(out));
    }
    expect(seen).not.toContain('mixed');
    // The next export completes what a kill interrupted.
    const last = await kioku(...exportArgs('b', out));
    expect(last.code, last.stderr).toBe(0);
    expect(await holds(out)).toBe('b');
  }, 180_000);
});
