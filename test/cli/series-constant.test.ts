import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kioku } from '../helpers/cli.js';

/**
 * A target that never changes in the training split: MASE (and OWA) cannot be scaled. The run
 * still saves its model, shows those metrics as "—" with the reason once, judges on MAE, and
 * exits 0; a rerun into the same --out is not blocked by leftover checkpoints.
 */

let root: string;
let data: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-constant-'));
  data = join(root, 'flat.csv');
  const lines = ['date,y'];
  for (let i = 0; i < 200; i++) {
    const date = new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10);
    lines.push(`${date},${i < 150 ? 5 : 5 + (i % 3)}`);
  }
  await writeFile(data, `${lines.join('\n')}\n`);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('kioku train series on a target constant in training', () => {
  it('saves the model, reports MASE as undefined with its reason and judges on MAE', async () => {
    const out = join(root, 'run');
    const argv = ['train', 'series', '--data', data, '--target', 'y', '--epochs', '2', '--out', out];
    const r = await kioku(...argv);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(out, 'model', 'model.safetensors'))).toBe(true);
    const reason =
      "the training series never changes at lag 7, so MASE's scale (the in-sample seasonal-naive MAE) is 0";
    const notes = r.stdout.split('\n').filter((l) => l.startsWith('note: '));
    expect(notes).toEqual([
      `note: every model: MASE undefined: ${reason}`,
      `note: every model: OWA undefined: MASE is undefined: ${reason}`,
    ]);
    expect(r.stdout).toMatch(/^Verdict: the network .* on MAE\.$/m);
    const again = await kioku(...argv);
    expect(again.code, again.stderr).toBe(0);
  }, 60_000);
});
