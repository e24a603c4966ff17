import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from '../../src/tensor/errors.js';
import {
  accuracy,
  classificationReport,
  confusionMatrix,
  f1Score,
  mae,
  mape,
  mase,
  mse,
  precision,
  recall,
  rmse,
  smape,
} from '../../src/train/metrics.js';

describe('classification metrics', () => {
  // Hand-computed: confusion [[1,1,0],[1,2,0],[0,1,0]].
  const yTrue = [0, 0, 1, 1, 1, 2];
  const yPred = [0, 1, 1, 1, 0, 1];

  it('confusion matrix has true classes as rows', () => {
    expect(confusionMatrix(yTrue, yPred)).toEqual([
      [1, 1, 0],
      [1, 2, 0],
      [0, 1, 0],
    ]);
    expect(confusionMatrix([0, 1], [0, 0], 3)).toEqual([
      [1, 0, 0],
      [1, 0, 0],
      [0, 0, 0],
    ]);
  });

  it('per-class and macro precision, recall and F1 (zero division gives 0)', () => {
    const r = classificationReport(yTrue, yPred);
    expect(r.accuracy).toBeCloseTo(0.5, 12);
    expect(r.precision).toEqual([0.5, 0.5, 0]);
    expect(r.recall[0]).toBeCloseTo(0.5, 12);
    expect(r.recall[1]).toBeCloseTo(2 / 3, 12);
    expect(r.recall[2]).toBe(0);
    expect(r.f1[1]).toBeCloseTo(4 / 7, 12);
    expect(r.f1[2]).toBe(0);
    expect(r.support).toEqual([2, 3, 1]);
    expect(r.macro.precision).toBeCloseTo(1 / 3, 12);
    expect(r.macro.recall).toBeCloseTo((0.5 + 2 / 3) / 3, 12);
    expect(r.macro.f1).toBeCloseTo((0.5 + 4 / 7) / 3, 12);
  });

  it('binary helpers take the positive class', () => {
    const t = [1, 1, 0, 0, 1];
    const p = [1, 0, 0, 1, 1];
    expect(accuracy(t, p)).toBeCloseTo(0.6, 12);
    expect(precision(t, p)).toBeCloseTo(2 / 3, 12);
    expect(recall(t, p)).toBeCloseTo(2 / 3, 12);
    expect(f1Score(t, p)).toBeCloseTo(2 / 3, 12);
    expect(precision(t, p, 0)).toBeCloseTo(0.5, 12);
    // Nothing predicted positive: precision and F1 are 0, not NaN.
    expect(precision([1, 0], [0, 0])).toBe(0);
    expect(f1Score([1, 0], [0, 0])).toBe(0);
    expect(recall([0, 0], [0, 0])).toBe(0);
  });

  it('rejects mismatched lengths, empty input and bad labels', () => {
    expect(() => accuracy([1, 2], [1])).toThrow(ShapeError);
    expect(() => accuracy([], [])).toThrow(ValueError);
    expect(() => confusionMatrix([0, 1.5], [0, 1])).toThrow(/yTrue\[1\].*1\.5/);
    expect(() => confusionMatrix([0, 3], [0, 1], 2)).toThrow(/\[0, 2\)/);
  });
});

describe('regression metrics', () => {
  const yTrue = [1, 2, 4];
  const yPred = [1.5, 2, 3];

  it('match hand-computed values', () => {
    expect(mae(yTrue, yPred)).toBeCloseTo(0.5, 12);
    expect(mse(yTrue, yPred)).toBeCloseTo(1.25 / 3, 12);
    expect(rmse(yTrue, yPred)).toBeCloseTo(Math.sqrt(1.25 / 3), 12);
    expect(mape(yTrue, yPred)).toBeCloseTo(0.25, 12);
    expect(smape(yTrue, yPred)).toBeCloseTo((0.4 + 2 / 7) / 3, 12);
  });

  it('sMAPE counts 0/0 as 0 and MAPE stays finite on a zero target', () => {
    expect(smape([0, 1], [0, 1])).toBe(0);
    expect(Number.isFinite(mape([0], [1]))).toBe(true);
  });

  it('MASE scales by the in-sample seasonal-naive MAE', () => {
    const train = [1, 3, 2, 5];
    expect(mase(yTrue, yPred, train)).toBeCloseTo(0.5 / 2, 12);
    expect(mase(yTrue, yPred, train, 2)).toBeCloseTo(0.5 / 1.5, 12);
    expect(() => mase(yTrue, yPred, [1, 2], 2)).toThrow(/seasonality \(2\)/);
    expect(() => mase(yTrue, yPred, [3, 3, 3])).toThrow(/constant/);
    expect(() => mase(yTrue, yPred, train, 0)).toThrow(ValueError);
  });
});
