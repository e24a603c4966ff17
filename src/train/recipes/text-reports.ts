import { type MultiClassReport, multiClassReport } from '../class-report.js';
import { type ClassificationReport, classificationReport } from '../metrics.js';

/**
 * A classifier's test report: every class's precision, recall, F1 and support as arrays by class
 * index (`ClassificationReport`) and as named rows with macro and weighted averages and the
 * largest confusions as a list (`MultiClassReport`).
 */
export type TextReport = ClassificationReport & MultiClassReport;

export function textReport(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  labels: readonly string[],
): TextReport {
  const t = Array.from(yTrue);
  const p = Array.from(yPred);
  return { ...classificationReport(t, p, labels.length), ...multiClassReport(t, p, { labels }) };
}

/** The report of predicting the commonest training class (`counts`: training examples per class). */
export function majorityTextReport(
  yTrue: readonly number[],
  counts: readonly number[],
  labels: readonly string[],
): TextReport {
  const majority = counts.length === labels.length ? counts.indexOf(Math.max(...counts)) : 0;
  return textReport(
    yTrue,
    yTrue.map(() => majority),
    labels,
  );
}
