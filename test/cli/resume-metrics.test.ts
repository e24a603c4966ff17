import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCheckpoints } from '../../src/io/atomic-node.js';
import { Generator } from '../../src/tensor/random.js';
import { kioku } from '../helpers/cli.js';

/**
 * metrics.jsonl after `--resume`: whatever the interrupted run logged past the checkpoint
 * (epochs replayed now, torn lines, a finished run's test results), the resumed run's log
 * holds every epoch once, equal to the log of a run that went through.
 */

type Line = Record<string, unknown>;

async function metrics(out: string): Promise<Line[]> {
  const text = await readFile(join(out, 'metrics.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
}

/** The log without wall-clock times, which differ from run to run. */
const untimed = (lines: Line[]): Line[] => lines.map(({ seconds, ...rest }) => rest);

/** A small daily series: a weekly wave and seeded noise. */
function seriesCsv(rows: number): string {
  const g = new Generator(11);
  const lines = ['date,load'];
  for (let i = 0; i < rows; i++) {
    const date = new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10);
    lines.push(`${date},${(50 + 5 * Math.sin((2 * Math.PI * i) / 7) + g.normal()).toFixed(3)}`);
  }
  return `${lines.join('\n')}\n`;
}

let root: string;
let data: string;
const args = (out: string, epochs: number, ...more: string[]) => [
  'train',
  'series',
  '--data',
  data,
  '--target',
  'load',
  '--lookback',
  '6',
  '--hidden',
  '3',
  '--batch',
  '16',
  '--checkpoint-every',
  '4',
  '--seed',
  '5',
  '--epochs',
  String(epochs),
  '--out',
  out,
  ...more,
];
let reference: Line[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-resume-metrics-'));
  data = join(root, 'series.csv');
  await writeFile(data, seriesCsv(160));
  const r = await kioku(...args(join(root, 'reference'), 4));
  expect(r.code, r.stderr).toBe(0);
  reference = await metrics(join(root, 'reference'));
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('metrics.jsonl after --resume', () => {
  it('the reference run logs four epochs, then test results', () => {
    expect(reference.map((l) => [l.event, l.epoch ?? l.model])).toEqual([
      ['epoch', 1],
      ['epoch', 2],
      ['epoch', 3],
      ['epoch', 4],
      ['test', 'lstm'],
      ['test', 'persistence'],
      ['test', 'seasonal-naive(7)'],
      ['done', join(root, 'reference', 'model')],
    ]);
    for (const l of reference.slice(0, 4)) {
      expect(l.epochs).toBe(4);
      expect(typeof l.seconds).toBe('number');
    }
  });

  it('drops epochs logged past a mid-epoch checkpoint and a torn last line', async () => {
    const out = join(root, 'mid-epoch');
    const first = await kioku(...args(out, 2));
    expect(first.code, first.stderr).toBe(0);
    // The crash came inside epoch 2: its end-of-epoch checkpoint never reached the disk, but the
    // log had epoch 2 (and more) already, and a line was cut in half.
    const all = await listCheckpoints(join(out, 'checkpoints'));
    expect(all.length).toBe(2);
    await rm(all[1]!, { recursive: true });
    await appendFile(join(out, 'metrics.jsonl'), '{"event":"epoch","model":"lstm","epoch":3,"lo');
    const before = await metrics(out).catch(() => null);
    expect(before).toBeNull();

    const second = await kioku(...args(out, 4, '--resume'));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/resuming from .*\(epoch 1 done, batch 4 of epoch 2\)/);
    const log = await metrics(out);
    const rewritten = log.map((l) => (l.event === 'done' ? { ...l, model: '' } : l));
    const want = reference.map((l) => (l.event === 'done' ? { ...l, model: '' } : l));
    expect(untimed(rewritten)).toEqual(untimed(want));
    // Epoch 1 is the line the first run wrote, its time kept and its total brought up to date.
    expect(typeof log[0]!.seconds).toBe('number');
    const bytes = (dir: string) => readFile(join(dir, 'model', 'model.safetensors'));
    expect(Buffer.compare(await bytes(out), await bytes(join(root, 'reference')))).toBe(0);
  }, 60_000);

  it('rebuilds from the checkpoint an epoch whose line the crash lost', async () => {
    const out = join(root, 'lost-line');
    const first = await kioku(...args(out, 2));
    expect(first.code, first.stderr).toBe(0);
    // The crash came after epoch 2's checkpoint, before its line: only epoch 1 was logged.
    const lines = await metrics(out);
    await writeFile(join(out, 'metrics.jsonl'), `${JSON.stringify(lines[0])}\n`);

    const second = await kioku(...args(out, 4, '--resume'));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/\(epoch 2 done\)/);
    const log = await metrics(out);
    expect(log.map((l) => [l.event, l.epoch])).toEqual(reference.map((l) => [l.event, l.epoch]));
    expect(untimed(log.slice(0, 7))).toEqual(untimed(reference.slice(0, 7)));
    expect(log[1]!.seconds).toBeNull();
    // JSON writes the same numbers as the reference, digit for digit.
    expect(JSON.stringify(untimed([log[1]!]))).toBe(JSON.stringify(untimed([reference[1]!])));
  }, 60_000);

  it('leaves the log alone when --resume is refused', async () => {
    const out = join(root, 'mid-epoch');
    const before = await readFile(join(out, 'metrics.jsonl'), 'utf8');
    const r = await kioku(...args(out, 4, '--resume', '--lr', '0.5'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the checkpoint was trained with --lr/);
    expect(await readFile(join(out, 'metrics.jsonl'), 'utf8')).toBe(before);
  }, 60_000);
});

describe('a fresh run into an --out with checkpoints', () => {
  const runOf = async (dir: string) => {
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { run: { lr: number } };
    return config.run.lr;
  };

  it("replaces a finished run's checkpoints with its own", async () => {
    const out = join(root, 'rerun');
    const first = await kioku(...args(out, 3));
    expect(first.code, first.stderr).toBe(0);
    expect((await listCheckpoints(join(out, 'checkpoints'))).map((p) => p.split('-').at(-1))).toEqual([
      '18',
      '21',
    ]);
    // Fewer steps than the first run: its checkpoints would have outranked these.
    const second = await kioku(...args(out, 2, '--lr', '0.01'));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(
      `starting afresh: removed the 2 checkpoint(s) of the finished run in ${join(out, 'checkpoints')}`,
    );
    const all = await listCheckpoints(join(out, 'checkpoints'));
    expect(all.map((p) => p.split('-').at(-1))).toEqual(['11', '14']);
    for (const dir of all) expect(await runOf(dir)).toBe(0.01);
    expect((await metrics(out)).filter((l) => l.event === 'epoch').map((l) => l.epoch)).toEqual([1, 2]);
  }, 60_000);

  it("refuses to start over an unfinished run's checkpoints, and keeps its log", async () => {
    const out = join(root, 'unfinished');
    const first = await kioku(...args(out, 2));
    expect(first.code, first.stderr).toBe(0);
    // Killed before the model was saved.
    await rm(join(out, 'model'), { recursive: true });
    const log = await readFile(join(out, 'metrics.jsonl'), 'utf8');
    const before = await listCheckpoints(join(out, 'checkpoints'));
    const r = await kioku(...args(out, 2));
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      `kioku: --out ${out}: ${before.at(-1)} holds an unfinished run (no model saved after it); pass --resume to continue it, or delete "${join(out, 'checkpoints')}" (or choose another --out) to start afresh`,
    );
    expect(await listCheckpoints(join(out, 'checkpoints'))).toEqual(before);
    expect(await readFile(join(out, 'metrics.jsonl'), 'utf8')).toBe(log);
    const resumed = await kioku(...args(out, 2, '--resume'));
    expect(resumed.code, resumed.stderr).toBe(0);
  }, 60_000);
});
