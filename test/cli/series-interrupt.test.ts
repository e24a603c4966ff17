import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/program.js';
import { loadModelDir } from '../../src/io/model-dir-node.js';
import { kioku } from '../helpers/cli.js';

/**
 * Ctrl-C during `kioku train series` (the signal the CLI's SIGINT handler aborts): one line on
 * stderr, training stops after the current batch, the best model so far is saved with
 * `"interrupted": true` in its training state and scored beside the baselines as usual, the exit
 * code is 130, and `kioku resume <out>` continues the run to its end.
 */

let root: string;
let data: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-interrupt-'));
  data = join(root, 'load.csv');
  const lines = ['date,load'];
  for (let i = 0; i < 400; i++) {
    const date = new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10);
    lines.push(`${date},${(50 + 5 * Math.sin((2 * Math.PI * i) / 7) + Math.sin(i * 12.9898)).toFixed(3)}`);
  }
  await writeFile(data, `${lines.join('\n')}\n`);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** `kioku argv…` in-process, its signal aborted (as by Ctrl-C) once stderr shows `when`. */
async function interruptedRun(argv: string[], when: RegExp) {
  const controller = new AbortController();
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: {
      write: (s: string) => {
        stderr += s;
        if (when.test(stderr) && !controller.signal.aborted) controller.abort();
      },
      isTTY: false,
    },
    signal: controller.signal,
  });
  return { code, stdout, stderr };
}

describe('Ctrl-C during kioku train series', () => {
  const out = () => join(root, 'run');
  const argv = () =>
    ['train', 'series', '--data', data, '--target', 'load', '--lookback', '14', '--hidden', '8'].concat([
      '--epochs',
      '6',
      '--patience',
      '0',
      '--batch',
      '16',
      '--out',
      out(),
    ]);

  it('stops after the batch, saves the best model as interrupted, reports the baselines and exits 130', async () => {
    const r = await interruptedRun(argv(), /epoch 2\/6/);
    expect(r.code, r.stderr).toBe(130);
    const notices = r.stderr.split('\n').filter((l) => l.includes('interrupted'));
    expect(notices).toEqual([
      `kioku: interrupted: stopping after the current batch, then saving the best model and reporting (Ctrl-C again quits); kioku resume ${out()} continues the run`,
    ]);
    expect(r.stdout).toMatch(/Training was interrupted after 2 epochs;/);
    expect(r.stdout).toMatch(/^naive +\d/m);
    expect(r.stdout).toMatch(/^seasonal naive \(m=7\) +\d/m);
    const saved = await loadModelDir(join(out(), 'model'));
    expect(saved.trainingState?.state).toMatchObject({ interrupted: true, stopReason: 'aborted', epochs: 2 });
  }, 60_000);

  it('kioku resume continues the run with its recorded flags to the last epoch', async () => {
    const r = await kioku('resume', out());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/resuming from /);
    expect(r.stdout).toMatch(/Training ran all its 6 epochs;/);
    const history = JSON.parse(await readFile(join(out(), 'history.json'), 'utf8')) as {
      lstm: { loss: number[] };
    };
    expect(history.lstm.loss).toHaveLength(6);
    expect((await loadModelDir(join(out(), 'model'))).trainingState).toBeUndefined();
  }, 60_000);
});
