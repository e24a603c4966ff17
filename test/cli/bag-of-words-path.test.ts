import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, kioku } from '../helpers/cli.js';

/** `kioku train text --bag-of-words`: the path is saved, and predict, eval, info and export read it. */

let root: string;
let model: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-bag-'));
  const out = join(root, 'spam');
  model = join(out, 'model');
  const tiny = ['--limit', '200', '--epochs', '2', '--max-len', '24', '--embed', '8', '--hidden', '8'];
  const r = await kioku(
    'train',
    'text',
    '--data',
    'spam-assassin',
    ...tiny,
    '--vocab-size',
    '2000',
    '--bag-of-words',
    '--no-baselines',
    '--out',
    out,
    '--json',
  );
  expect(r.code).toBe(0);
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('kioku train text --bag-of-words', () => {
  it('saves the path in the architecture and its weights beside the network', async () => {
    const config = JSON.parse(await readFile(join(model, 'config.json'), 'utf8'));
    expect(config.architecture.bagOfWords).toBe(true);
    const info = jsonLines((await kioku('info', '--model', model, '--json')).stdout)[0]!;
    const weights = info.weights as Array<{ name: string; shape: number[] }>;
    expect(weights.find((w) => w.name === 'bag.weight')?.shape).toEqual([2000, 2]);
  });

  it('predicts and evaluates with it', async () => {
    const p = await kioku('predict', '--model', model, '--text', 'FREE money, click now to win', '--json');
    expect(p.code).toBe(0);
    const row = jsonLines(p.stdout)[0]!;
    const probs = row.probabilities as Record<string, number>;
    expect(probs.ham! + probs.spam!).toBeCloseTo(1, 5);
    const ev = await kioku('eval', '--model', model, '--data', 'spam-assassin', '--limit', '50', '--json');
    expect(ev.code).toBe(0);
    expect(jsonLines(ev.stdout).map((x) => x.model)).toEqual(['model', 'majority']);
  });

  it('exports to ONNX and PyTorch, and refuses TF.js by name', async () => {
    for (const format of ['onnx', 'pytorch']) {
      const r = await kioku('export', '--model', model, '--format', format, '--out', join(root, format));
      expect(r.code, r.stderr).toBe(0);
    }
    const py = await readFile(join(root, 'pytorch', 'model.py'), 'utf8');
    expect(py).toContain('self.bag = nn.Embedding(2000, 2, padding_idx=0)');
    const tfjs = await kioku('export', '--model', model, '--format', 'tfjs', '--out', join(root, 'tfjs'));
    expect(tfjs.code).not.toBe(0);
    expect(tfjs.stderr).toMatch(/bag-of-words path has no TF\.js layers equivalent/);
  });
});
