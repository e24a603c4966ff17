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
  seriesReadOptions,
  trainForecaster,
} from '../../src/train/recipes/index.js';

/**
 * trainForecaster on the built-in Seattle weather, called as a library: its split and events,
 * its scores against independently computed baselines, forecasts from the returned and the
 * saved model, and a run stopped by its signal and resumed from its checkpoint.
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

  beforeAll(async () => {
    store = new MemoryStore();
    events = [];
    result = await trainForecaster(small({ calendar: true, store, onEvent: (e) => void events.push(e) }));
  }, 60_000);

  it('splits in time: test from 2015, validation the 10% of the rows before it', () => {
    // 1096 rows before 2015: validation is the last 110 of them.
    expect(events[0]).toEqual({
      type: 'series-data',
      rows: 1461,
      columns: ['precipitation', 'temp_max', 'temp_min', 'wind', 'day_of_year_sin', 'day_of_year_cos'],
      target: 'temp_max',
      train: { start: 0, end: 986, from: '2012-01-01', to: '2014-09-12' },
      val: { start: 986, end: 1096, from: '2014-09-13', to: '2014-12-31' },
      test: { start: 1096, end: 1461, from: '2015-01-01', to: '2015-12-31' },
    });
    const epochs = events.filter((e) => e.type === 'epoch').map((e) => (e.type === 'epoch' ? e.epoch : 0));
    expect(epochs).toEqual([1, 2, 3]);
    // 986 - 14 training windows in batches of 64.
    const perEpoch = events.filter((e) => e.type === 'batch' && e.epoch === 1);
    expect(perEpoch).toHaveLength(Math.ceil((986 - 14) / 64));
    for (const e of events) expect(structuredClone(e)).toEqual(e);
  });

  it('scores the model beside persistence and seasonal-naive computed here from the raw series', () => {
    const F = seattle.columns.length;
    const t = seattle.columns.indexOf('temp_max');
    const value = (r: number) => seattle.values[r * F + t]!;
    let persistence = 0;
    let weekly = 0;
    for (let r = 1096; r < 1461; r++) {
      persistence += Math.abs(value(r) - value(r - 1));
      weekly += Math.abs(value(r) - value(r - 7));
    }
    const m = Object.fromEntries(result.test.metrics.map((x) => [x.model, x.metrics]));
    expect(Object.keys(m)).toEqual(['lstm', 'persistence', 'seasonal-naive(7)']);
    expect(result.test.windows).toBe(365);
    expect(m.persistence!.mae).toBeCloseTo(persistence / 365, 4);
    expect(m['seasonal-naive(7)']!.mae).toBeCloseTo(weekly / 365, 4);
    // The model's MAE is the mean distance between the forecasts it reports and the truth.
    const f = result.test.forecasts;
    const mae = f.actual.reduce((s, y, i) => s + Math.abs(y - f.predicted.lstm![i]!), 0) / 365;
    expect(m.lstm!.mae).toBeCloseTo(mae, 4);
    expect(f.x[0]).toBe('2015-01-01');
  });

  it('saves the model, history and charts; the saved model forecasts what the returned one does', async () => {
    expect(result.saved).toEqual({
      model: 'model',
      files: ['history.json', 'training-curves.svg', 'forecast-test.svg'],
    });
    expect(store.charts.get('forecast-test')).toMatch(/^<svg/);
    const files = store.models.get('model')!;
    const saved = modelFromConfig(files.config.architecture);
    saved.loadStateDict(files.stateDict);
    saved.eval();
    const fromStore = await forecastSeries({ model: saved, config: files.config }, { steps: 3 });
    const fromResult = await forecastSeries({ model: result.model, config: result.config }, { steps: 3 });
    expect(fromStore.rows).toEqual(fromResult.rows);
    // The forecast continues the training data's dates.
    expect(fromResult.rows.map((r) => r.date)).toEqual(['2016-01-01', '2016-01-02', '2016-01-03']);
    expect(forecastCsv(fromResult).split('\n')[0]).toBe('step,date,temp_max');
  });

  it('forecasts from the end of given data and evaluates every window of it', async () => {
    const opened = { model: result.model, config: result.config };
    expect(seriesReadOptions(opened)).toEqual({
      columns: ['precipitation', 'temp_max', 'temp_min', 'wind'],
      missing: 'error',
    });
    const out = new MemoryStore();
    const f = await forecastSeries(opened, { steps: 2, series: seattle, store: out });
    expect(f.history.index!.at(-1)).toBe('2015-12-31');
    expect(f.saved).toEqual(['forecast.csv', 'forecast.svg']);
    expect(out.files.get('forecast.csv')).toBe(`${forecastCsv(f)}\n`);
    const ev = await evaluateForecaster(opened, { series: seattle });
    expect(ev.windows).toBe(1461 - 14);
    expect(ev.metrics.map((x) => x.model)).toEqual(['model', 'persistence', 'seasonal-naive(7)']);
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
        'lookback 5000 with horizon 1 needs 5001 training rows, but the series has 1461 rows and its training split 986',
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
    await expect(trainForecaster(small({ target: 'humidity' }))).rejects.toThrow(
      /column "humidity": target: unknown column; available columns: precipitation, temp_max, temp_min, wind/,
    );
  });
});
