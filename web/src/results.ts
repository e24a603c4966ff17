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
  const rows = result.test.metrics.map((m) => [
    m.model,
    fixed(m.metrics.mae),
    fixed(m.metrics.rmse),
    fixed(m.metrics.mase),
  ]);
  const mae = result.test.metrics.map((m) => m.metrics.mae);
  fillTable(table, ['model', 'MAE', 'RMSE', 'MASE'], rows, mae.indexOf(Math.min(...mae)));
}
