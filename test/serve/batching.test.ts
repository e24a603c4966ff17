import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sliceRows } from '../../src/data/series.js';
import type { Module } from '../../src/nn/module.js';
import { GRU, LSTM } from '../../src/nn/rnn.js';
import {
  type ForecastResult,
  forecastSeries,
  predictText,
  type TextPrediction,
} from '../../src/train/recipes/index.js';
import { textServing } from '../../src/train/recipes/serving-text.js';
import {
  type Answer,
  get,
  historyOf,
  type Models,
  metric,
  post,
  type Running,
  serve,
  trainModels,
} from './helpers.js';

/**
 * Micro-batching changes nothing but speed: concurrent requests answered by one batched forward
 * get what each gets alone (an unbatched server, and the recipes), sessions stepped together keep
 * each one's own state, and bad requests among good ones fail alone.
 */

let models: Models;
let batched: Running;
let alone: Running;
const COLUMNS = ['temp_max', 'precipitation', 'temp_min', 'wind'];
const WORDS =
  'dear friend you have won a prize claim it now or the meeting is moved to thursday at noon bring the slides'.split(
    ' ',
  );
const words = (a: number, b: number) => WORDS.slice(a % 20, (a % 20) + b).join(' ');

beforeAll(async () => {
  models = await trainModels();
  // A long wait so that concurrent requests surely meet in a batch.
  batched = await serve(models, { maxWaitMs: 100, maxBatchSize: 32 });
  alone = await serve(models, { batching: false });
}, 180_000);

afterAll(async () => {
  await batched?.server.close();
  await alone?.server.close();
});

function expectSamePredictions(got: TextPrediction[], want: TextPrediction[]): void {
  expect(got.map((p) => p.label)).toEqual(want.map((p) => p.label));
  got.forEach((p, i) => {
    for (const [l, v] of Object.entries(want[i]!.probabilities)) expect(p.probabilities[l]).toBeCloseTo(v, 6);
  });
}

/** The recurrent layers of a model, depth-first. */
function recurrentLayers(m: Module): Array<LSTM | GRU> {
  const own = m instanceof LSTM || m instanceof GRU ? [m] : [];
  return [...own, ...m.namedChildren().flatMap(([, c]) => recurrentLayers(c))];
}

type ForecastRow = ForecastResult['rows'][number];

/** Forecast rows equal but for float32 rounding (a batch's kernels may sum in another order). */
function expectSameRows(got: ForecastRow[], want: ForecastRow[]): void {
  expect(got.map((r) => [r.step, r.date])).toEqual(want.map((r) => [r.step, r.date]));
  got.forEach((r, k) => {
    expect(Math.abs(r.value - want[k]!.value)).toBeLessThanOrEqual(
      1e-6 * Math.max(1, Math.abs(want[k]!.value)),
    );
  });
}

/** Rows (count, then sum) of the batched forwards of a model so far. */
async function batches(url: string, model: string, mode: string): Promise<[number, number]> {
  const text = (await get(`${url}/metrics`)).body as string;
  return [
    metric(text, 'kioku_batch_size_count', { model, mode }) ?? 0,
    metric(text, 'kioku_batch_size_sum', { model, mode }) ?? 0,
  ];
}

describe('micro-batching', () => {
  it('answers concurrent text requests as each would be answered alone', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => ({
      instances: Array.from({ length: 1 + (i % 3) }, (_, k) => words(i + 3 * k, 4 + ((i + k) % 7))),
    }));
    const [before] = await batches(batched.url, 'spam', 'stateless');
    const together = await Promise.all(bodies.map((b) => post(`${batched.url}/v1/models/spam:predict`, b)));
    const [after, rows] = await batches(batched.url, 'spam', 'stateless');
    // 12 requests (24 texts) ran in fewer forwards than requests
    expect(after - before).toBeLessThan(12);
    expect(rows).toBe(24);
    for (const [i, body] of bodies.entries()) {
      const single = await post(`${alone.url}/v1/models/spam:predict`, body);
      expect(together[i]!.status).toBe(200);
      expectSamePredictions(together[i]!.body.predictions, single.body.predictions);
      expectSamePredictions(together[i]!.body.predictions, predictText(models.text, body.instances));
    }
  });

  it('runs on frozen recurrent layers, which give exactly the unfrozen answers and stay frozen', async () => {
    // Texts of every length up to the model's 48 tokens: products of a few rows and of many.
    const texts = Array.from({ length: 24 }, (_, i) => words(i, 1 + ((i * 5) % 20)));
    const layers = [models.text, models.textBi, models.series].flatMap((m) => recurrentLayers(m.model));
    expect(layers.length).toBe(3);
    for (const model of [models.text, models.textBi]) {
      const serving = textServing(model);
      const encoded = texts.map((t) => serving.encode(t));
      const frozen = serving.classify(encoded);
      const served = await post(
        `${batched.url}/v1/models/${model === models.text ? 'spam' : 'spam-bi'}:predict`,
        {
          instances: texts,
        },
      );
      const forecast = await post(`${batched.url}/v1/models/seattle:predict`, {
        ...historyOf(models.seattle, COLUMNS, 300, 320),
        steps: 3,
      });
      expect([served.status, forecast.status]).toEqual([200, 200]);
      expect(layers.every((l) => l.frozen)).toBe(true);
      const [rnn] = recurrentLayers(model.model);
      rnn!.unfreeze();
      try {
        expect(frozen).toEqual(serving.classify(encoded));
      } finally {
        rnn!.freeze();
      }
    }
    const request = { series: sliceRows(models.seattle, 400, 430), steps: 3 };
    const frozen = await forecastSeries(models.series, request);
    const [rnn] = recurrentLayers(models.series.model);
    rnn!.unfreeze();
    try {
      expect(frozen.rows).toEqual((await forecastSeries(models.series, request)).rows);
    } finally {
      rnn!.freeze();
    }
  });

  it("reuses a batch's forward buffers for the next batch without changing an answer", () => {
    // 32 texts of the model's 48 tokens: buffers large enough for the pool, taken back each batch.
    const serving = textServing(models.textBi);
    const long = (i: number) =>
      Array.from({ length: 60 }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]).join(' ');
    const sets = [0, 100].map((from) => Array.from({ length: 32 }, (_, i) => long(from + i)));
    const want = sets.map((texts) => predictText(models.textBi, texts));
    for (let round = 0; round < 3; round++) {
      for (const [j, texts] of sets.entries()) {
        expectSamePredictions(serving.classify(texts.map((t) => serving.encode(t))), want[j]!);
      }
    }
  });

  it('answers concurrent forecasts as forecastSeries does for each, in one batch', async () => {
    const ends = [200, 350, 500, 650, 800, 950];
    const requests = ends.map((end, i) => ({
      ...historyOf(models.seattle, COLUMNS, end - 20, end),
      steps: 1 + i,
    }));
    const [before, rowsBefore] = await batches(batched.url, 'seattle', 'stateless');
    const together = await Promise.all(
      requests.map((r) => post(`${batched.url}/v1/models/seattle:predict`, r)),
    );
    const [after, rows] = await batches(batched.url, 'seattle', 'stateless');
    // 6 requests (6 series) ran in fewer forwards than requests
    expect(after - before).toBeLessThan(ends.length);
    expect(rows - rowsBefore).toBe(ends.length);
    for (const [i, end] of ends.entries()) {
      const want = await forecastSeries(models.series, {
        series: sliceRows(models.seattle, end - 20, end),
        steps: 1 + i,
      });
      expectSameRows(together[i]!.body.predictions, want.rows);
    }
  });

  it('forecasts from a long history as forecastSeries does from all of it', async () => {
    const ends = [900, 1200];
    const bodies = ends.map((end, i) => ({
      ...historyOf(models.seattle, COLUMNS, end - 300 - i, end),
      steps: 5,
    }));
    const answers = await Promise.all(bodies.map((b) => post(`${batched.url}/v1/models/seattle:predict`, b)));
    for (const [i, end] of ends.entries()) {
      expect(answers[i]!.status).toBe(200);
      const want = await forecastSeries(models.series, {
        series: sliceRows(models.seattle, end - 300 - i, end),
        steps: 5,
      });
      expectSameRows(answers[i]!.body.predictions, want.rows);
    }
  });

  it("keeps each session's own state when sessions step together", async () => {
    const sessions = Array.from({ length: 6 }, (_, s) => `s${s}`);
    const rounds = [0, 1, 2];
    const chunk = (s: number, r: number) => words(s * 2 + r * 5, 2 + ((s + r) % 4));
    const run = async (url: string, concurrent: boolean) => {
      const out: Answer[][] = [];
      for (const r of rounds) {
        const send = (s: number) =>
          post(`${url}/v1/models/spam:predict`, {
            instances: [chunk(s, r)],
            sequence_id: sessions[s],
            sequence_start: r === 0,
            sequence_end: r === rounds.length - 1,
          });
        const idx = sessions.map((_, s) => s);
        out.push(concurrent ? await Promise.all(idx.map(send)) : await sequential(idx, send));
      }
      return out;
    };
    const [before] = await batches(batched.url, 'spam', 'session');
    const together = await run(batched.url, true);
    const [after] = await batches(batched.url, 'spam', 'session');
    expect(after - before).toBeLessThan(sessions.length * rounds.length);
    const apart = await run(alone.url, false);
    for (const r of rounds) {
      for (const s of sessions.keys()) {
        expect(together[r]![s]!.status).toBe(200);
        expectSamePredictions(together[r]![s]!.body.predictions, apart[r]![s]!.body.predictions);
        const sofar = rounds.slice(0, r + 1).map((k) => chunk(s, k));
        expectSamePredictions(together[r]![s]!.body.predictions, predictText(models.text, [sofar.join(' ')]));
      }
    }
  });

  it('answers the good requests of a mixed load, and refuses each bad one alone', async () => {
    const good = Array.from({ length: 8 }, (_, i) => ({ instances: [words(i, 5)] }));
    const bad = [
      { instances: [words(0, 3)], sequence_id: 'never-started' },
      { instances: [words(1, 3)], sequence_id: 'also-never' },
      { instances: [3] },
      { instances: [] },
    ];
    const mixed = [...good.slice(0, 4), ...bad, ...good.slice(4)];
    const answers = await Promise.all(mixed.map((b) => post(`${batched.url}/v1/models/spam:predict`, b)));
    expect(answers.map((a) => a.status)).toEqual([
      200, 200, 200, 200, 400, 400, 400, 400, 200, 200, 200, 200,
    ]);
    const goodAnswers = [...answers.slice(0, 4), ...answers.slice(8)];
    goodAnswers.forEach((a, i) => {
      expectSamePredictions(a.body.predictions, predictText(models.text, good[i]!.instances));
    });
  });
});

async function sequential<T>(items: number[], f: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (const i of items) out.push(await f(i));
  return out;
}
