import { ShapeError, ValueError } from '../tensor/errors.js';

/*
 * Multi-class evaluation reports with scikit-learn's definitions (precision_recall_fscore_support
 * with zero_division=0, confusion_matrix), for any number of classes: per-class precision,
 * recall, F1 and support; macro (unweighted) and weighted (by support) averages over every
 * class; the most frequent confusions as a list; and which classes a split left without
 * examples to evaluate on.
 */

type Labels = ArrayLike<number>;

export interface ClassScores {
  /** Class index and name. */
  index: number;
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** True examples of the class. */
  support: number;
  /** Examples predicted as the class. */
  predicted: number;
}

export interface Averages {
  precision: number;
  recall: number;
  f1: number;
}

/** One cell off the confusion matrix's diagonal. */
export interface Confusion {
  actual: string;
  predicted: string;
  count: number;
  /** count / support of the actual class. */
  rate: number;
}

export interface MultiClassReport {
  accuracy: number;
  examples: number;
  classes: ClassScores[];
  macro: Averages;
  weighted: Averages;
  /** confusion[t][p]: examples of class t predicted as p. */
  confusion: number[][];
  /** The largest off-diagonal cells, most frequent first (ties: by actual, then predicted class). */
  topConfusions: Confusion[];
}

export interface ReportOptions {
  /** Class names; their count is the number of classes (default: "0", "1", … up to the largest label). */
  labels?: readonly string[];
  /** Confusions listed (default 10). */
  topConfusions?: number;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

function labelsOf(yTrue: Labels, yPred: Labels, options: ReportOptions): string[] {
  if (options.labels !== undefined) {
    if (
      !Array.isArray(options.labels) ||
      options.labels.length === 0 ||
      options.labels.some((l) => typeof l !== 'string')
    ) {
      throw new ValueError('multiClassReport: labels must be a non-empty array of class names');
    }
    return [...options.labels];
  }
  let top = 0;
  for (let i = 0; i < yTrue.length; i++) top = Math.max(top, yTrue[i]!, yPred[i]!);
  return Array.from({ length: top + 1 }, (_, k) => String(k));
}

function checkLabels(name: string, y: Labels, k: number): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= k) {
      throw new ValueError(`multiClassReport: ${name}[${i}] must be a class index in [0, ${k}), got ${v}`);
    }
  }
}

/** The full report for predictions `yPred` of true classes `yTrue` (class indices). */
export function multiClassReport(
  yTrue: Labels,
  yPred: Labels,
  options: ReportOptions = {},
): MultiClassReport {
  if (yTrue?.length !== yPred?.length) {
    throw new ShapeError(
      `multiClassReport: yTrue and yPred must have the same length, got ${yTrue?.length} and ${yPred?.length}`,
    );
  }
  if (yTrue.length === 0) throw new ValueError('multiClassReport: yTrue and yPred must not be empty');
  const labels = labelsOf(yTrue, yPred, options);
  const k = labels.length;
  checkLabels('yTrue', yTrue, k);
  checkLabels('yPred', yPred, k);
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) confusion[yTrue[i]!]![yPred[i]!]!++;
  const classes = labels.map((label, c) => {
    const tp = confusion[c]![c]!;
    const support = confusion[c]!.reduce((s, v) => s + v, 0);
    const predicted = confusion.reduce((s, row) => s + row[c]!, 0);
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    return {
      index: c,
      label,
      precision,
      recall,
      f1: ratio(2 * precision * recall, precision + recall),
      support,
      predicted,
    };
  });
  const n = yTrue.length;
  const average = (weight: (c: ClassScores) => number, total: number): Averages => ({
    precision: classes.reduce((s, c) => s + weight(c) * c.precision, 0) / total,
    recall: classes.reduce((s, c) => s + weight(c) * c.recall, 0) / total,
    f1: classes.reduce((s, c) => s + weight(c) * c.f1, 0) / total,
  });
  return {
    accuracy: classes.reduce((s, c) => s + confusion[c.index]![c.index]!, 0) / n,
    examples: n,
    classes,
    macro: average(() => 1, k),
    weighted: average((c) => c.support, n),
    confusion,
    topConfusions: topConfusions(confusion, labels, options.topConfusions ?? 10),
  };
}

/** The `limit` largest off-diagonal cells of a confusion matrix, as a list. */
export function topConfusions(confusion: number[][], labels: readonly string[], limit = 10): Confusion[] {
  if (!Number.isInteger(limit) || limit < 0) {
    throw new ValueError(`topConfusions: limit must be an integer ≥ 0, got ${String(limit)}`);
  }
  const out: Confusion[] = [];
  confusion.forEach((row, t) => {
    const support = row.reduce((s, v) => s + v, 0);
    row.forEach((count, p) => {
      if (p !== t && count > 0)
        out.push({ actual: labels[t]!, predicted: labels[p]!, count, rate: count / support });
    });
  });
  // The sort is stable: equal counts keep row-major order.
  return out.sort((a, b) => b.count - a.count).slice(0, limit);
}

/** How one class fared in a train/validation/test split. */
export interface ClassCoverage {
  index: number;
  label: string;
  train: number;
  val: number;
  test: number;
}

/**
 * The classes a split left out of validation or test (usually classes with too few examples to
 * spread): they are trained on but cannot be evaluated. Empty when every class is everywhere.
 */
export function splitCoverage(
  split: { train: Labels; val: Labels; test: Labels },
  labels: readonly string[],
): ClassCoverage[] {
  if (!Array.isArray(labels) || labels.length === 0) {
    throw new ValueError('splitCoverage: labels must be a non-empty array of class names');
  }
  const count = (y: Labels, name: string): number[] => {
    checkLabels(`split.${name}`, y, labels.length);
    const c = new Array<number>(labels.length).fill(0);
    for (let i = 0; i < y.length; i++) c[y[i]!]!++;
    return c;
  };
  const [train, val, test] = [
    count(split.train, 'train'),
    count(split.val, 'val'),
    count(split.test, 'test'),
  ];
  return labels
    .map((label, index) => ({ index, label, train: train[index]!, val: val[index]!, test: test[index]! }))
    .filter((c) => c.val === 0 || c.test === 0);
}

/** A sentence naming the classes of {@link splitCoverage}, or null when there are none. */
export function describeCoverage(missing: readonly ClassCoverage[]): string | null {
  if (missing.length === 0) return null;
  const parts = missing.map((c) => {
    const total = c.train + c.val + c.test;
    return `${c.label} (${total} example${total === 1 ? '' : 's'}: ${c.train} train, ${c.val} validation, ${c.test} test)`;
  });
  const n = missing.length;
  return `${n} class${n === 1 ? ' has' : 'es have'} too few examples to appear in every split, so ${n === 1 ? 'its' : 'their'} scores are missing from validation or test: ${parts.join('; ')}`;
}
