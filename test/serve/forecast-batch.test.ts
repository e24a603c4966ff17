import { beforeAll, describe, expect, it } from 'vitest';
import { sliceRows, type TimeSeries } from '../../src/data/series.js';
import { seattleWeather } from '../../src/io/datasets/builtin.js';
import { ValueError } from '../../src/tensor/errors.js';
import { forecastSeries, type OpenedModel, trainForecaster } from '../../src/train/recipes/index.js';
import { forecastServing } from '../../src/train/recipes/serving-forecast.js';

/**
 * Batched forecasting: the windows of many series (each its own length and steps) run as the rows
 * of the same forwards, recursive steps of all rows together, and every series gets what it gets
 * alone — for a direct multi-step model and a recursive one with a differenced target. A batch of
 * one is exactly the series alone; in a larger batch a window's rows sit elsewhere in the matrix
 * products' tiles, which sum in another order, so its forecasts are equal to float32 rounding.
 */

let seattle: TimeSeries;
const models: Record<'direct' | 'recursive', OpenedModel> = {} as never;

beforeAll(async () => {
  seattle = await seattleWeather();
  const common = {
    series: seattle,
    target: 'temp_max',
    testFrom: '2015-01-01',
    lookback: 14,
    hidden: 8,
    epochs: 1,
    batch: 64,
    calendar: true,
  };
  const direct = await trainForecaster({ ...common, horizon: 2 });
  const recursive = await trainForecaster({
    ...common,
    horizon: 3,
    strategy: 'recursive',
    transform: 'difference',
  });
  models.direct = { model: direct.model, config: direct.config, where: 'direct' };
  models.recursive = { model: recursive.model, config: recursive.config, where: 'recursive' };
}, 120_000);

/** Series of different lengths ending at different rows, each with its own steps (past the horizon). */
function requests(lookback: number, ends = [120, 400, 401, 777, 1000, 1300, 1461]) {
  return ends.map((end, i) => ({
    series: sliceRows(seattle, end - lookback - 3 * i, end),
    steps: 1 + ((i * 3) % 8),
  }));
}

type Result = ReturnType<ReturnType<typeof forecastServing>['forecast']>[number];

/** Equal but for float32 rounding in the network (a value's relative difference ≤ 1e-6). */
function expectRounding(got: Result, want: Result): void {
  expect({ ...got, rows: got.rows.map((r) => r.step) }).toEqual({
    ...want,
    rows: want.rows.map((r) => r.step),
  });
  got.rows.forEach((r, k) => {
    const w = want.rows[k]!;
    expect(r.date).toBe(w.date);
    for (const key of ['value', 'lower', 'upper'] as const) {
      expect(Math.abs(r[key]! - w[key]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(w[key]!)));
    }
  });
}

describe('batched forecasting', () => {
  for (const kind of ['direct', 'recursive'] as const) {
    it(`${kind}: forecasts many series together as each alone, to float32 rounding`, async () => {
      const serving = forecastServing(models[kind]);
      const batch = requests(serving.lookback);
      const together = serving.forecast(batch);
      for (const [i, r] of batch.entries()) {
        const alone = await forecastSeries(models[kind], r);
        expect(together[i]!.rows).toHaveLength(r.steps);
        expectRounding(together[i]!, alone);
        // a batch of one is exactly the series alone
        expect(serving.forecast([r])[0]).toEqual(alone);
      }
    }, 60_000);
  }

  it('steps sessions together as each alone, to float32 rounding', () => {
    const serving = forecastServing(models.recursive);
    const starts = [30, 500, 900, 1200];
    const chunk = (s: number, round: number) =>
      sliceRows(seattle, starts[s]! + round * 5, starts[s]! + round * 5 + 5);
    const steps = [1, 3, 2, 3];
    let together = starts.map(() => null) as Parameters<typeof serving.step>[1];
    let apart = [...together];
    const result = { target: 'temp_max', level: null, histories: [], saved: [] };
    for (const round of [0, 1, 2, 3]) {
      const chunks = starts.map((_, s) => chunk(s, round));
      const batch = serving.step(chunks, together, steps);
      const alone = chunks.map((c, s) => serving.step([c], [apart[s]!], [steps[s]!]));
      batch.forecasts.forEach((rows, s) => {
        const want = alone[s]!.forecasts[0]!;
        expectRounding({ ...result, rows }, { ...result, rows: want });
      });
      expect(batch.states).toEqual(alone.map((a) => a.states[0]));
      // A session keeps the last rows a forecast reads (its lookback), and their dates: no more.
      batch.states.forEach((state, s) => {
        const end = starts[s]! + round * 5 + 5;
        const kept = sliceRows(seattle, Math.max(starts[s]!, end - serving.lookback), end);
        expect(state.values).toEqual(kept.values);
        expect(state.dates).toEqual(kept.index);
      });
      together = batch.states;
      apart = alone.map((a) => a.states[0]!);
    }
  });

  it('refuses a series too short with the message it gets alone', async () => {
    const serving = forecastServing(models.direct);
    const short = { series: sliceRows(seattle, 0, serving.lookback - 1), steps: 2 };
    const alone = await forecastSeries(models.direct, short).catch((e: unknown) => e);
    expect(alone).toBeInstanceOf(ValueError);
    expect(() => serving.forecast([requests(serving.lookback)[0]!, short])).toThrow(alone as ValueError);
  });
});
