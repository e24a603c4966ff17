import { describe, expect, it } from 'vitest';
import { Vocab } from '../../src/data/vocab.js';
import { DTypeError, ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { kneserNeyDiscounts, NGramModel } from '../../src/train/baselines/ngram.js';

// abracadabra as ids: a 0, b 1, r 2, c 3, d 4.
const ABRACADABRA = Int32Array.from([0, 1, 2, 0, 3, 0, 4, 0, 1, 2, 0]);
const [a, b, r, c, d] = [0, 1, 2, 3, 4];

const PASSAGE =
  'Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my ' +
  'purse, and nothing particular to interest me on shore, I thought I would sail about a little and ' +
  'see the watery part of the world. It is a way I have of driving off the spleen and regulating the ' +
  'circulation. Whenever I find myself growing grim about the mouth; whenever it is a damp, drizzly ' +
  'November in my soul; whenever I find myself involuntarily pausing before coffin warehouses.';

function charStream(text: string): { ids: Int32Array; vocab: Vocab } {
  const chars = [...text];
  const vocab = Vocab.build([chars]);
  return { ids: vocab.encode(chars), vocab };
}

describe('kneserNeyDiscounts', () => {
  it("follows Chen & Goodman's estimates from the counts of counts", () => {
    // t = 100, 40, 20, 10: Y = 5/9, D1 = 1 − 2Y·0.4 = 5/9, D2 = 2 − 3Y·0.5 = 7/6, D3+ = 3 − 4Y·0.5 = 17/9.
    const [d1, d2, d3] = kneserNeyDiscounts([100, 40, 20, 10]);
    expect(d1).toBeCloseTo(5 / 9, 14);
    expect(d2).toBeCloseTo(7 / 6, 14);
    expect(d3).toBeCloseTo(17 / 9, 14);
    expect(kneserNeyDiscounts([100, 40, 20, 10], 'single')).toEqual([5 / 9, 5 / 9, 5 / 9]);
  });

  it('falls back to the single discount when the counts cannot support three', () => {
    expect(kneserNeyDiscounts([4, 3, 0, 0])).toEqual([0.4, 0.4, 0.4]);
  });
});

describe('NGramModel (interpolated Kneser-Ney)', () => {
  it('matches hand-computed bigram probabilities on abracadabra', () => {
    // Bigram counts ab 2, br 2, ra 2, ac 1, ca 1, ad 1, da 1: t1 = 4, t2 = 3, D = 4/10.
    // Unigram continuation counts a 3, b 1, r 1, c 1, d 1: t1 = 4, t2 = 0, D = 1, γ = 5/7,
    // so p1(a) = 2/7 + (5/7)/5 = 3/7 and p1(b) = p1(r) = p1(c) = p1(d) = 1/7.
    // Context a: ab 2, ac 1, ad 1, total 4, γ(a) = 0.4·3/4 = 0.3.
    const m = new NGramModel(ABRACADABRA, { order: 2, vocabSize: 5, discounting: 'single' });
    expect(m.probability([], a)).toBeCloseTo(3 / 7, 14);
    expect(m.probability([], b)).toBeCloseTo(1 / 7, 14);
    expect(m.probability([a], b)).toBeCloseTo(1.6 / 4 + 0.3 / 7, 14); // 31/70
    expect(m.probability([a], c)).toBeCloseTo(0.6 / 4 + 0.3 / 7, 14); // 27/140
    expect(m.probability([a], a)).toBeCloseTo((0.3 * 3) / 7, 14);
    expect(m.probability([r], a)).toBeCloseTo(1.6 / 2 + (0.2 * 3) / 7, 14); // 31/35
    expect(m.probability([d], a)).toBeCloseTo(0.6 + (0.4 * 3) / 7, 14); // 27/35
    // Only the last order − 1 tokens of a context count.
    expect(m.probability([b, r, d], a)).toBe(m.probability([d], a));
  });

  it('applies the three modified discounts by count (a hand-computed unigram model)', () => {
    // Counts: id 0 ×4, 1 ×3, 2 ×2, 3 ×2, 4–7 ×1, 8 and 9 unseen (V = 10); total 15.
    // t = 4, 2, 1, 1: Y = 1/2, D1 = 1/2, D2 = 5/4, D3+ = 1; γ = (4·D1 + 2·D2 + 2·D3+)/15 = 6.5/15.
    const ids = Int32Array.from([0, 1, 2, 3, 0, 4, 1, 5, 0, 2, 6, 3, 1, 7, 0]);
    const m = new NGramModel(ids, { order: 1, vocabSize: 10 });
    const share = 6.5 / 15 / 10;
    expect(m.probability([], 0)).toBeCloseTo((4 - 1) / 15 + share, 14);
    expect(m.probability([], 1)).toBeCloseTo((3 - 1) / 15 + share, 14);
    expect(m.probability([], 2)).toBeCloseTo((2 - 1.25) / 15 + share, 14);
    expect(m.probability([], 4)).toBeCloseTo((1 - 0.5) / 15 + share, 14);
    expect(m.probability([], 9)).toBeCloseTo(share, 14);
  });

  it('matches a hand-computed trigram probability on abracadabra', () => {
    // Trigrams abr 2, bra 2, rac, aca, cad, ada, dab 1: D = 5/9. Every continuation bigram
    // count is 1 (D = 1), so order 2 passes the unigram through. Context ab: abr 2, γ = (5/9)/2.
    const m = new NGramModel(ABRACADABRA, { order: 3, vocabSize: 5, discounting: 'single' });
    expect(m.probability([a, b], r)).toBeCloseTo((2 - 5 / 9) / 2 + (5 / 18) * (1 / 7), 14); // 16/21
    expect(m.probability([a, b], a)).toBeCloseTo((5 / 18) * (3 / 7), 14); // 5/42
    expect(m.probability([c, c], a)).toBeCloseTo(3 / 7, 14); // unseen contexts back off to p1
  });

  for (const discounting of ['modified', 'single'] as const) {
    it(`sums to 1 over the vocabulary for sampled contexts, orders 1 to 5 (${discounting})`, () => {
      const { ids, vocab } = charStream(PASSAGE);
      const g = new Generator(7);
      for (let order = 1; order <= 5; order++) {
        const m = new NGramModel(ids, { order, vocabSize: vocab.size, discounting });
        for (let trial = 0; trial < 30; trial++) {
          // Half the contexts come from the text, half are random (mostly unseen).
          const start = g.randint(ids.length - 4);
          const context =
            trial % 2 === 0
              ? ids.subarray(start, start + g.randint(5))
              : Array.from({ length: 4 }, () => g.randint(vocab.size));
          let sum = 0;
          for (let w = 0; w < vocab.size; w++) sum += m.probability(context, w);
          expect(sum).toBeCloseTo(1, 12);
        }
      }
    });
  }

  it('scores a stream as the mean negative log probability of each token given the ones before', () => {
    const { ids, vocab } = charStream(PASSAGE);
    const m = new NGramModel(ids.subarray(0, 400), { order: 3, vocabSize: vocab.size });
    const held = ids.subarray(400);
    let nats = 0;
    for (let i = 1; i < held.length; i++)
      nats -= Math.log(m.probability(held.subarray(Math.max(0, i - 2), i), held[i]!));
    const s = m.score(held);
    expect(s.tokens).toBe(held.length - 1);
    expect(s.nats).toBeCloseTo(nats / (held.length - 1), 12);
    expect(s.bits).toBeCloseTo(s.nats / Math.LN2, 12);
    expect(s.perplexity).toBeCloseTo(Math.exp(s.nats), 10);
    const primed = m.score(held, { context: ids.subarray(0, 400) });
    expect(primed.tokens).toBe(held.length);
  });

  it('gives a frequent word that follows one word only a small continuation probability', () => {
    // "francisco" is as frequent as "the" but always follows "san"; a unigram-level KN estimate
    // ranks it by the contexts it completes, not by its count.
    const words = 'san francisco the cat san francisco a dog the bird san francisco my the fish the'.split(
      ' ',
    );
    const vocab = Vocab.build([words]);
    const m = new NGramModel(vocab.encode(words), { order: 2, vocabSize: vocab.size });
    const unseen = vocab.id('dog');
    expect(m.probability([unseen], vocab.id('the'))).toBeGreaterThan(
      2 * m.probability([unseen], vocab.id('francisco')),
    );
  });

  it('handles vocabularies larger than 65,536 ids', () => {
    const ids = Int32Array.from([70000, 5, 70000, 5, 70000, 5, 70001, 65536]);
    const m = new NGramModel(ids, { order: 3, vocabSize: 70002 });
    // After 70000 5 came 70000 twice and 70001 once.
    expect(m.probability([70000, 5], 70000)).toBeGreaterThan(m.probability([70000, 5], 70001));
    expect(m.probability([70000, 5], 70001)).toBeGreaterThan(10 * m.probability([70000, 5], 65536));
    for (const context of [[5], [70000, 5], [5, 70001], [65536]]) {
      let sum = 0;
      for (let w = 0; w < 70002; w++) sum += m.probability(context, w);
      expect(sum).toBeCloseTo(1, 10);
    }
  });

  it('validates its arguments', () => {
    expect(() => new NGramModel(ABRACADABRA, { order: 0, vocabSize: 5 })).toThrow(
      /order must be a positive integer/,
    );
    expect(() => new NGramModel(ABRACADABRA, { vocabSize: 4 })).toThrow(
      /ids\[6\] = 4 is not a token id in \[0, 4\)/,
    );
    expect(() => new NGramModel(new Float32Array(3) as never, { vocabSize: 4 })).toThrow(DTypeError);
    expect(() => new NGramModel(ABRACADABRA, { vocabSize: 5, discounting: 'good-turing' as never })).toThrow(
      ValueError,
    );
    const m = new NGramModel(ABRACADABRA, { vocabSize: 5 });
    expect(() => m.probability([a], 5)).toThrow(/token must be an id in \[0, 5\)/);
  });
});
