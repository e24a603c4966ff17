import { ShapeError, ValueError } from '../tensor/errors.js';

/**
 * Evaluation metrics on plain arrays of labels or values. Classification metrics follow
 * scikit-learn's definitions, including its zero-division rule: a ratio with a zero
 * denominator is 0. Regression metrics return fractions (MAPE 0.05 means 5%).
 */

type Values = ArrayLike<number>;

function checkPair(name: string, yTrue: Values, yPred: Values): void {
  if (yTrue.length !== yPred.length) {
    throw new ShapeError(
      `${name}: yTrue and yPred must have the same length, got ${yTrue.length} and ${yPred.length}`,
    );
  }
  if (yTrue.length === 0) throw new ValueError(`${name}: yTrue and yPred must not be empty, got 0 values`);
}

function checkLabels(name: string, labels: Values, numClasses: number, arg: string): void {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new ValueError(`${name}: ${arg}[${i}] must be an integer class in [0, ${numClasses}), got ${v}`);
    }
  }
}

function inferClasses(yTrue: Values, yPred: Values): number {
  let max = -1;
  for (let i = 0; i < yTrue.length; i++) max = Math.max(max, yTrue[i]!, yPred[i]!);
  return Math.max(1, Math.floor(max) + 1);
}

/** Fraction of predictions equal to the true label. */
export function accuracy(yTrue: Values, yPred: Values): number {
  checkPair('accuracy', yTrue, yPred);
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hits++;
  return hits / yTrue.length;
}

/**
 * Confusion matrix `m[t][p]`: how many samples of true class t were predicted as p
 * (rows are true classes, as scikit-learn's). `numClasses` defaults to the largest label + 1.
 */
export function confusionMatrix(yTrue: Values, yPred: Values, numClasses?: number): number[][] {
  checkPair('confusionMatrix', yTrue, yPred);
  const k = numClasses ?? inferClasses(yTrue, yPred);
  if (!Number.isInteger(k) || k < 1) {
    throw new ValueError(`confusionMatrix: numClasses must be a positive integer, got ${numClasses}`);
  }
  checkLabels('confusionMatrix', yTrue, k, 'yTrue');
  checkLabels('confusionMatrix', yPred, k, 'yPred');
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]!]![yPred[i]!]!++;
  return m;
}

export interface ClassificationReport {
  accuracy: number;
  /** Per class, indexed by label. */
  precision: number[];
  recall: number[];
  f1: number[];
  /** Number of true samples of each class. */
  support: number[];
  /** Unweighted means over classes. */
  macro: { precision: number; recall: number; f1: number };
  confusion: number[][];
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Accuracy, per-class and macro precision / recall / F1, support and the confusion matrix. */
export function classificationReport(
  yTrue: Values,
  yPred: Values,
  numClasses?: number,
): ClassificationReport {
  return reportOfConfusion(confusionMatrix(yTrue, yPred, numClasses));
}

/** The report of a confusion matrix `m[t][p]` (rows true classes): what classificationReport gives. */
export function reportOfConfusion(confusion: number[][]): ClassificationReport {
  const k = confusion.length;
  const precision: number[] = [];
  const recall: number[] = [];
  const f1: number[] = [];
  const support: number[] = [];
  let correct = 0;
  for (let c = 0; c < k; c++) {
    const tp = confusion[c]![c]!;
    correct += tp;
    let predicted = 0;
    let actual = 0;
    for (let j = 0; j < k; j++) {
      predicted += confusion[j]![c]!;
      actual += confusion[c]![j]!;
    }
    const p = ratio(tp, predicted);
    const r = ratio(tp, actual);
    precision.push(p);
    recall.push(r);
    f1.push(ratio(2 * p * r, p + r));
    support.push(actual);
  }
  return {
    accuracy: correct / support.reduce((s, n) => s + n, 0),
    precision,
    recall,
    f1,
    support,
    macro: { precision: mean(precision), recall: mean(recall), f1: mean(f1) },
    confusion,
  };
}

/** Precision of class `positive` (default 1): TP / (TP + FP), 0 when nothing was predicted positive. */
export function precision(yTrue: Values, yPred: Values, positive = 1): number {
  return classificationReport(yTrue, yPred, Math.max(inferClasses(yTrue, yPred), positive + 1)).precision[
    positive
  ]!;
}

/** Recall of class `positive` (default 1): TP / (TP + FN), 0 when the class never occurs. */
export function recall(yTrue: Values, yPred: Values, positive = 1): number {
  return classificationReport(yTrue, yPred, Math.max(inferClasses(yTrue, yPred), positive + 1)).recall[
    positive
  ]!;
}

/** F1 of class `positive` (default 1): the harmonic mean of precision and recall. */
export function f1Score(yTrue: Values, yPred: Values, positive = 1): number {
  return classificationReport(yTrue, yPred, Math.max(inferClasses(yTrue, yPred), positive + 1)).f1[positive]!;
}

/** Mean absolute error. */
export function mae(yTrue: Values, yPred: Values): number {
  checkPair('mae', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += Math.abs(yTrue[i]! - yPred[i]!);
  return s / yTrue.length;
}

/** Mean squared error. */
export function mse(yTrue: Values, yPred: Values): number {
  checkPair('mse', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += (yTrue[i]! - yPred[i]!) ** 2;
  return s / yTrue.length;
}

/** Root mean squared error. */
export function rmse(yTrue: Values, yPred: Values): number {
  checkPair('rmse', yTrue, yPred);
  return Math.sqrt(mse(yTrue, yPred));
}

/**
 * Mean absolute percentage error as a fraction: mean(|y − ŷ| / max(|y|, ε)), ε the float64
 * machine epsilon, as scikit-learn (a zero target gives a huge but finite term).
 */
export function mape(yTrue: Values, yPred: Values): number {
  checkPair('mape', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) {
    s += Math.abs(yTrue[i]! - yPred[i]!) / Math.max(Math.abs(yTrue[i]!), Number.EPSILON);
  }
  return s / yTrue.length;
}

/** Symmetric MAPE as a fraction in [0, 2]: mean(2|y − ŷ| / (|y| + |ŷ|)), a 0/0 term counting 0. */
export function smape(yTrue: Values, yPred: Values): number {
  checkPair('smape', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) {
    s += ratio(2 * Math.abs(yTrue[i]! - yPred[i]!), Math.abs(yTrue[i]!) + Math.abs(yPred[i]!));
  }
  return s / yTrue.length;
}

/**
 * Mean absolute scaled error: the forecast's MAE divided by the in-sample MAE of the
 * seasonal-naive forecast (y[t] predicted by y[t − m]) on the training series `yTrain`.
 * Below 1 beats the naive forecast. `seasonality` m defaults to 1 (persistence).
 */
export function mase(yTrue: Values, yPred: Values, yTrain: Values, seasonality = 1): number {
  checkPair('mase', yTrue, yPred);
  if (!Number.isInteger(seasonality) || seasonality < 1) {
    throw new ValueError(`mase: seasonality must be a positive integer, got ${seasonality}`);
  }
  if (yTrain.length <= seasonality) {
    throw new ValueError(
      `mase: yTrain needs more than seasonality (${seasonality}) values, got ${yTrain.length}`,
    );
  }
  let s = 0;
  for (let i = seasonality; i < yTrain.length; i++) s += Math.abs(yTrain[i]! - yTrain[i - seasonality]!);
  const scale = s / (yTrain.length - seasonality);
  if (scale === 0) throw new ValueError('mase: yTrain is constant at the given seasonality, the scale is 0');
  return mae(yTrue, yPred) / scale;
}
