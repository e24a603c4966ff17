import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kioku, tinySeriesTraining } from '../helpers/cli.js';

/** `kioku train series` without --target forecasts a series' one numeric column, and names the columns otherwise. */

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-series-target-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function csv(name: string, header: string, row: (t: number) => string): string {
  const file = join(root, name);
  const rows = Array.from({ length: 120 }, (_, t) => {
    const day = new Date(Date.UTC(2020, 0, 1 + t)).toISOString().slice(0, 10);
    return `${day},${row(t)}`;
  });
  writeFileSync(file, `${header}\n${rows.join('\n')}\n`);
  return file;
}

/** The tiny run's arguments without its --target y. */
function withoutTarget(data: string, out: string, ...more: string[]): string[] {
  const args = tinySeriesTraining(data, out, {}, ...more);
  args.splice(args.indexOf('--target'), 2);
  return args;
}

describe('kioku train series without --target', () => {
  it('forecasts the only numeric column and records it as the target', async () => {
    const data = csv('one.csv', 'date,level', (t) => String(10 + Math.sin(t / 5)));
    const out = join(root, 'one');
    const r = await kioku(...withoutTarget(data, out));
    expect(r.code, r.stderr).toBe(0);
    const flags = JSON.parse(await readFile(join(out, 'command.json'), 'utf8')).flags;
    expect(flags.target).toBe('level');
  }, 60_000);

  it('names the numeric columns when there are several', async () => {
    const data = csv('two.csv', 'date,a,b', (t) => `${t},${2 * t}`);
    const r = await kioku(...withoutTarget(data, join(root, 'two')));
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('kioku: --target is required: name the column to forecast, one of "a", "b"');
  });

  it('asks for it with --features', async () => {
    const data = csv('three.csv', 'date,a,b', (t) => `${t},${2 * t}`);
    const r = await kioku(...withoutTarget(data, join(root, 'three'), '--features', 'a'));
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('kioku: --target is required with --features: name the column to forecast');
  });
});
