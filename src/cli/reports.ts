import type { NamedReport } from '../train/recipes/text-classifier-options.js';
import type { TextReport } from '../train/recipes/text-reports.js';
import { type Reporter, round, table } from './reporter.js';

/** How the commands print and log a classifier's scores beside the baselines (series-reports.ts: a forecaster's). */

function reportRecord(r: TextReport): Record<string, unknown> {
  const perClass = Object.fromEntries(
    r.classes.map((c) => [
      c.label,
      { precision: round(c.precision), recall: round(c.recall), f1: round(c.f1), support: c.support },
    ]),
  );
  const averages = (a: { precision: number; recall: number; f1: number }) => ({
    precision: round(a.precision),
    recall: round(a.recall),
    f1: round(a.f1),
  });
  return {
    accuracy: round(r.accuracy),
    macroPrecision: round(r.macro.precision),
    macroRecall: round(r.macro.recall),
    macroF1: round(r.macro.f1),
    weighted: averages(r.weighted),
    perClass,
    confusion: r.confusion,
    topConfusions: r.topConfusions.map((c) => ({ ...c, rate: round(c.rate) })),
  };
}

/** What may lower the unknown tokens' share, by what the tokens are and the command that trains. */
const UNKNOWN_HINTS = {
  word: 'a larger --vocab-size or a lower --min-freq may help; texts without spaces read better with --tokenizer char',
  lm: 'a larger --vocab-size for kioku train lm may help',
  char: 'characters the training texts never had: another alphabet, or symbols',
} as const;

/** Warns when more than a fifth of the evaluated tokens are unknown to the vocabulary. */
export function warnUnknown(
  reporter: Reporter,
  rate: number,
  where: string,
  tokens: keyof typeof UNKNOWN_HINTS,
): void {
  if (rate > 0.2) {
    reporter.warn(
      `${(100 * rate).toFixed(1)}% of the ${where} tokens are unknown to the vocabulary (${UNKNOWN_HINTS[tokens]})`,
    );
  }
}

/** Classes listed one per row; beyond this the table keeps the lowest F1s. */
const CLASS_ROWS = 50;

function perClassTable(reporter: Reporter, model: string, r: TextReport): void {
  // A class with no test example has F1 0 by convention: it is not among the weakest.
  const tested = r.classes.filter((c) => c.support > 0);
  const untested = r.classes.length - tested.length;
  const shown = r.classes.length <= CLASS_ROWS ? r.classes : tested.sort((a, b) => a.f1 - b.f1).slice(0, 20);
  const which =
    shown.length < r.classes.length
      ? `, the ${shown.length} lowest F1 of ${r.classes.length}${untested > 0 ? `; ${untested} without test examples left out` : ''}`
      : '';
  reporter.print(`Per class (${model}${which}):`);
  reporter.print(
    table(
      ['class', 'precision', 'recall', 'F1', 'support'],
      [
        ...shown.map((c) => [c.label, c.precision, c.recall, c.f1, String(c.support)]),
        ['macro avg', r.macro.precision, r.macro.recall, r.macro.f1, String(r.examples)],
        ['weighted avg', r.weighted.precision, r.weighted.recall, r.weighted.f1, String(r.examples)],
      ],
    ),
  );
  if (r.topConfusions.length > 0) {
    reporter.print(`Top confusions (${model}):`);
    for (const c of r.topConfusions.slice(0, 10)) {
      reporter.print(
        `  ${c.actual} → ${c.predicted}: ${c.count} (${(100 * c.rate).toFixed(1)}% of ${c.actual})`,
      );
    }
  }
}

/** Which model scored the best test accuracy, said plainly (the first report is the trained model). */
export function verdict(reports: readonly NamedReport[]): string {
  const [first, ...rest] = reports;
  if (!first || rest.length === 0) return '';
  const best = rest.reduce((a, b) => (b.report.accuracy > a.report.accuracy ? b : a));
  const acc = (r: NamedReport) => r.report.accuracy.toFixed(4);
  // Matching the majority class is no result, however the other baselines did.
  const majority = rest.find((r) => r.model === 'majority');
  if (majority && first.report.accuracy <= majority.report.accuracy) {
    return `${first.model} does no better than always answering the most frequent class (accuracy ${acc(first)}, majority ${acc(majority)}): it learned nothing beyond the labels' frequencies.`;
  }
  if (first.report.accuracy === best.report.accuracy) {
    return `${first.model} tied the ${best.model} baseline on accuracy (${acc(first)}).`;
  }
  const noise = withinNoise(first.report, best.report);
  if (first.report.accuracy > best.report.accuracy) {
    return `${first.model} scored the best accuracy (${acc(first)}; best baseline ${best.model} ${acc(best)}).${noise}`;
  }
  return `The ${best.model} baseline beat ${first.model} on accuracy (${acc(best)} vs ${acc(first)}).${noise}`;
}

/**
 * A sentence when two accuracies on the same test set differ by less than two standard errors of
 * their difference (each a binomial proportion; treating them as independent overstates the error
 * of paired predictions, so a difference called noise here may still be real, never the reverse of
 * a clear one): a lead of a few examples that another seed or rounding can reverse.
 */
function withinNoise(
  a: { accuracy: number; examples?: number },
  b: { accuracy: number; examples?: number },
): string {
  const n = a.examples;
  if (!n || n !== b.examples) return '';
  const variance = (p: number) => (p * (1 - p)) / n;
  const se = Math.sqrt(variance(a.accuracy) + variance(b.accuracy));
  const diff = Math.abs(a.accuracy - b.accuracy);
  if (diff >= 2 * se) return '';
  const count = Math.round(diff * n);
  return ` The difference, ${count} of ${n} test examples, is within the noise of a test set this size (${(diff / se).toFixed(1)} standard errors): another seed can reverse it.`;
}

/**
 * One event per model (`test` or `eval`), then a table of accuracy and macro/weighted scores
 * (and the positive class's F1 when there are two classes), the trained model's per-class scores
 * and largest confusions, and which model won.
 */
export async function classificationTable(
  reporter: Reporter,
  event: 'test' | 'eval',
  reports: NamedReport[],
  labels: string[],
  examples: number,
  title: string,
): Promise<void> {
  for (const { model, report } of reports)
    await reporter.event({ event, model, examples, ...reportRecord(report) });
  // Binary: the second class (spam, positive…) is the one a single F1 is about.
  const positive = labels.length === 2 ? [`F1(${labels[1]})`] : [];
  reporter.print(title);
  reporter.print(
    table(
      ['model', 'accuracy', 'macro P', 'macro R', 'macro F1', 'weighted F1', ...positive],
      reports.map(({ model, report: r }) => [
        model,
        r.accuracy,
        r.macro.precision,
        r.macro.recall,
        r.macro.f1,
        r.weighted.f1,
        ...(positive.length > 0 ? [r.classes[1]!.f1] : []),
      ]),
    ),
  );
  if (reports[0]) perClassTable(reporter, reports[0].model, reports[0].report);
  const said = verdict(reports);
  if (said) reporter.print(said);
}
