import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { LanguageModel } from '../../src/nn/language-model.js';
import { SGD } from '../../src/optim/sgd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { evaluateLanguageModel } from '../../src/train/lm/evaluate.js';
import { trainLanguageModel } from '../../src/train/lm/train.js';
import { describeEachBackend } from '../helpers/backends.js';
import { expectClose } from '../nn/fixture.js';

// Written by scripts/fixtures_lm.py: PyTorch's word_language_model loop on a random stream.
interface LmCase {
  cell: 'lstm' | 'gru';
  embedDim: number;
  hiddenSize: number;
  numLayers: number;
  tieWeights: boolean;
  train: number[];
  val: number[];
  initial: Record<string, number[]>;
  losses: number[];
  final: Record<string, number[]>;
  valNats: number;
  valTokens: number;
}
interface LmFixture {
  vocabSize: number;
  batch: number;
  bptt: number;
  evalBatch: number;
  lr: number;
  clip: number;
  cases: LmCase[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/text/lm.json', import.meta.url), 'utf8'),
) as LmFixture;

function modelOf(c: LmCase): LanguageModel {
  const model = new LanguageModel({
    vocabSize: fixture.vocabSize,
    embedDim: c.embedDim,
    hiddenSize: c.hiddenSize,
    numLayers: c.numLayers,
    cell: c.cell,
    tieWeights: c.tieWeights,
  });
  const own = model.stateDict();
  model.loadStateDict(
    Object.fromEntries(
      Object.entries(c.initial).map(([k, v]) => [k, new Tensor(Float32Array.from(v), own[k]!.shape)]),
    ),
  );
  return model;
}

describeEachBackend('LanguageModel and trainLanguageModel match PyTorch word_language_model', () => {
  for (const c of fixture.cases) {
    const name = `${c.cell}, ${c.numLayers} layer(s), ${c.tieWeights ? 'tied' : 'untied'}`;
    it(`one epoch of truncated BPTT with clipping and SGD (${name})`, async () => {
      const model = modelOf(c);
      expect(Object.keys(model.stateDict()).sort()).toEqual(Object.keys(c.initial).sort());
      const losses: number[] = [];
      const result = await trainLanguageModel(model, {
        train: Int32Array.from(c.train),
        batchSize: fixture.batch,
        bptt: fixture.bptt,
        epochs: 1,
        optimizer: new SGD(model.parameters(), { lr: fixture.lr }),
        clipGradNorm: fixture.clip,
        onEvent: (e) => {
          if (e.type === 'step') losses.push(e.loss);
        },
      });
      expect(result.steps).toBe(c.losses.length);
      expectClose(losses, c.losses, 1e-5, 1e-6, 'losses');
      const state = model.stateDict();
      for (const [k, v] of Object.entries(c.final)) expectClose(state[k]!.f32, v, 1e-4, 2e-6, k);
      const score = await evaluateLanguageModel(model, Int32Array.from(c.val), {
        batch: fixture.evalBatch,
        bptt: fixture.bptt,
      });
      expect(score.tokens).toBe(c.valTokens);
      expect(score.nats).toBeCloseTo(c.valNats, 5);
      expect(score.bits).toBeCloseTo(c.valNats / Math.LN2, 5);
    });
  }
});
