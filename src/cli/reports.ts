import type { ClassificationReport } from '../train/metrics.js';
import type { NamedMetrics } from '../train/recipes/series-baselines.js';
import type { NamedReport } from '../train/recipes/text-classifier-options.js';
import { type Reporter, round, table } from './reporter.js';

/** How the commands print and log a classifier's or a forecaster's scores beside the baselines. */

function reportRecord(r: ClassificationReport, labels: string[]): Record<string, unknown> {
  const perClass = Object.fromEntries(
    labels.map((l, i) => [
      l,
      {
        precision: round(r.precision[i]!),
        recall: round(r.recall[i]!),
        f1: round(r.f1[i]!),
        support: r.support[i],
      },
    ]),
  );
  return {
    accuracy: round(r.accuracy),
    macroPrecision: round(r.macro.precision),
    macroRecall: round(r.macro.recall),
    macroF1: round(r.macro.f1),
    perClass,
    confusion: r.confusion,
  };
}

/** One event per model (`test` or `eval`), then a table: accuracy, the positive class's scores, macro F1. */
export async function classificationTable(
  reporter: Reporter,
  event: 'test' | 'eval',
  reports: NamedReport[],
  labels: string[],
  examples: number,
  title: string,
): Promise<void> {
  for (const { model, report } of reports)
    await reporter.event({ event, model, examples, ...reportRecord(report, labels) });
  // Binary: the second class (spam, positive…); otherwise the first.
  const positive = labels.length === 2 ? 1 : 0;
  const p = labels[positive];
  reporter.print(title);
  reporter.print(
    table(
      ['model', 'accuracy', `precision(${p})`, `recall(${p})`, `F1(${p})`, 'macro F1'],
      reports.map(({ model, report: r }) => [
        model,
        r.accuracy,
        r.precision[positive]!,
        r.recall[positive]!,
        r.f1[positive]!,
        r.macro.f1,
      ]),
    ),
  );
}

/** One event per model (`test` or `eval`), then a table of MAE, RMSE, MAPE, sMAPE and MASE. */
export async function regressionTable(
  reporter: Reporter,
  event: 'test' | 'eval',
  rows: NamedMetrics[],
  windows: number,
  title: string,
): Promise<void> {
  for (const { model, metrics } of rows) {
    await reporter.event({
      event,
      model,
      windows,
      ...Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, round(v)])),
    });
  }
  reporter.print(title);
  reporter.print(
    table(
      ['model', 'MAE', 'RMSE', 'MAPE', 'sMAPE', 'MASE'],
      rows.map(({ model, metrics: r }) => [model, r.mae, r.rmse, r.mape, r.smape, r.mase]),
    ),
  );
}
