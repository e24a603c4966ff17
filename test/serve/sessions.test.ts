import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sliceRows } from '../../src/data/series.js';
import { forecastSeries, predictText, type TextPrediction } from '../../src/train/recipes/index.js';
import { get, historyOf, type Models, metric, post, type Running, serve, trainModels } from './helpers.js';

/**
 * Sessions: a sequence id carries the recurrent state from request to request, so a text or a
 * series sent in chunks reads as one long sequence; `sequence_end` closes it, `sequence_start`
 * begins afresh; the server closes idle sessions and evicts the least recently used when full.
 */

let models: Models;
let running: Running;
const COLUMNS = ['precipitation', 'temp_max', 'temp_min', 'wind'];
const WORDS =
  'please find attached the minutes of the board meeting and call me when you have read them so we can agree on the budget'.split(
    ' ',
  );

beforeAll(async () => {
  models = await trainModels();
  running = await serve(models, { batching: false });
}, 180_000);

afterAll(async () => {
  await running?.server.close();
});

/** Words [a, b) as one chunk of text. */
const words = (a: number, b: number) => WORDS.slice(a, b).join(' ');

function expectClose(got: TextPrediction, want: TextPrediction): void {
  expect(got.label).toBe(want.label);
  for (const [label, p] of Object.entries(want.probabilities))
    expect(got.probabilities[label]).toBeCloseTo(p, 6);
}

async function say(url: string, id: string | number, text: string, flags: object = {}) {
  return post(`${url}/v1/models/spam:predict`, { instances: [text], sequence_id: id, ...flags });
}

describe('a text session', () => {
  it('labels each chunk as predictText labels the whole text so far', async () => {
    const cuts = [0, 4, 5, 11, 17, WORDS.length];
    for (let k = 1; k < cuts.length; k++) {
      const flags = { sequence_start: k === 1, sequence_end: k === cuts.length - 1 };
      const answer = await say(running.url, 'chat-1', words(cuts[k - 1]!, cuts[k]!), flags);
      expect(answer.status).toBe(200);
      expectClose(answer.body.predictions[0], predictText(models.text, [words(0, cuts[k]!)])[0]!);
    }
    // sequence_end closed it
    const after = await say(running.url, 'chat-1', 'more');
    expect(after).toMatchObject({ status: 400, body: { field: 'sequence_id' } });
  });

  it('keeps sessions apart, and a new start forgets what came before', async () => {
    const { url } = running;
    await say(url, 'a', words(0, 6), { sequence_start: true });
    await say(url, 'b', words(10, 14), { sequence_start: true });
    const a = await say(url, 'a', words(6, 12));
    const b = await say(url, 7, words(14, 20), { sequence_start: true });
    expectClose(a.body.predictions[0], predictText(models.text, [words(0, 12)])[0]!);
    expectClose(b.body.predictions[0], predictText(models.text, [words(14, 20)])[0]!);
    const again = await say(url, 'a', words(6, 12), { sequence_start: true });
    expectClose(again.body.predictions[0], predictText(models.text, [words(6, 12)])[0]!);
    // v2 requests carry the flags as parameters, and join the same session
    const v2 = await post(`${url}/v2/models/spam/infer`, {
      inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: [words(12, 20)] }],
      parameters: { sequence_id: 'a', sequence_end: true },
    });
    const want = predictText(models.text, [words(6, 20)])[0]!;
    expect(v2.body.outputs[0].data).toEqual([want.label]);
    const labels = models.text.config.labels as string[];
    expect(v2.body.outputs[1].data[1]).toBeCloseTo(want.probabilities[labels[1]!]!, 6);
  });
});

describe('a forecasting session', () => {
  const start = 500;
  const chunk = (a: number, b: number) => historyOf(models.seattle, COLUMNS, start + a, start + b);
  const ask = (id: string, body: object) =>
    post(`${running.url}/v1/models/seattle:predict`, { sequence_id: id, ...body });

  it("forecasts from the rows so far: after a lookback's rows, what forecastSeries gives", async () => {
    await ask('s', { ...chunk(0, 5), sequence_start: true });
    await ask('s', chunk(5, 10));
    const answer = await ask('s', { ...chunk(10, 14), steps: 2 });
    const want = await forecastSeries(models.series, {
      series: sliceRows(models.seattle, start, start + 14),
      steps: 2,
    });
    expect(answer.body.predictions.map((r: { date: string }) => r.date)).toEqual(
      want.rows.map((r) => r.date),
    );
    answer.body.predictions.forEach((r: { value: number }, k: number) => {
      expect(r.value).toBeCloseTo(want.rows[k]!.value, 4);
    });
  });

  it('reads a series sent in chunks as one sent whole', async () => {
    await ask('chunks', { ...chunk(0, 7), sequence_start: true });
    await ask('chunks', chunk(7, 19));
    const chunked = await ask('chunks', { ...chunk(19, 30), steps: 1, sequence_end: true });
    const whole = await ask('whole', { ...chunk(0, 30), steps: 1, sequence_start: true, sequence_end: true });
    expect(chunked.body.predictions[0].date).toBe(whole.body.predictions[0].date);
    expect(chunked.body.predictions[0].value).toBeCloseTo(whole.body.predictions[0].value, 4);
  });
});

describe('the server closes sessions', () => {
  it('evicting the least recently used when --max-sessions are open', async () => {
    const small = await serve(models, { batching: false, maxSessions: 2 });
    try {
      const { url } = small;
      await say(url, 'A', words(0, 3), { sequence_start: true });
      await say(url, 'B', words(0, 3), { sequence_start: true });
      expect((await say(url, 'A', words(3, 6))).status).toBe(200);
      await say(url, 'C', words(0, 3), { sequence_start: true });
      expect(await say(url, 'B', words(3, 6))).toMatchObject({ status: 400, body: { field: 'sequence_id' } });
      const a = await say(url, 'A', words(6, 9));
      expectClose(a.body.predictions[0], predictText(models.text, [words(0, 9)])[0]!);
      const metrics = (await get(`${url}/metrics`)).body as string;
      expect(metric(metrics, 'kioku_session_evictions_total', { model: 'spam', reason: 'lru' })).toBe(1);
      expect(metric(metrics, 'kioku_active_sessions', { model: 'spam' })).toBe(2);
    } finally {
      await small.server.close();
    }
  });

  it('after --session-timeout without a request', async () => {
    const brief = await serve(models, { batching: false, sessionIdleMs: 150 });
    try {
      const { url } = brief;
      await say(url, 'idle', words(0, 3), { sequence_start: true });
      await new Promise((r) => setTimeout(r, 600));
      expect(await say(url, 'idle', words(3, 6))).toMatchObject({
        status: 400,
        body: { field: 'sequence_id' },
      });
      const metrics = (await get(`${url}/metrics`)).body as string;
      expect(metric(metrics, 'kioku_session_evictions_total', { model: 'spam', reason: 'idle' })).toBe(1);
      expect(metric(metrics, 'kioku_active_sessions', { model: 'spam' })).toBe(0);
    } finally {
      await brief.server.close();
    }
  });
});
