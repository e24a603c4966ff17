import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors.js';
import { makePanel } from '../../src/data/panel.js';
import { makeSeries, type TimeSeries } from '../../src/data/series.js';
import { ValueError } from '../../src/tensor/errors.js';
import {
  evaluateForecaster,
  type ForecasterOptions,
  forecastSeries,
  MemoryStore,
  trainForecaster,
} from '../../src/train/recipes/index.js';

/**
 * trainForecaster on series built here, each showing one property: a trend that leaves the
 * training range (why levels fail and the automatic transform does not), a constant training
 * target (scores degrade to "undefined" with a reason, the model is still saved), a panel of
 * series on different scales (one model, per-series scaling and scores), and the options.
 */

const day = (i: number) => new Date(Date.UTC(2000, 0, 1 + i)).toISOString().slice(0, 10);
const month = (i: number) => `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-01`;

/** A deterministic noise in [−1, 1]. */
const noise = (i: number) => Math.sin(i * 12.9898 + 78.233) * 0.5 + Math.sin(i * 4.1414) * 0.5;

function series(values: number[], dates: (i: number) => string, column = 'y'): TimeSeries {
  return makeSeries(
    [column],
    values.map((v) => [v]),
    { index: values.map((_, i) => dates(i)) },
  );
}

const quick = (more: Partial<ForecasterOptions> & Pick<ForecasterOptions, 'series'>): ForecasterOptions => ({
  target: 'y',
  lookback: 12,
  hidden: 8,
  epochs: 30,
  batch: 16,
  ...more,
});

describe('a trending monthly series', () => {
  // Twelve years of a steady rise with a yearly wave: the test years lie above every training value.
  const values = Array.from(
    { length: 144 },
    (_, t) => 100 + 2 * t + 10 * Math.sin((2 * Math.PI * t) / 12) + 2 * noise(t),
  );
  const trend = series(values, month);

  it('levels leave the network to extrapolate; the automatic transform forecasts from the last value', async () => {
    const levels = await trainForecaster(quick({ series: trend, transform: 'none' }));
    const auto = await trainForecaster(quick({ series: trend }));
    expect(auto.test.horizon).toBe(1);
    expect(auto.config.series).toMatchObject({ transform: { kind: 'seasonal-difference', period: 12 } });
    const mase = (r: typeof auto) => r.test.models[0]!.pooled.mase!;
    // Scaled on the training range, the network cannot reach the test range's levels.
    const first = levels.test.forecasts;
    expect(first.actual[0]! - first.predicted.lstm![0]!).toBeGreaterThan(20);
    expect(mase(levels)).toBeGreaterThan(2 * mase(auto));
    // Seasonal differences carry the trend and the season forward: the network beats persistence.
    const naive = auto.test.models.find((m) => m.name === 'naive')!.pooled.mase!;
    expect(mase(auto)).toBeLessThan(naive);
    expect(levels.test.verdict.warning).toMatch(/^the network loses to .* try --transform/);
  }, 60_000);
});

describe('a target that is constant in the training split', () => {
  it('trains and saves the model; MASE is undefined with its reason and the verdict uses MAE', async () => {
    const values = Array.from({ length: 200 }, (_, i) => (i < 150 ? 5 : 5 + (i % 3)));
    const store = new MemoryStore({ charts: false });
    const r = await trainForecaster(quick({ series: series(values, day), epochs: 2, store }));
    expect(store.models.has('model')).toBe(true);
    const model = r.test.models[0]!.pooled;
    expect(model.mase).toBeUndefined();
    expect(model.reasons.mase).toBe(
      "the training series never changes at lag 7, so MASE's scale (the in-sample seasonal-naive MAE) is 0",
    );
    expect(model.mae).toBeGreaterThan(0);
    expect(r.test.verdict.metric).toBe('mae');
    expect(r.config.series).toMatchObject({ transform: { kind: 'none' } });
  }, 60_000);
});

describe('a panel of series', () => {
  // Three random walks with drift on scales 1, 10 and 100.
  const walk = (scale: number, seed: number) => {
    const out = [scale * 10];
    for (let i = 1; i < 120; i++) out.push(out[i - 1]! + scale * (0.2 + noise(i * seed)));
    return series(out, month, 'price');
  };
  const panel = makePanel('symbol', ['A', 'B', 'C'], [walk(1, 1), walk(10, 2), walk(100, 3)]);

  it('trains one model with per-series scaling, scores each series and pools them', async () => {
    const r = await trainForecaster({ series: panel, target: 'price', lookback: 12, hidden: 8, epochs: 3 });
    const c = r.config.series as { seriesColumn: string; members: Array<{ id: string; unit: number }> };
    expect(c.seriesColumn).toBe('symbol');
    expect(c.members.map((m) => m.id)).toEqual(['A', 'B', 'C']);
    // Each series has its own unit (MASE's scale), growing with its scale.
    const [a, b, cc] = c.members.map((m) => m.unit);
    expect(b! / a!).toBeGreaterThan(3);
    expect(cc! / b!).toBeGreaterThan(3);
    expect(r.test.members.map((m) => m.name)).toEqual(['symbol A', 'symbol B', 'symbol C']);
    for (const m of r.test.models) {
      const mean = m.members.reduce((s, x) => s + x!.mase!, 0) / 3;
      expect(m.pooled.mase).toBeCloseTo(mean, 10);
    }
    const opened = { model: r.model, config: r.config };
    const f = await forecastSeries(opened, { steps: 2 });
    expect(f.rows.map((x) => `${x.series} ${x.step}`)).toEqual(['A 1', 'A 2', 'B 1', 'B 2', 'C 1', 'C 2']);
    const other = makePanel('symbol', ['A', 'D'], [walk(1, 1), walk(1, 4)]);
    await expect(evaluateForecaster(opened, { series: other })).rejects.toThrow(
      'data data: series "D" is not one "model" was trained on (A, B, C)',
    );
    await expect(evaluateForecaster(opened, { series: walk(1, 1) })).rejects.toThrow(
      'data data: "model" forecasts several series; the data needs its series column "symbol"',
    );
  }, 60_000);
});

describe('forecaster options', () => {
  const weekly = series(
    Array.from({ length: 120 }, (_, i) => 10 + (i % 7) + noise(i)),
    day,
  );

  it('a recursive model predicts one step and feeds it back over the horizon', async () => {
    const r = await trainForecaster(quick({ series: weekly, strategy: 'recursive', horizon: 5, epochs: 2 }));
    expect(r.model.settings.horizon).toBe(1);
    expect(r.config.series).toMatchObject({ horizon: 1, steps: 5, strategy: 'recursive' });
    expect(r.test.horizon).toBe(5);
    const f = await forecastSeries({ model: r.model, config: r.config });
    expect(f.rows).toHaveLength(7);
  }, 60_000);

  it('refuses a transform the data cannot take, and an unparseable date naming its row', async () => {
    const flat = makeSeries(
      ['y'],
      Array.from({ length: 60 }, (_, i) => [i % 5]),
    );
    await expect(trainForecaster(quick({ series: flat, transform: 'seasonal-difference' }))).rejects.toThrow(
      new ValueError('transform seasonal-difference needs a season: the data has none, pass season'),
    );
    await expect(trainForecaster(quick({ series: flat, transform: 'log-difference' }))).rejects.toThrow(
      new ValueError('transform log-difference needs positive values; y has values ≤ 0'),
    );
    const dates = weekly.index!.map((d, i) => (i === 9 ? '2000-02-30' : d));
    const bad = makeSeries(['y'], weekly.values, { index: dates });
    const e = await trainForecaster(quick({ series: bad })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    expect((e as Error).message).toMatch(/^column "date": row 10: unparseable date "2000-02-30"/);
  });
});
