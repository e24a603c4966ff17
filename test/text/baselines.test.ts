import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/tensor/errors.js';
import { minimizeLbfgs } from '../../src/train/baselines/lbfgs.js';
import { LogisticRegression } from '../../src/train/baselines/logistic.js';
import { fitTextBaseline, TEXT_BASELINE_FEATURES } from '../../src/train/baselines/text-baselines.js';
import {
  type CsrMatrix,
  TextVectorizer,
  type VectorizerOptions,
} from '../../src/train/baselines/vectorizer.js';

// Written by scripts/fixtures_text.py (scikit-learn) from scripts/fixtures_text_inputs.ts's slice.
interface SklearnFixture {
  tfidf: {
    trainDocs: string[];
    newDocs: string[];
    cases: Array<{ options: VectorizerOptions; features: string[]; train: number[][]; new: number[][] }>;
  };
  logistic: Array<{
    name: string;
    vectorizer: VectorizerOptions;
    C: number;
    testProba: number[];
    testAccuracy: number;
  }>;
  multinomial: { C: number; x: number[][]; y: number[]; proba: number[][] };
}
interface SpamSlice {
  train: { docs: string[]; labels: number[] };
  test: { docs: string[]; labels: number[] };
}

const read = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../fixtures/text/${name}`, import.meta.url), 'utf8')) as T;
const sk = read<SklearnFixture>('sklearn.json');
const slice = read<SpamSlice>('spam-slice.json');
const tokens = (docs: string[]) => docs.map((d) => (d === '' ? [] : d.split(' ')));

function dense(m: CsrMatrix): number[][] {
  const out = Array.from({ length: m.rows }, () => new Array<number>(m.cols).fill(0));
  for (let r = 0; r < m.rows; r++) {
    for (let p = m.indptr[r]!; p < m.indptr[r + 1]!; p++) out[r]![m.indices[p]!] = m.values[p]!;
  }
  return out;
}

/** Columns reordered to scikit-learn's feature order, by name. */
function byName(m: number[][], ours: readonly string[], theirs: string[]): number[][] {
  const col = new Map(ours.map((f, i) => [f, i]));
  return m.map((row) => theirs.map((f) => row[col.get(f)!]!));
}

function expectMatrix(actual: number[][], expected: number[][], tol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, r) => {
    row.forEach((v, c) => {
      if (Math.abs(v - expected[r]![c]!) > tol) expect.fail(`[${r}][${c}]: ${v} vs ${expected[r]![c]}`);
    });
  });
}

describe('TextVectorizer matches scikit-learn TfidfVectorizer to 1e-6', () => {
  for (const c of sk.tfidf.cases) {
    it(`options ${JSON.stringify(c.options)}`, () => {
      const v = new TextVectorizer(c.options);
      const train = v.fitTransform(tokens(sk.tfidf.trainDocs));
      expect([...v.featureNames].sort()).toEqual([...c.features].sort());
      expectMatrix(byName(dense(train), v.featureNames, c.features), c.train, 1e-6);
      const fresh = v.transform(tokens(sk.tfidf.newDocs));
      expectMatrix(byName(dense(fresh), v.featureNames, c.features), c.new, 1e-6);
      const restored = TextVectorizer.fromJSON(JSON.parse(JSON.stringify(v.toJSON())));
      expect(dense(restored.transform(tokens(sk.tfidf.newDocs)))).toEqual(dense(fresh));
    });
  }

  it('keeps the most frequent n-grams with maxFeatures, ties by name', () => {
    const v = new TextVectorizer({ maxFeatures: 3 }).fit(tokens(sk.tfidf.trainDocs));
    // the 9, sea 6, whale 3, ship 2, white 2, ishmael 2, …
    expect(v.featureNames).toEqual(['sea', 'the', 'whale']);
  });

  it('validates its options and input', () => {
    expect(() => new TextVectorizer({ ngramRange: [2, 1] })).toThrow(/ngramRange/);
    expect(() => new TextVectorizer({ minDf: 0.5 })).toThrow(/minDf must be an integer/);
    expect(() => new TextVectorizer({ maxDf: 0 })).toThrow(/maxDf/);
    expect(() => new TextVectorizer({ norm: 'max' as never })).toThrow(/norm/);
    expect(() => new TextVectorizer().fit(['a b'] as never)).toThrow(/array of token lists/);
    expect(() => new TextVectorizer().transform([['a']])).toThrow(/call fit\(\) first/);
    expect(() => new TextVectorizer({ minDf: 5 }).fit([['a'], ['b']])).toThrow(/no n-gram is left/);
  });
});

describe('LogisticRegression matches scikit-learn (lbfgs, L2)', () => {
  for (const c of sk.logistic) {
    it(`on a SpamAssassin slice with ${c.name} features: same test probabilities and accuracy`, () => {
      const v = new TextVectorizer(c.vectorizer);
      const xTrain = v.fitTransform(tokens(slice.train.docs));
      const xTest = v.transform(tokens(slice.test.docs));
      const model = new LogisticRegression({ C: c.C, tol: 1e-8, maxIter: 2000 }).fit(
        xTrain,
        Int32Array.from(slice.train.labels),
      );
      expect(model.fitInfo!.reason).toBe('gradient');
      const proba = model.predictProba(xTest);
      let worst = 0;
      c.testProba.forEach((p, r) => {
        worst = Math.max(worst, Math.abs(proba[r * 2 + 1]! - p));
      });
      expect(worst).toBeLessThan(1e-5);
      const predicted = model.predict(xTest);
      const accuracy = predicted.filter((y, r) => y === slice.test.labels[r]).length / predicted.length;
      expect(accuracy).toBeGreaterThanOrEqual(c.testAccuracy);
    });
  }

  it('fits three classes with the multinomial (softmax) loss', () => {
    const { x, y, proba, C } = sk.multinomial;
    const cols = x[0]!.length;
    const m: CsrMatrix = {
      rows: x.length,
      cols,
      indptr: Int32Array.from({ length: x.length + 1 }, (_, r) => r * cols),
      indices: Int32Array.from({ length: x.length * cols }, (_, i) => i % cols),
      values: Float64Array.from(x.flat()),
    };
    const model = new LogisticRegression({ C, tol: 1e-9 }).fit(m, Int32Array.from(y));
    expect(model.numClasses).toBe(3);
    const p = model.predictProba(m);
    expectMatrix(
      proba.map((_, r) => [...p.subarray(r * 3, r * 3 + 3)]),
      proba,
      1e-5,
    );
  });

  it('validates its arguments', () => {
    expect(() => new LogisticRegression({ C: 0 })).toThrow(/C must be a finite number > 0/);
    const v = new TextVectorizer().fit([['a'], ['b']]);
    const x = v.transform([['a'], ['b']]);
    expect(() => new LogisticRegression().fit(x, Int32Array.from([0]))).toThrow(/2 labels/);
    expect(() => new LogisticRegression().fit(x, Int32Array.from([0, 3]), 2)).toThrow(/y\[1\] = 3/);
    expect(() => new LogisticRegression().predict(x)).toThrow(/call fit\(\) first/);
    expect(() => new LogisticRegression().fit({ rows: 1 } as never, Int32Array.from([0]))).toThrow(
      ValueError,
    );
  });
});

describe('minimizeLbfgs', () => {
  it('finds the minimum of the Rosenbrock function', () => {
    const r = minimizeLbfgs(
      (x, g) => {
        const [a, b] = [x[0]!, x[1]!];
        g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        g[1] = 200 * (b - a * a);
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      },
      Float64Array.from([-1.2, 1]),
      { gradTol: 1e-9, maxIter: 1000 },
    );
    expect(r.reason).toBe('gradient');
    expect(r.x[0]).toBeCloseTo(1, 6);
    expect(r.x[1]).toBeCloseTo(1, 6);
  });
});

describe('fitTextBaseline', () => {
  const docs = tokens(slice.train.docs);
  const labels = Int32Array.from(slice.train.labels);
  const [train, val] = [docs.slice(0, 180), docs.slice(180)];
  const [yTrain, yVal] = [labels.subarray(0, 180), labels.subarray(180)];

  it('chooses C on validation data by accuracy, the smaller C on ties', () => {
    const b = fitTextBaseline(train, yTrain, {
      kind: 'tfidf',
      valTokens: val,
      valLabels: yVal,
      cGrid: [0.1, 10, 1000],
    });
    const accuracies = [0.1, 10, 1000].map((C) => {
      const v = new TextVectorizer(TEXT_BASELINE_FEATURES.tfidf);
      const m = new LogisticRegression({ C }).fit(v.fitTransform(train), yTrain);
      const p = m.predict(v.transform(val));
      return p.filter((y, i) => y === yVal[i]).length / p.length;
    });
    const best = Math.max(...accuracies);
    expect(b.valAccuracy).toBe(best);
    expect(b.C).toBe([0.1, 10, 1000][accuracies.indexOf(best)]);
    expect(b.vectorizer.options.ngramRange).toEqual([1, 2]);
    expect(b.predict(val)).toEqual(b.model.predict(b.vectorizer.transform(val)));
  });

  it('fits the bag-of-words baseline with a fixed C and explains bad options', () => {
    const b = fitTextBaseline(train, yTrain, { kind: 'bag-of-words', C: 3 });
    expect([b.C, b.valAccuracy, b.vectorizer.options.useIdf]).toEqual([3, null, false]);
    expect(b.predictProba(val.slice(0, 2))).toHaveLength(4);
    expect(() => fitTextBaseline(train, yTrain, { kind: 'svm' as never })).toThrow(
      /kind must be 'tfidf' or 'bag-of-words'/,
    );
    expect(() => fitTextBaseline(train, yTrain, { kind: 'tfidf', valTokens: val })).toThrow(
      /both valTokens and valLabels/,
    );
  });
});
