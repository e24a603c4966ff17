import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from '../../src/tensor/errors.js';
import {
  describeCoverage,
  multiClassReport,
  splitCoverage,
  topConfusions,
} from '../../src/train/class-report.js';

// Written by scripts/fixtures_text.py with scikit-learn (zero_division=0).
interface ReportFixture {
  yTrue: number[];
  yPred: number[];
  numClasses: number;
  perClass: { precision: number[]; recall: number[]; f1: number[]; support: number[] };
  macro: { precision: number; recall: number; f1: number };
  weighted: { precision: number; recall: number; f1: number };
  accuracy: number;
  confusion: number[][];
}
const sk = (
  JSON.parse(readFileSync(new URL('../../fixtures/text/sklearn.json', import.meta.url), 'utf8')) as {
    report: ReportFixture;
  }
).report;
const LABELS = ['ham', 'spam', 'promo', 'social', 'other'];

describe('multiClassReport', () => {
  const r = multiClassReport(sk.yTrue, sk.yPred, { labels: LABELS });

  it('matches scikit-learn per class, including a class never predicted and one never true', () => {
    expect(r.classes.map((c) => c.label)).toEqual(LABELS);
    for (const key of ['precision', 'recall', 'f1', 'support'] as const) {
      r.classes.forEach((c, i) => {
        expect(c[key], `${key} of ${c.label}`).toBeCloseTo(sk.perClass[key][i]!, 12);
      });
    }
    expect(r.confusion).toEqual(sk.confusion);
    expect(r.accuracy).toBeCloseTo(sk.accuracy, 12);
    expect(r.examples).toBe(sk.yTrue.length);
  });

  it('matches scikit-learn macro and weighted averages', () => {
    for (const avg of ['macro', 'weighted'] as const) {
      for (const key of ['precision', 'recall', 'f1'] as const) {
        expect(r[avg][key], `${avg} ${key}`).toBeCloseTo(sk[avg][key], 12);
      }
    }
  });

  it('lists the most frequent confusions with their share of the actual class', () => {
    // Each off-diagonal cell holds one example; equal counts keep the matrix's row-major order.
    expect(r.topConfusions.map((c) => [c.actual, c.predicted, c.count, c.rate])).toEqual([
      ['ham', 'spam', 1, 1 / 4],
      ['spam', 'other', 1, 1 / 3],
      ['promo', 'ham', 1, 1 / 6],
      ['promo', 'other', 1, 1 / 6],
      ['social', 'ham', 1, 1 / 2],
      ['social', 'spam', 1, 1 / 2],
    ]);
    const two = topConfusions(
      [
        [5, 3, 0],
        [0, 4, 1],
        [3, 0, 2],
      ],
      ['a', 'b', 'c'],
      2,
    );
    expect(two).toEqual([
      { actual: 'a', predicted: 'b', count: 3, rate: 3 / 8 },
      { actual: 'c', predicted: 'a', count: 3, rate: 3 / 5 },
    ]);
  });

  it('names classes by index without labels and checks its input', () => {
    expect(multiClassReport([0, 2], [2, 2]).classes.map((c) => c.label)).toEqual(['0', '1', '2']);
    expect(() => multiClassReport([0, 1], [0])).toThrow(ShapeError);
    expect(() => multiClassReport([], [])).toThrow(/must not be empty/);
    expect(() => multiClassReport([0, 5], [0, 1], { labels: ['a', 'b'] })).toThrow(
      /yTrue\[1\] must be a class index in \[0, 2\)/,
    );
    expect(() => topConfusions([[1]], ['a'], -1)).toThrow(ValueError);
  });
});

describe('splitCoverage', () => {
  it('names the classes missing from validation or test, with their counts', () => {
    const missing = splitCoverage({ train: [0, 0, 1, 1, 2, 3, 3], val: [0, 1, 3], test: [0, 1, 1] }, [
      'a',
      'b',
      'c',
      'd',
    ]);
    expect(missing).toEqual([
      { index: 2, label: 'c', train: 1, val: 0, test: 0 },
      { index: 3, label: 'd', train: 2, val: 1, test: 0 },
    ]);
    expect(describeCoverage(missing)).toBe(
      '2 classes have too few examples to appear in every split, so their scores are missing from validation or test: c (1 example: 1 train, 0 validation, 0 test); d (3 examples: 2 train, 1 validation, 0 test)',
    );
    expect(describeCoverage([])).toBeNull();
    expect(() => splitCoverage({ train: [4], val: [], test: [] }, ['a'])).toThrow(/split.train\[0\]/);
  });
});
