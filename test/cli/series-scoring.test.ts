import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeSeries } from '../../src/data/series.js';
import { packageDir } from '../../src/io/datasets/files.js';
import { etsBaseline } from '../../src/train/baselines/auto-ets.js';
import { fitEts } from '../../src/train/baselines/ets-fit.js';
import { fitStandardBaselines, MAX_ETS_ROWS } from '../../src/train/baselines/standard.js';
import { MemoryStore, trainForecaster } from '../../src/train/recipes/index.js';
import { CHART_ORIGINS, MAX_SCORED_VALUES } from '../../src/train/recipes/series-evaluation.js';
import { kioku } from '../helpers/cli.js';

/**
 * Scoring a long series: exponential smoothing fitted on the last MAX_ETS_ROWS training values
 * and forecasting every origin in one pass, the test chart holding its last origins, and the
 * CLI saying what it does between the last epoch and the report.
 */

/** A seeded random walk with a little drift. */
function walk(n: number): number[] {
  let state = 12345;
  const rand = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31 - 0.5;
  };
  const y: number[] = [];
  let v = 100;
  for (let i = 0; i < n; i++) y.push((v += 0.01 + rand()));
  return y;
}

describe('exponential smoothing on a long training split', () => {
  const y = Float64Array.from(walk(MAX_ETS_ROWS + 500));

  it('is fitted on the last MAX_ETS_ROWS values and forecasts later origins from them', () => {
    const set = fitStandardBaselines(y);
    expect(set.notes).toContain(
      `exponential smoothing is fitted on the last ${MAX_ETS_ROWS} of ${MAX_ETS_ROWS + 500} training values`,
    );
    const tail = y.subarray(500);
    const direct = etsBaseline(fitEts(tail, set.ets!.best.spec), tail);
    const ets = set.baselines.find((b) => b.name.startsWith('ETS'))!;
    expect(ets.trainLength).toBe(y.length);
    expect(ets.firstOrigin).toBe(501);
    const origins = [501, 5000, y.length];
    const rows = ets.forecastAt(y, origins, 3);
    expect(rows).toEqual(direct.forecastAt(tail, [1, 4500, tail.length], 3));
    expect(ets.forecast(3)).toEqual(rows[2]);
  });

  it('forecasts every origin in one pass exactly as origin by origin', () => {
    const tail = y.subarray(0, 3000);
    const fit = fitEts(tail, { trend: 'damped', season: 'none', period: 1 });
    const b = etsBaseline(fit, tail);
    const origins = [2, 10, 1500, 2999, 3000];
    const together = b.forecastAt(tail, origins, 4);
    expect(together).toEqual(origins.map((o) => b.forecastAt(tail, [o], 4)[0]));
  });
});

/** A one-epoch forecaster of hidden size 2 on a random walk of n values. */
async function tinyForecaster(n: number, horizon?: number) {
  const series = makeSeries(
    ['y'],
    walk(n).map((v) => [v]),
  );
  const result = await trainForecaster({
    series,
    target: 'y',
    lookback: 4,
    hidden: 2,
    ...(horizon !== undefined ? { horizon } : {}),
    epochs: 1,
    batch: 1024,
    store: new MemoryStore(),
  });
  return { series, result };
}

describe('trainForecaster on a long series', () => {
  it('charts the last CHART_ORIGINS test origins and notes where ETS was fitted', async () => {
    const n = Math.ceil(MAX_ETS_ROWS / 0.7) + 1000;
    const { series, result } = await tinyForecaster(n);
    const test = result.test;
    expect(test.origins).toBeGreaterThan(CHART_ORIGINS);
    expect(test.forecasts.x).toHaveLength(CHART_ORIGINS);
    expect(test.forecasts.x.at(-1)).toBe(n - 1);
    expect(test.forecasts.actual.at(-1)).toBeCloseTo(series.values[n - 1]!, 4);
    expect(test.notes.some((t) => t.startsWith('exponential smoothing is fitted on the last 10000 of'))).toBe(
      true,
    );
  }, 120_000);
});

describe('trainForecaster with more origins × steps than it scores', () => {
  it('scores evenly spaced origins and says which share', async () => {
    const n = 40_000;
    const horizon = 600;
    const { result } = await tinyForecaster(n, horizon);
    const test = result.test;
    const all = test.span.end - test.span.start - horizon + 1;
    const stride = Math.ceil((all * horizon) / MAX_SCORED_VALUES);
    expect(stride).toBeGreaterThan(1);
    expect(test.origins).toBe(Math.ceil(all / stride));
    expect(test.notes).toContain(
      `1 in ${stride} of the split's ${all.toLocaleString('en-US')} origins is scored, so origins × ${horizon} steps stay within 4,000,000 forecasts`,
    );
  }, 120_000);
});

describe('kioku train series', () => {
  it('says it is scoring after the last epoch', async () => {
    const out = await mkdtemp(join(tmpdir(), 'kioku-scoring-'));
    const data = join(packageDir('vega-datasets', 'scoring test'), 'data', 'iowa-electricity.csv');
    const flags = ['--date-col', 'year', '--series-col', 'source', '--target', 'net_generation'];
    const r = await kioku(
      'train',
      'series',
      '--data',
      data,
      ...flags,
      '--lookback',
      '4',
      '--hidden',
      '2',
      '--epochs',
      '1',
      '--out',
      out,
    );
    await rm(out, { recursive: true, force: true });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    const epoch = lines.findIndex((l) => l.startsWith('lstm epoch 1/1'));
    expect(lines[epoch + 1]).toBe(
      'scoring lstm beside the baselines on the test split (fitting exponential smoothing first)…',
    );
  }, 60_000);
});
