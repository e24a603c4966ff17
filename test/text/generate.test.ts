import { describe, expect, it } from 'vitest';
import { CharTokenizer, WordTokenizer } from '../../src/data/tokenizers.js';
import { Vocab } from '../../src/data/vocab.js';
import { LanguageModel } from '../../src/nn/language-model.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Generator, manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { generateText, generateTokens } from '../../src/train/lm/generate.js';
import { checkSampling, sampleLogits } from '../../src/train/lm/sampling.js';

const LOGITS = [0.5, 2, -1, 1.2, 0];

function softmax(xs: number[], t = 1): number[] {
  const e = xs.map((x) => Math.exp(x / t));
  const s = e.reduce((p, q) => p + q, 0);
  return e.map((v) => v / s);
}

function frequencies(options: Parameters<typeof checkSampling>[1], draws = 40000): number[] {
  const g = new Generator(11);
  const o = checkSampling('test', options);
  const counts = new Array(LOGITS.length).fill(0);
  for (let i = 0; i < draws; i++) counts[sampleLogits(LOGITS, o, g)]++;
  return counts.map((c) => c / draws);
}

function expectNear(actual: number[], expected: number[], tol: number): void {
  expected.forEach((e, i) => {
    expect(Math.abs(actual[i]! - e), `token ${i}`).toBeLessThan(tol);
  });
}

describe('sampleLogits', () => {
  it('draws with the softmax probabilities at temperature 1 and 0.5', () => {
    expectNear(frequencies({}), softmax(LOGITS), 0.01);
    expectNear(frequencies({ temperature: 0.5 }), softmax(LOGITS, 0.5), 0.01);
  });

  it('takes the most likely allowed token at temperature 0', () => {
    const o = checkSampling('test', { temperature: 0, exclude: [1] });
    expect(sampleLogits(LOGITS, o, new Generator(0))).toBe(3);
  });

  it('top-k keeps the k most likely tokens, renormalised', () => {
    // Tokens 1 (2.0) and 3 (1.2) only.
    const p = softmax([2, 1.2]);
    expectNear(frequencies({ topK: 2 }), [0, p[0]!, 0, p[1]!, 0], 0.01);
  });

  it('top-p keeps the smallest set of most likely tokens whose mass reaches p', () => {
    const p = softmax(LOGITS); // most likely first: 1 (0.54), 3 (0.24), 0 (0.12), 4 (0.07), 2 (0.03)
    const two = p[1]! + p[3]!; // 0.78
    expectNear(frequencies({ topP: 0.75 }), [0, p[1]! / two, 0, p[3]! / two, 0], 0.01);
    const three = two + p[0]!; // 0.90
    expectNear(frequencies({ topP: 0.85 }), [p[0]! / three, p[1]! / three, 0, p[3]! / three, 0], 0.01);
    expectNear(frequencies({ topP: 0.85, topK: 2 }), [0, p[1]! / two, 0, p[3]! / two, 0], 0.01);
  });

  it('never draws an excluded token', () => {
    expect(frequencies({ exclude: [1, 3] }, 5000)[1]).toBe(0);
    expect(() => sampleLogits([1, 2], checkSampling('t', { exclude: [0, 1] }), new Generator(0))).toThrow(
      /every token is excluded/,
    );
  });

  it('validates its options', () => {
    expect(() => checkSampling('g', { temperature: -1 })).toThrow(/temperature must be a finite number ≥ 0/);
    expect(() => checkSampling('g', { topK: 1.5 })).toThrow(/topK must be an integer ≥ 0/);
    expect(() => checkSampling('g', { topP: 0 })).toThrow(/topP must be a number in \(0, 1\]/);
  });
});

function model(): LanguageModel {
  manualSeed(3);
  const m = new LanguageModel({ vocabSize: 7, embedDim: 4, hiddenSize: 6, numLayers: 2, dropout: 0.2 });
  // Spread the logits so greedy decoding is not decided by rounding.
  for (const p of m.parameters()) for (let i = 0; i < p.f32.length; i++) p.f32[i]! *= 8;
  return m;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('generateTokens', () => {
  it('greedy decoding equals re-running the model on the whole text at every step', async () => {
    const m = model();
    const prompt = [1, 4, 2];
    const fast = await collect(generateTokens(m, { prompt, length: 12, temperature: 0 }));
    m.eval();
    const seq = [...prompt];
    for (let n = 0; n < 12; n++) {
      const [logits] = noGrad(() => m.forward(new Tensor(Int32Array.from(seq), [1, seq.length])));
      const last = [...logits.f32.subarray((seq.length - 1) * 7)];
      seq.push(last.indexOf(Math.max(...last)));
    }
    expect(fast).toEqual(seq.slice(prompt.length));
  });

  it('is reproducible with a seed, stops at a stop token and restores training mode', async () => {
    const m = model();
    const a = await collect(generateTokens(m, { prompt: [1], length: 40, seed: 5 }));
    const b = await collect(generateTokens(m, { prompt: [1], length: 40, seed: 5 }));
    const c = await collect(generateTokens(m, { prompt: [1], length: 40, seed: 6 }));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(m.training).toBe(true);
    const stop = a[5]!;
    const stopped = await collect(generateTokens(m, { prompt: [1], length: 40, seed: 5, stop: [stop] }));
    expect(stopped).toEqual(a.slice(0, a.indexOf(stop) + 1));
    expect(await collect(generateTokens(m, { prompt: [1], length: 0 }))).toEqual([]);
  });

  it('validates its options', async () => {
    const m = model();
    await expect(collect(generateTokens(m, { prompt: [], length: 3 }))).rejects.toThrow(
      /at least one token id/,
    );
    await expect(collect(generateTokens(m, { prompt: [9], length: 3 }))).rejects.toThrow(/prompt\[0\] = 9/);
    await expect(collect(generateTokens(m, { prompt: [1], length: -1 }))).rejects.toThrow(/length must be/);
    await expect(
      collect(generateTokens(m, { prompt: [1], length: 1, seed: 1, generator: new Generator(1) })),
    ).rejects.toThrow(/seed or generator/);
  });
});

describe('generateText', () => {
  it('yields characters for a character model and never <pad> or <unk>', async () => {
    const vocab = new Vocab(['<pad>', '<unk>', 'a', 'b', 'c', ' ', '.']);
    const m = model();
    const pieces = await collect(
      generateText(m, vocab, new CharTokenizer(), { prompt: 'ab', length: 200, seed: 1 }),
    );
    expect(pieces.every((p) => ['a', 'b', 'c', ' ', '.'].includes(p))).toBe(true);
    const ids = await collect(
      generateTokens(m, { prompt: vocab.encode(['a', 'b']), length: 200, seed: 1, exclude: [0, 1] }),
    );
    expect(pieces.join('')).toBe(vocab.decode(ids).join(''));
  });

  it('puts a space before each word of a word model', async () => {
    const vocab = new Vocab(['<pad>', '<unk>', 'the', 'sea', 'whale', 'ship', 'white']);
    const pieces = await collect(
      generateText(model(), vocab, new WordTokenizer(), { prompt: 'The whale', length: 5, seed: 2 }),
    );
    expect(pieces).toHaveLength(5);
    expect(pieces.every((p) => /^ (the|sea|whale|ship|white)$/.test(p))).toBe(true);
  });

  it('explains an empty prompt and a vocabulary that does not fit the model', async () => {
    const vocab = new Vocab(['<pad>', '<unk>', 'a', 'b', 'c', ' ', '.']);
    await expect(
      collect(generateText(model(), vocab, new WordTokenizer(), { prompt: '!!', length: 3 })),
    ).rejects.toThrow(/the prompt has no tokens/);
    await expect(
      collect(
        generateText(model(), new Vocab(['<pad>', '<unk>']), new CharTokenizer(), { prompt: 'a', length: 3 }),
      ),
    ).rejects.toThrow(/vocabulary has 2 tokens but the model predicts 7/);
  });
});
