import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTextModel } from '../../src/cli/models.js';
import { seattleWeather } from '../../src/io/datasets/builtin.js';
import type { TextClassifier } from '../../src/nn/heads.js';
import { mul } from '../../src/ops/binary.js';
import { sum } from '../../src/ops/reduce.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { addingGradientFlow } from '../../src/train/inspect/adding.js';
import { traceRecurrent } from '../../src/train/inspect/trace.js';
import { kioku } from '../helpers/cli.js';

let root: string;
let model: string;
const TEXT = 'FREE money!!! Click here to claim your prize now, limited offer';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-inspect-'));
  const out = join(root, 'spam');
  const flags = ['--limit', '200', '--epochs', '1', '--max-len', '24', '--embed', '8', '--hidden', '8'];
  const r = await kioku(
    'train',
    'text',
    '--data',
    'spam-assassin',
    ...flags,
    '--vocab-size',
    '300',
    '--out',
    out,
    '-q',
  );
  expect(r.code).toBe(0);
  model = join(out, 'model');
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('kioku inspect --model --text', () => {
  it('writes every gate, cell and hidden state of both directions as the library traces them, and draws the charts', async () => {
    const charts = join(root, 'charts');
    const r = await kioku(
      'inspect',
      '--model',
      model,
      '--text',
      TEXT,
      '--out',
      charts,
      '--top',
      '4',
      '--json',
    );
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout);
    const opened = await loadTextModel(model);
    const m = opened.model as TextClassifier;
    const ids = new Tensor(
      Int32Array.from(got.tokens, (t: string) =>
        (opened.config as { vocab: { tokens: string[] } }).vocab.tokens.indexOf(t),
      ),
      [1, got.tokens.length],
    );
    const trace = traceRecurrent(m.rnn, m.embedding.forward(ids));
    expect(got.kind).toBe('LSTM');
    expect(got.layers.map((l: { direction: string }) => l.direction)).toEqual(['forward', 'reverse']);
    const T = got.tokens.length;
    for (const [d, layer] of got.layers.entries()) {
      const want = trace.layers[0]![d]!;
      for (const g of ['i', 'f', 'g', 'o']) {
        expect(layer.gates[g].length).toBe(T);
        expect(layer.gates[g].flat()).toEqual(
          Array.from(want.gates[g as 'i']!.f32, (v) => expect.closeTo(v, 4)),
        );
      }
      expect(layer.cell.flat()).toEqual(Array.from(want.cell!.f32, (v) => expect.closeTo(v, 4)));
    }
    expect(got.units).toHaveLength(4);
    for (const name of ['gates', 'state', 'saliency']) {
      for (const ext of ['svg', 'png']) expect(existsSync(join(charts, `${name}.${ext}`))).toBe(true);
    }
    const p = await kioku('predict', '--model', model, '--text', TEXT, '--json');
    expect(JSON.parse(p.stdout).label).toBe(got.label);
  });

  it("gives each token's gradient × input of the logit margin as the embedding weights' gradient does for a token seen once", async () => {
    expect(await checkGradientTimesInput(model)).toBeGreaterThan(3);
  });

  it("adds a bag-of-words path's share of the margin to each token's saliency", async () => {
    const bagModel = join(root, 'bag');
    const flags = ['--limit', '200', '--epochs', '1', '--max-len', '24', '--embed', '8', '--hidden', '8'];
    const args = ['--vocab-size', '300', '--bag-of-words', '--out', bagModel, '-q'];
    expect((await kioku('train', 'text', '--data', 'spam-assassin', ...flags, ...args)).code).toBe(0);
    expect(await checkGradientTimesInput(join(bagModel, 'model'))).toBeGreaterThan(3);
  }, 60_000);

  it('draws every layer and direction asked for, each with its own most active units', async () => {
    const charts = join(root, 'both');
    const args = ['inspect', '--model', model, '--text', TEXT, '--top', '3', '--saliency-steps', '1'];
    const r = await kioku(...args, '--layer', 'all', '--direction', 'both', '--out', charts, '--json');
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout);
    const opened = await loadTextModel(model);
    const m = opened.model as TextClassifier;
    const vocab = (opened.config as { vocab: { tokens: string[] } }).vocab.tokens;
    const ids = new Tensor(
      Int32Array.from(got.tokens, (t: string) => vocab.indexOf(t)),
      [1, got.tokens.length],
    );
    const trace = traceRecurrent(m.rnn, m.embedding.forward(ids));
    // The three units whose hidden state spreads most over the tokens, per direction.
    const spreads = (d: number) => {
      const h = trace.layers[0]![d]!.hidden;
      const [K, , H] = h.shape as [number, number, number];
      const std = Array.from({ length: H }, (_, u) => {
        const v = Array.from({ length: K }, (_, k) => h.f32[k * H + u]!);
        const mean = v.reduce((a, b) => a + b, 0) / K;
        return Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / K);
      });
      return std
        .map((s, u) => [s, u])
        .sort((a, b) => b[0]! - a[0]!)
        .slice(0, 3)
        .map(([, u]) => u);
    };
    expect(got.drawn).toEqual([
      { layer: 0, direction: 'forward', units: spreads(0) },
      { layer: 0, direction: 'reverse', units: spreads(1) },
    ]);
    for (const name of ['gates', 'state']) {
      for (const dir of ['forward', 'reverse'])
        expect(existsSync(join(charts, `${name}-layer0-${dir}.svg`))).toBe(true);
      expect(existsSync(join(charts, `${name}.svg`))).toBe(false);
    }
    expect(existsSync(join(charts, 'saliency.svg'))).toBe(true);
    const reverse = await kioku(...args, '--direction', 'reverse', '--json');
    expect(JSON.parse(reverse.stdout).drawn).toEqual([{ layer: 0, direction: 'reverse', units: spreads(1) }]);
    const bad = await kioku(...args, '--layer', '1');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /layer must be 'top', 'all' or an integer in \[0, 0\] \(the model has 1 layer\), got 1/,
    );
    const word = await kioku(...args, '--layer', 'first');
    expect(word.code).toBe(2);
    expect(word.stderr).toMatch(/--layer must be top, all or a layer index ≥ 0, got "first"/);
  });

  it('says what is missing without --text', async () => {
    const r = await kioku('inspect', '--model', model);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give --model and --text, --model, --data and --row, or --gradient-flow/);
    const bad = await kioku('inspect', '--gradient-flow', '--length', '1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--length must be an integer ≥ 2, got "1"/);
  });
});

describe('kioku inspect --model --data --row (a forecaster)', () => {
  it("predicts what forecast does from the window ending at the row, and attributes it to the window's steps", async () => {
    const out = join(root, 'seattle');
    const flags = [
      '--target',
      'temp_max',
      '--lookback',
      '7',
      '--hidden',
      '4',
      '--epochs',
      '1',
      '--out',
      out,
      '-q',
    ];
    expect((await kioku('train', 'series', '--data', 'seattle-weather', ...flags)).code).toBe(0);
    const last = (await seattleWeather()).length - 1;
    const m = join(out, 'model');
    const r = await kioku(
      'inspect',
      '--model',
      m,
      '--data',
      'seattle-weather',
      '--row',
      String(last),
      '--json',
    );
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout);
    const f = await kioku('forecast', '--model', m, '--data', 'seattle-weather', '--steps', '1', '--json');
    expect(got.prediction).toBeCloseTo(JSON.parse(f.stdout).temp_max, 3);
    expect(got.steps).toEqual((await seattleWeather()).index!.slice(last - 6, last + 1));
    expect(got.saliency).toHaveLength(7);
    expect(got.layers[0].gates.f).toHaveLength(7);
    const early = await kioku('inspect', '--model', m, '--data', 'seattle-weather', '--row', '5');
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(
      /row must be an integer in \[6, \d+\] \(the model reads 7 rows ending at it\), got 5/,
    );
  }, 60_000);
});

describe('kioku inspect --gradient-flow', () => {
  it('prints, per cell, the norms the library measures', async () => {
    const r = await kioku(
      'inspect',
      '--gradient-flow',
      '--steps',
      '5',
      '--length',
      '12',
      '--hidden',
      '4',
      '--json',
    );
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const want = addingGradientFlow(['rnn', 'lstm', 'gru'], { steps: 5, T: 12, hiddenSize: 4, seed: 1 });
    expect(lines.map((l) => l.cell)).toEqual(['rnn', 'lstm', 'gru']);
    for (const [k, line] of lines.entries()) {
      expect(line.input).toHaveLength(12);
      expect(line.input).toEqual(Array.from(want[k]!.input, (v) => expect.closeTo(v, 3)));
    }
  });
});

/**
 * Checks `kioku inspect --saliency-steps 1` against the weights' own gradients: for a token seen
 * once, gradient × input over its embedding row (and its bag-of-words row, when the model has
 * one) is that token's saliency. Returns how many tokens were checked.
 */
async function checkGradientTimesInput(dir: string): Promise<number> {
  const r = await kioku('inspect', '--model', dir, '--text', TEXT, '--saliency-steps', '1', '--json');
  const got = JSON.parse(r.stdout);
  const opened = await loadTextModel(dir);
  const m = opened.model as TextClassifier;
  m.eval();
  const vocab = (opened.config as { vocab: { tokens: string[] } }).vocab.tokens;
  const ids = Int32Array.from(got.tokens, (t: string) => vocab.indexOf(t));
  const logits = m.forward(new Tensor(ids, [1, ids.length]), Int32Array.of(ids.length));
  const best = Object.keys(got.probabilities).indexOf(got.label);
  const k = Object.keys(got.probabilities).length;
  const margin = Float32Array.from({ length: k }, (_, j) => (j === best ? 1 : -1 / (k - 1)));
  sum(mul(logits, new Tensor(margin, [1, k]))).backward();
  const tables = [m.embedding.weight, ...(m.bag ? [m.bag.weight] : [])];
  let checked = 0;
  ids.forEach((id, t) => {
    if (ids.indexOf(id) !== ids.lastIndexOf(id)) return;
    let s = 0;
    for (const w of tables) {
      const E = w.shape[1]!;
      for (let e = 0; e < E; e++) s += w.grad!.f32[id * E + e]! * w.f32[id * E + e]!;
    }
    expect(got.saliency[t]).toBeCloseTo(s, 4);
    checked++;
  });
  return checked;
}
