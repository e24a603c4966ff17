import { beforeAll, describe, expect, it } from 'vitest';
import type { TimeSeries } from '../../src/data/series.js';
import { seattleWeather } from '../../src/io/datasets/builtin.js';
import { modelFromConfig } from '../../src/nn/heads.js';
import { ValueError } from '../../src/tensor/errors.js';
import {
  evaluateForecaster,
  type ForecasterEvent,
  type ForecasterOptions,
  type ForecasterResult,
  forecastCsv,
  forecastSeries,
  MemoryStore,
  type SeriesConfig,
  seriesReadOptions,
  trainForecaster,
} from '../../src/train/recipes/index.js';

/**
 * trainForecaster on the built-in Seattle weather, called as a library: its split, transform
 * and events, its scores against baselines computed independently, forecasts and intervals from
 * the returned and the saved model, evaluation of each split, and a run stopped by its signal
 * (saved as interrupted) and resumed from its checkpoint.
 */

let seattle: TimeSeries;
const small = (more: Partial<ForecasterOptions> = {}): ForecasterOptions => ({
  series: seattle,
  dataName: 'seattle-weather',
  target: 'temp_max',
  testFrom: '2015-01-01',
  lookback: 14,
  hidden: 8,
  epochs: 3,
  batch: 64,
  ...more,
});

beforeAll(async () => {
  seattle = await seattleWeather();
});

describe('trainForecaster', () => {
  let store: MemoryStore;
  let events: ForecasterEvent[];
  let result: ForecasterResult;
  const F = () => seattle.columns.length;
  const y = (r: number) => seattle.values[r * F() + seattle.columns.indexOf('temp_max')]!;
  /** Test origins: 2015 (rows 1096…) with the 7 steps inside the data. */
  const origins = () => Array.from({ length: 1461 - 7 - 1096 + 1 }, (_, i) => 1096 + i);

  beforeAll(async () => {
    store = new MemoryStore();
    events = [];
    result = await trainForecaster(small({ store, onEvent: (e) => void events.push(e) }));
  }, 60_000);

  it('splits in time, reads the dates and picks the transform and the calendar inputs', () => {
    // 1096 rows before 2015: validation is the last 110 of them.
    expect(events[0]).toEqual({
      type: 'series-data',
      rows: 1461,
      series: 1,
      columns: ['temp_max', 'precipitation', 'temp_min', 'wind', 'day-of-year_sin', 'day-of-year_cos'],
      target: 'temp_max',
      train: { start: 0, end: 986, from: '2012-01-01', to: '2014-09-12' },
      val: { start: 986, end: 1096, from: '2014-09-13', to: '2014-12-31' },
      test: { start: 1096, end: 1461, from: '2015-01-01', to: '2015-12-31' },
      frequency: 'daily (median spacing 1 day)',
      season: 7,
      horizon: 7,
      strategy: 'direct',
      transform: 'none',
      transformReason: 'none: the level looks stationary (ADF -2.94 < -2.86, KPSS 0.375 < 0.463)',
      lookback: 14,
      lookbackReason: null,
      calendar: ['day-of-year'],
      calendarReason: 'day-of-year (day-of-week left out: the training rows show no season of 7)',
      schedule: 'plateau: the rate halves after 2 epochs without a better validation error',
    });
    const epochs = events.filter((e) => e.type === 'epoch').map((e) => (e.type === 'epoch' ? e.epoch : 0));
    expect(epochs).toEqual([1, 2, 3]);
    // Windows end where validation begins: origins 14 … 986 − 7, in batches of 64.
    const perEpoch = events.filter((e) => e.type === 'batch' && e.epoch === 1);
    expect(perEpoch).toHaveLength(Math.ceil((986 - 7 - 14 + 1) / 64));
    for (const e of events) expect(structuredClone(e)).toEqual(e);
  });

  it('scores the model and each baseline on the same origins and steps, as computed here', () => {
    const t = result.test;
    const by = Object.fromEntries(t.models.map((m) => [m.name.replace(/^ETS: .*/, 'ETS'), m]));
    expect(Object.keys(by)).toEqual(['lstm', 'naive', 'seasonal naive (m=7)', 'drift', 'ETS', 'naive2']);
    expect([t.split, t.horizon, t.origins]).toEqual(['test', 7, origins().length]);
    // Persistence repeats the day before the origin; seasonal naive the same weekday a week back;
    // drift adds the training split's mean change per step. MASE divides by the in-sample MAE of
    // seasonal naive on the training split.
    let naive = 0;
    let weekly = 0;
    let drift = 0;
    const slope = (y(985) - y(0)) / 985;
    for (const o of origins()) {
      for (let k = 0; k < 7; k++) {
        naive += Math.abs(y(o + k) - y(o - 1));
        weekly += Math.abs(y(o + k) - y(o - 7 + k));
        drift += Math.abs(y(o + k) - y(o - 1) - (k + 1) * slope);
      }
    }
    const n = origins().length * 7;
    let scale = 0;
    for (let r = 7; r < 986; r++) scale += Math.abs(y(r) - y(r - 7));
    scale /= 986 - 7;
    expect(by.naive!.pooled.mae).toBeCloseTo(naive / n, 4);
    expect(by['seasonal naive (m=7)']!.pooled.mae).toBeCloseTo(weekly / n, 4);
    expect(by.drift!.pooled.mae).toBeCloseTo(drift / n, 4);
    expect(by.naive!.pooled.mase).toBeCloseTo(naive / n / scale, 4);
    // The model's first step at each origin is what the chart shows.
    const f = t.forecasts;
    const first = f.actual.reduce((s, v, i) => s + Math.abs(v - f.predicted.lstm![i]!), 0) / f.actual.length;
    expect(by.lstm!.perStep[0]!.mae).toBeCloseTo(first, 4);
    expect(f.x[0]).toBe('2015-01-01');
    // The verdict compares MASE with the best baseline.
    const best = Math.min(...t.models.slice(1).map((m) => m.pooled.mase!));
    expect(t.verdict.metric).toBe('mase');
    expect(t.verdict.ratio).toBeCloseTo(by.lstm!.pooled.mase! / best, 10);
  });

  it('saves the model, history and charts; the saved model forecasts what the returned one does', async () => {
    expect(result.saved).toEqual({
      model: 'model',
      files: ['history.json', 'training-curves.svg', 'forecast-test.svg'],
    });
    expect(store.charts.get('forecast-test')).toMatch(/^<svg/);
    const files = store.models.get('model')!;
    expect(files.trainingState).toBeUndefined();
    const saved = modelFromConfig(files.config.architecture);
    saved.loadStateDict(files.stateDict);
    saved.eval();
    const fromStore = await forecastSeries({ model: saved, config: files.config }, { steps: 3 });
    const fromResult = await forecastSeries({ model: result.model, config: result.config }, { steps: 3 });
    expect(fromStore.rows).toEqual(fromResult.rows);
    // The forecast continues the training data's dates; intervals cover the calibrated steps.
    expect(fromResult.rows.map((r) => r.date)).toEqual(['2016-01-01', '2016-01-02', '2016-01-03']);
    const iv = result.intervals!;
    expect(iv.level).toBe(0.8);
    for (const [k, r] of fromResult.rows.entries()) {
      expect(r.lower).toBeCloseTo(
        r.value + iv.lower[k]! * (result.config.series as SeriesConfig).members[0]!.unit,
        6,
      );
    }
    expect(forecastCsv(fromResult).split('\n')[0]).toBe('step,date,temp_max,lower,upper');
    // Steps default to one season.
    expect((await forecastSeries({ model: result.model, config: result.config })).rows).toHaveLength(7);
  });

  it('forecasts from the end of given data, and evaluates each split as training did', async () => {
    const opened = { model: result.model, config: result.config };
    expect(seriesReadOptions(opened)).toEqual({
      columns: ['temp_max', 'precipitation', 'temp_min', 'wind'],
      missing: 'error',
      dateColumn: null,
      seriesColumn: null,
    });
    const out = new MemoryStore();
    const f = await forecastSeries(opened, { steps: 2, series: seattle, store: out });
    expect(f.histories[0]!.index!.at(-1)).toBe('2015-12-31');
    expect(f.saved).toEqual(['forecast.csv', 'forecast.svg']);
    expect(out.files.get('forecast.csv')).toBe(`${forecastCsv(f)}\n`);
    const test = await evaluateForecaster(opened, { series: seattle });
    expect(test.models.map((m) => m.pooled)).toEqual(result.test.models.map((m) => m.pooled));
    const val = await evaluateForecaster(opened, { series: seattle, split: 'val' });
    expect([val.split, val.origins]).toEqual(['val', 1096 - 7 - 986 + 1]);
    expect(val.span).toEqual({ start: 986, end: 1096, from: '2014-09-13', to: '2014-12-31' });
    await expect(evaluateForecaster(opened, { series: seattle, split: 'later' as never })).rejects.toThrow(
      'split must be one of test, val, train, all, got "later"',
    );
  });
});

describe('trainForecaster stopped and resumed', () => {
  it('resumes from its newest checkpoint to the same weights as a run that went through', async () => {
    const through = await trainForecaster(small({ seed: 4 }));

    const store = new MemoryStore({ charts: false });
    const controller = new AbortController();
    const first = await trainForecaster(
      small({
        seed: 4,
        store,
        checkpointEvery: 5,
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'batch' && e.epoch === 2 && e.batch === 12) controller.abort();
        },
      }),
    );
    expect(first.fit.stopReason).toBe('aborted');
    // Checkpoints after epoch 1 (16 batches) and inside epoch 2 (batches 5 and 10).
    expect((await store.checkpoints.list()).map((c) => c.step)).toEqual([21, 26]);
    // The interrupted run still saved its best model, marked as interrupted, and scored the baselines.
    expect(store.models.get('model')!.trainingState!.state).toEqual({
      interrupted: true,
      stopReason: 'aborted',
      epochs: 1,
      bestEpoch: 1,
    });
    expect(first.test.models.map((m) => m.pooled.mase).every((v) => v !== undefined)).toBe(true);

    const events: ForecasterEvent[] = [];
    const resume = store.checkpoints.latest()!;
    const second = await trainForecaster(
      small({ seed: 4, store, resume, onEvent: (e) => void events.push(e) }),
    );
    expect(events.find((e) => e.type === 'resumed')).toMatchObject({
      model: 'lstm',
      where: 'checkpoint-26',
      epoch: 1,
      epochs: 3,
      batch: 10,
    });
    expect(second.fit.stopReason).toBe('completed');
    expect(second.fit.history.loss).toEqual(through.fit.history.loss);
    const a = through.model.stateDict();
    const b = second.model.stateDict();
    for (const [k, t] of Object.entries(a)) expect(Array.from(b[k]!.f32), k).toEqual(Array.from(t.f32));
  }, 60_000);

  it("starts afresh: a new run's checkpoints replace an earlier run's in the same store", async () => {
    const store = new MemoryStore({ charts: false });
    await trainForecaster(small({ epochs: 2, store }));
    expect((await store.checkpoints.list()).map((c) => c.step)).toEqual([16, 32]);
    await trainForecaster(small({ epochs: 1, store }));
    expect((await store.checkpoints.list()).map((c) => c.step)).toEqual([16]);
  }, 60_000);

  it('refuses a checkpoint trained with other options', async () => {
    const store = new MemoryStore({ charts: false });
    await trainForecaster(small({ epochs: 1, store }));
    const resume = store.checkpoints.latest()!;
    await expect(
      trainForecaster(small({ lr: 0.01, store, resume, optionName: (k) => `--${k}` })),
    ).rejects.toThrow(
      new ValueError(
        '--resume checkpoint-16: the checkpoint was trained with --lr 0.003, this run has 0.01; resume with the same options',
      ),
    );
  }, 60_000);
});

describe('trainForecaster options', () => {
  it('refuses a window longer than the training rows, naming the options', async () => {
    await expect(trainForecaster(small({ lookback: 5000 }))).rejects.toThrow(
      new ValueError(
        'lookback 5000 with horizon 7 needs 5007 training rows, but the series has 1461 rows and its training split 986; lookback 979 is the largest that fits',
      ),
    );
    await expect(trainForecaster(undefined as unknown as ForecasterOptions)).rejects.toThrow(
      new ValueError(
        'trainForecaster: options must be an object with at least series and target, got undefined',
      ),
    );
    await expect(trainForecaster(small({ series: [[1, 2]] as unknown as TimeSeries }))).rejects.toThrow(
      new ValueError('series must be a TimeSeries (columns, values, length), got 1,2'),
    );
    await expect(trainForecaster(small({ transform: 'box-cox' as never }))).rejects.toThrow(
      'transform must be one of auto, none, difference, log-difference, seasonal-difference, window, got "box-cox"',
    );
    await expect(trainForecaster(small({ target: 'humidity' }))).rejects.toThrow(
      /column "humidity": target: unknown column; available columns: precipitation, temp_max, temp_min, wind/,
    );
  });
});
