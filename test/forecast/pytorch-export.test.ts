import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSeriesModel } from '../../src/cli/models.js';
import { makeSeries } from '../../src/data/series.js';
import { PYTORCH_SCRIPT_FILE, pytorchFiles } from '../../src/io/pytorch.js';
import type { SequenceForecaster } from '../../src/nn/heads.js';
import { forecastSeries } from '../../src/train/recipes/series-model.js';
import { EXPORT_CASES, type ExportQuery } from './export-cases.js';

/**
 * A forecaster's exported model.py turns raw values into forecasts exactly as kioku does: the
 * target transform, the per-series scaling, calendar features, covariates, the recursive feed
 * and the intervals. fixtures/forecast/export holds each model, its model.py and what PyTorch
 * computed with it (scripts/fixtures_forecaster_export.ts); kioku must still generate that
 * model.py and forecast the same values.
 */

const ROOT = join(import.meta.dirname, '..', '..', 'fixtures', 'forecast', 'export');

interface TorchForecast {
  dates: string[] | null;
  forecast: number[];
  lower: Array<number | null>;
  upper: Array<number | null>;
}

function close(got: number[], want: number[], what: string): void {
  expect(got.length, what).toBe(want.length);
  got.forEach((v, k) => {
    expect(Math.abs(v - want[k]!), `${what} step ${k + 1}: ${v} vs ${want[k]}`).toBeLessThanOrEqual(
      1e-5 * Math.max(1, Math.abs(want[k]!)),
    );
  });
}

/** The query's data as the model's columns (target, then covariates). */
function queryData(columns: string[], q: ExportQuery) {
  if (!q.target) return undefined;
  const rows = q.target.map((v, r) => [v, ...(q.covariates?.[r] ?? [])]);
  return makeSeries(columns, rows, q.dates ? { index: q.dates } : {});
}

describe('the PyTorch export of a forecaster', () => {
  for (const c of EXPORT_CASES) {
    it(`${c.name}: the same model.py, and the forecasts PyTorch made with it`, async () => {
      const dir = join(ROOT, c.name);
      const opened = await loadSeriesModel(join(dir, 'model'));
      const series = (opened.config as unknown as { series: { target: string; covariates: string[] } })
        .series;
      const files = pytorchFiles(opened.model as SequenceForecaster, { series });
      expect(files[PYTORCH_SCRIPT_FILE]).toBe(readFileSync(join(dir, 'model', PYTORCH_SCRIPT_FILE), 'utf8'));
      const torch = JSON.parse(readFileSync(join(dir, 'torch.json'), 'utf8')) as TorchForecast[];
      for (const [i, q] of c.queries.entries()) {
        const data = queryData([series.target, ...series.covariates], q);
        const r = await forecastSeries(opened, { steps: q.steps, ...(data ? { series: data } : {}) });
        const rows = r.rows.filter((x) => x.series === (q.series ?? null));
        const want = torch[i]!;
        const what = `${c.name} query ${i + 1}`;
        close(
          rows.map((x) => x.value),
          want.forecast,
          what,
        );
        expect(rows.map((x) => x.date)).toEqual(want.dates ?? rows.map(() => null));
        const band = want.lower.filter((v) => v !== null).length;
        expect(band, what).toBeGreaterThan(0);
        close(
          rows.slice(0, band).map((x) => x.lower!),
          want.lower.slice(0, band) as number[],
          `${what} lower`,
        );
        close(
          rows.slice(0, band).map((x) => x.upper!),
          want.upper.slice(0, band) as number[],
          `${what} upper`,
        );
      }
    });
  }
});
