import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/browser/open-model.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { predictText } from '../../src/train/recipes/text-model.js';
import { kioku } from '../helpers/cli.js';
import { expectClose } from './helpers.js';
import { encoderOf, loadTextClassifier, scoreText, textSplit } from './project-check.js';

/**
 * The exported project's round trip without Python: fixtures/pytorch-project/roundtrip/model was
 * trained by the project's train.py (scripts/fixtures_pytorch_roundtrip.ts), beside what PyTorch
 * computed with it. kioku must open it and compute the same.
 */
const dir = new URL('../../fixtures/pytorch-project/roundtrip/', import.meta.url).pathname;
const modelDir = join(dir, 'model');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
  metrics: { accuracy: number; loss: number };
  test: Array<{ text: string; label: string; ids: number[]; logits: number[] }>;
};

describe('a model trained by the exported project in PyTorch, opened in kioku', () => {
  it("was trained by PyTorch and splits the data as kioku's test split does", async () => {
    const { config } = await loadTextClassifier(modelDir);
    expect((config as { training?: { engine?: string } }).training?.engine).toMatch(/^pytorch 1\.13/);
    const split = await textSplit(join(dir, 'reviews.csv'), { seed: 0 });
    expect(split.test.map((e) => e.text)).toEqual(expected.test.map((e) => e.text));
    expect(split.test.map((e) => split.classes[e.label])).toEqual(expected.test.map((e) => e.label));
  });

  it("encodes each text to data.py's ids and computes model.py's logits", async () => {
    const { model, config } = await loadTextClassifier(modelDir);
    const encode = encoderOf(config);
    for (const [i, e] of expected.test.entries()) {
      const ids = encode(e.text);
      expect(Array.from(ids), e.text).toEqual(e.ids);
      const logits = noGrad(() => model.forward(new Tensor(ids, [1, ids.length]), Int32Array.of(ids.length)));
      expectClose(logits.f32, e.logits, 1e-5, `logits of test text ${i}`);
    }
  });

  it("scores train.py's test accuracy and loss; predictText and kioku info read it", async () => {
    const { model, config } = await loadTextClassifier(modelDir);
    const encode = encoderOf(config);
    const split = await textSplit(join(dir, 'reviews.csv'), { seed: 0 });
    const score = scoreText(
      model,
      split.test.map((e) => encode(e.text)),
      split.test.map((e) => e.label),
    );
    expect(score.accuracy).toBe(expected.metrics.accuracy);
    expect(score.loss).toBeCloseTo(expected.metrics.loss, 5);

    const files = Object.fromEntries(
      ['config.json', 'model.safetensors'].map((f) => [f, new Uint8Array(readFileSync(join(modelDir, f)))]),
    );
    const predictions = predictText(
      openModel(files),
      expected.test.map((e) => e.text),
    );
    predictions.forEach((p, i) => {
      const [a, b] = expected.test[i]!.logits as [number, number];
      expect(p.probabilities.pos!).toBeCloseTo(1 / (1 + Math.exp(a - b)), 5);
    });
    const info = await kioku('info', '--model', modelDir, '--json');
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ task: 'classification', labels: ['neg', 'pos'] });
  });
});
