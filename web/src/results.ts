import { $, fillTable, fixed } from './dom.js';
import type { RunResult } from './training.js';

/** The test-set table: the model beside its baselines, the best row marked. */
export function showResults(result: RunResult): void {
  const table = $<HTMLTableElement>('results-table');
  if ('baselineFiles' in result) {
    const rows = result.test.reports.map((r) => [
      r.model,
      fixed(r.report.accuracy),
      fixed(r.report.macro.f1),
      ...r.report.f1.map((f) => fixed(f)),
    ]);
    const acc = result.test.reports.map((r) => r.report.accuracy);
    const header = ['model', 'accuracy', 'macro F1', ...result.labels.map((l) => `F1 ${l}`)];
    fillTable(table, header, rows, acc.indexOf(Math.max(...acc)));
    return;
  }
  // MASE where it is defined (it is undefined when the training series never changes), else MAE.
  const models = result.test.models;
  const rows = models.map((m) => [
    m.name,
    fixed(m.pooled.mae ?? Number.NaN),
    fixed(m.pooled.rmse ?? Number.NaN),
    fixed(m.pooled.mase ?? Number.NaN),
  ]);
  const by = models.map((m) => m.pooled[result.test.verdict.metric] ?? Number.POSITIVE_INFINITY);
  fillTable(table, ['model', 'MAE', 'RMSE', 'MASE'], rows, by.indexOf(Math.min(...by)));
}
