import { describe, expect, it } from 'vitest';
import { TextClassifier } from '../../src/nn/heads.js';
import { embeddingDropout, tokenDropout } from '../../src/nn/token-dropout.js';
import { sum } from '../../src/ops/reduce.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { DTypeError, ValueError } from '../../src/tensor/errors.js';
import { Generator, manualSeed } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { resolveTextOptions, WORD_TOKEN_DROPOUT } from '../../src/train/recipes/text-classifier-options.js';

/** ids (B, T) = (n / 50, 50) cycling through 2..21, with padding (0) in the last 10 steps of each row. */
function paddedIds(n: number): Tensor {
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i % 50 >= 40 ? 0 : 2 + (i % 20);
  return new Tensor(ids, [n / 50, 50]);
}

describe('tokenDropout', () => {
  it('turns about p of the tokens into <unk>, never padding, and leaves the rest as they were', () => {
    const ids = paddedIds(100_000);
    const out = tokenDropout(ids, 0.2, { unkId: 1, paddingIdx: 0, generator: new Generator(3) });
    let dropped = 0;
    for (let i = 0; i < ids.i32.length; i++) {
      const [a, b] = [ids.i32[i]!, out.i32[i]!];
      if (a === 0) expect(b).toBe(0);
      else if (b !== a) {
        expect(b).toBe(1);
        dropped++;
      }
    }
    // 80,000 real tokens: the share dropped is p within 4 standard deviations (0.0014 each).
    expect(Math.abs(dropped / 80_000 - 0.2)).toBeLessThan(0.006);
    expect(out.dtype).toBe('int32');
    expect(out.shape).toEqual([2000, 50]);
  });

  it('is reproduced by the same seed, returns ids itself at p = 0 and checks its arguments', () => {
    const ids = paddedIds(500);
    const a = tokenDropout(ids, 0.3, { unkId: 1, paddingIdx: 0, generator: new Generator(5) });
    const b = tokenDropout(ids, 0.3, { unkId: 1, paddingIdx: 0, generator: new Generator(5) });
    expect([...a.i32]).toEqual([...b.i32]);
    expect(tokenDropout(ids, 0, { unkId: 1, paddingIdx: 0 })).toBe(ids);
    expect(() => tokenDropout(ids, 1, { unkId: 1, paddingIdx: 0 })).toThrow(ValueError);
    expect(() => tokenDropout(randn([2, 3]), 0.1, { unkId: 1, paddingIdx: 0 })).toThrow(DTypeError);
  });
});

describe('embeddingDropout', () => {
  it('drops whole words: every occurrence of a word reads zeros or x / (1 − p), and the gradient follows', () => {
    manualSeed(1);
    const ids = new Tensor(Int32Array.from([5, 6, 5, 7, 6, 5, 8, 9, 5, 6, 10, 11]), [2, 6]);
    const x = randn([2, 6, 3], { requiresGrad: true });
    const y = embeddingDropout(x, ids, 0.5, { generator: new Generator(11) });
    const scaleOf = new Map<number, number>();
    for (let i = 0; i < 12; i++) {
      const s = y.f32[i * 3]! / x.f32[i * 3]!;
      for (let e = 0; e < 3; e++) expect(y.f32[i * 3 + e]).toBeCloseTo(x.f32[i * 3 + e]! * s, 6);
      expect([0, 2].some((v) => Math.abs(s - v) < 1e-5)).toBe(true);
      const id = ids.i32[i]!;
      if (scaleOf.has(id)) expect(s).toBeCloseTo(scaleOf.get(id)!, 5);
      scaleOf.set(id, s);
    }
    // Seven words, each kept or dropped: with generator 11 both happen.
    expect(new Set([...scaleOf.values()].map(Math.round))).toEqual(new Set([0, 2]));
    sum(y).backward();
    for (let i = 0; i < 12; i++) expect(x.grad!.f32[i * 3]).toBeCloseTo(scaleOf.get(ids.i32[i]!)!, 5);
  });

  it('returns x at p = 0 and rejects mismatched shapes', () => {
    const ids = new Tensor(Int32Array.from([1, 2, 3, 4]), [2, 2]);
    const x = randn([2, 2, 3]);
    expect(embeddingDropout(x, ids, 0)).toBe(x);
    expect(() => embeddingDropout(randn([2, 3, 3]), ids, 0.1)).toThrow(ValueError);
  });
});

describe('TextClassifier with word and embedding dropout', () => {
  const inputs = new Tensor(Int32Array.from([2, 3, 4, 5, 6, 7, 8, 0]), [2, 4]);
  const lengths = Int32Array.from([4, 3]);
  const make = (extra: object) => {
    manualSeed(4);
    return new TextClassifier({ vocabSize: 12, embedDim: 6, hiddenSize: 5, pooling: 'max', ...extra });
  };

  it('evaluates exactly as the plain model with the same weights; trains on other inputs', () => {
    const plain = make({});
    const regular = make({ tokenDropout: 0.5, embedDropout: 0.5 });
    plain.eval();
    regular.eval();
    const want = noGrad(() => plain.forward(inputs, lengths)).f32;
    expect([...noGrad(() => regular.forward(inputs, lengths)).f32]).toEqual([...want]);
    regular.train();
    manualSeed(2);
    const trained = noGrad(() => regular.forward(inputs, lengths)).f32;
    expect([...trained]).not.toEqual([...want]);
  });

  it('records only the dropouts that are set, and rebuilds from its config to the same predictions', () => {
    const m = make({ tokenDropout: 0.1, embedDropout: 0.2 });
    expect(m.config()).toMatchObject({ tokenDropout: 0.1, embedDropout: 0.2 });
    expect(m.config()).not.toHaveProperty('unkId');
    expect(make({}).config()).not.toHaveProperty('tokenDropout');
    expect(make({}).config()).not.toHaveProperty('embedDropout');
    const copy = TextClassifier.fromConfig(m.config());
    copy.loadStateDict(m.stateDict());
    m.eval();
    copy.eval();
    const a = noGrad(() => m.forward(inputs, lengths)).f32;
    expect([...noGrad(() => copy.forward(inputs, lengths)).f32]).toEqual([...a]);
    expect(() => make({ unkId: 12 })).toThrow(ValueError);
    expect(() => make({ tokenDropout: 1 })).toThrow(ValueError);
  });
});

describe('trainTextClassifier’s word dropout default', () => {
  const corpus = { texts: ['a b', 'c d'], labels: Int32Array.of(0, 1), classes: ['x', 'y'] };
  it('is WORD_TOKEN_DROPOUT for words, 0 for characters, and what the caller gives otherwise', () => {
    expect(WORD_TOKEN_DROPOUT).toBe(0.1);
    expect(resolveTextOptions({ corpus }).tokenDropout).toBe(0.1);
    expect(resolveTextOptions({ corpus, tokenizer: 'char' }).tokenDropout).toBe(0);
    expect(resolveTextOptions({ corpus, tokenizer: 'char', tokenDropout: 0.2 }).tokenDropout).toBe(0.2);
    expect(resolveTextOptions({ corpus, tokenDropout: 0 }).tokenDropout).toBe(0);
    expect(() => resolveTextOptions({ corpus, tokenDropout: 1 })).toThrow(ValueError);
  });
});
