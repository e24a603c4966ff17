import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sliceRows } from '../../src/data/series.js';
import { kiokuVersion } from '../../src/io/version.js';
import { forecastSeries, predictText, seriesReadOptions } from '../../src/train/recipes/index.js';
import { get, historyOf, type Models, metric, post, type Running, serve, trainModels } from './helpers.js';

/**
 * The Open Inference Protocol v2 and v1 predict routes against served models, on loopback: what
 * they answer equals what the recipes compute for the same model (predictText, forecastSeries).
 */

let models: Models;
let running: Running;
let url: string;

const TEXTS = [
  'Hi Tom, the meeting notes from Tuesday are attached. Can you review section 3 before Friday?',
  'CONGRATULATIONS!!! You have been selected to receive a FREE $1000 gift card. Click here now',
  'I tried the patch on the 2.4.19 kernel and the build fails in drivers/net; log below.',
];

beforeAll(async () => {
  models = await trainModels();
  running = await serve(models, { batching: false });
  url = running.url;
}, 180_000);

afterAll(async () => {
  await running?.server.close();
});

describe('health and metadata', () => {
  it('is live and ready, and names itself', async () => {
    expect(await get(`${url}/v2/health/live`)).toEqual({ status: 200, body: { live: true } });
    expect(await get(`${url}/v2/health/ready`)).toEqual({ status: 200, body: { ready: true } });
    expect(await get(`${url}/v2`)).toEqual({
      status: 200,
      body: { name: 'kioku', version: kiokuVersion(), extensions: ['sequence'] },
    });
    expect(await get(`${url}/v2/models/seattle/ready`)).toEqual({
      status: 200,
      body: { name: 'seattle', ready: true },
    });
  });

  it("describes a text classifier's tensors and labels", async () => {
    const labels = models.text.config.labels as string[];
    expect(await get(`${url}/v2/models/spam`)).toEqual({
      status: 200,
      body: {
        name: 'spam',
        platform: 'kioku',
        inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }],
        outputs: [
          { name: 'label', datatype: 'BYTES', shape: [-1] },
          { name: 'probabilities', datatype: 'FP32', shape: [-1, labels.length] },
        ],
        parameters: { task: 'classification', labels, max_length: 48, sessions: true },
      },
    });
    // the recipe's default text model is bidirectional: it reads a text from both ends
    expect((await get(`${url}/v2/models/spam-bi`)).body.parameters.sessions).toBe(false);
  });

  it("describes a forecaster's columns, lookback and horizon", async () => {
    const columns = seriesReadOptions(models.series).columns;
    expect(columns).toEqual(['temp_max', 'precipitation', 'temp_min', 'wind']);
    const { body } = await get(`${url}/v2/models/seattle`);
    expect(body.inputs).toEqual([
      { name: 'history', datatype: 'FP32', shape: [-1, -1, 4] },
      { name: 'dates', datatype: 'BYTES', shape: [-1, -1] },
    ]);
    expect(body.outputs.map((o: { name: string }) => o.name)).toEqual(['forecast', 'forecast_dates']);
    expect(body.parameters).toEqual({
      task: 'forecasting',
      target: 'temp_max',
      columns,
      lookback: 14,
      horizon: 2,
      calendar: true,
      sessions: true,
    });
  });
});

describe('a text classifier', () => {
  it('v1 predict answers what predictText computes', async () => {
    const answer = await post(`${url}/v1/models/spam:predict`, { instances: TEXTS });
    expect(answer).toEqual({ status: 200, body: { predictions: predictText(models.text, TEXTS) } });
    // and so does the bidirectional model
    const bi = await post(`${url}/v1/models/spam-bi:predict`, { instances: TEXTS });
    expect(bi.body.predictions).toEqual(predictText(models.textBi, TEXTS));
  });

  it('v2 infer answers labels and probabilities as tensors, and echoes the id', async () => {
    const expected = predictText(models.text, TEXTS);
    const labels = models.text.config.labels as string[];
    const answer = await post(`${url}/v2/models/spam/infer`, {
      id: 'req-7',
      inputs: [{ name: 'text', shape: [3, 1], datatype: 'BYTES', data: TEXTS.map((t) => [t]) }],
    });
    expect(answer).toEqual({
      status: 200,
      body: {
        model_name: 'spam',
        id: 'req-7',
        outputs: [
          { name: 'label', datatype: 'BYTES', shape: [3], data: expected.map((p) => p.label) },
          {
            name: 'probabilities',
            datatype: 'FP32',
            shape: [3, labels.length],
            data: expected.flatMap((p) => labels.map((l) => p.probabilities[l])),
          },
        ],
      },
    });
    const onlyLabels = await post(`${url}/v2/models/spam/infer`, {
      inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: [TEXTS[1]] }],
      outputs: [{ name: 'label' }],
    });
    expect(onlyLabels.body.outputs).toEqual([
      { name: 'label', datatype: 'BYTES', shape: [1], data: [expected[1]!.label] },
    ]);
  });
});

describe('a forecaster', () => {
  const columns = ['temp_max', 'precipitation', 'temp_min', 'wind'];

  it('v1 predict continues a dated history as forecastSeries does', async () => {
    const end = models.seattle.index!.indexOf('2015-03-01');
    const expected = await forecastSeries(models.series, {
      series: sliceRows(models.seattle, end - 30, end),
      steps: 5,
    });
    const answer = await post(`${url}/v1/models/seattle:predict`, {
      ...historyOf(models.seattle, columns, end - 30, end),
      steps: 5,
    });
    expect(answer).toEqual({ status: 200, body: { target: 'temp_max', predictions: expected.rows } });
    expect(expected.rows.map((r) => r.date)).toEqual([
      '2015-03-01',
      '2015-03-02',
      '2015-03-03',
      '2015-03-04',
      '2015-03-05',
    ]);
  });

  it('v2 infer forecasts a batch of windows, each as forecastSeries would', async () => {
    const ends = [400, 1000];
    const windows = ends.map((end) => historyOf(models.seattle, columns, end - 20, end));
    const answer = await post(`${url}/v2/models/seattle/infer`, {
      inputs: [
        { name: 'history', shape: [2, 20, 4], datatype: 'FP32', data: windows.map((w) => w.history) },
        { name: 'dates', shape: [2, 20], datatype: 'BYTES', data: windows.flatMap((w) => w.dates) },
      ],
      parameters: { steps: 3 },
    });
    const expected = await Promise.all(
      ends.map((end) =>
        forecastSeries(models.series, { series: sliceRows(models.seattle, end - 20, end), steps: 3 }),
      ),
    );
    expect(answer.status).toBe(200);
    // The two windows run as rows of one forward: equal to each alone but for float32 rounding.
    const want = expected.flatMap((e) => e.rows.map((r) => r.value));
    const [forecast, dates] = answer.body.outputs;
    expect({ ...forecast, data: [] }).toEqual({
      name: 'forecast',
      datatype: 'FP32',
      shape: [2, 3],
      data: [],
    });
    (forecast.data as number[]).forEach((v, i) => {
      expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i]!)));
    });
    expect(dates).toEqual({
      name: 'forecast_dates',
      datatype: 'BYTES',
      shape: [2, 3],
      data: expected.flatMap((e) => e.rows.map((r) => r.date)),
    });
  });
});

describe('/metrics', () => {
  it('counts requests by route, model and status, their latency and the rows per forward', async () => {
    const read = async () => (await get(`${url}/metrics`)).body as string;
    const route = '/v1/models/{name}:predict';
    const before = await read();
    await post(`${url}/v1/models/spam:predict`, { instances: TEXTS });
    await post(`${url}/v1/models/spam:predict`, { instances: TEXTS.slice(0, 1) });
    await post(`${url}/v1/models/spam:predict`, { instances: 'not a list' });
    const after = await read();
    const delta = (name: string, labels: Record<string, string>) =>
      (metric(after, name, labels) ?? 0) - (metric(before, name, labels) ?? 0);
    expect(delta('kioku_requests_total', { route, model: 'spam', code: '200' })).toBe(2);
    expect(delta('kioku_requests_total', { route, model: 'spam', code: '400' })).toBe(1);
    expect(delta('kioku_request_duration_seconds_count', { route, model: 'spam' })).toBe(3);
    // two forwards (the refused request never ran), of 3 and 1 texts
    expect(delta('kioku_batch_size_count', { model: 'spam', mode: 'stateless' })).toBe(2);
    expect(delta('kioku_batch_size_sum', { model: 'spam', mode: 'stateless' })).toBe(4);
    expect(metric(after, 'kioku_active_sessions', { model: 'spam' })).toBe(0);
    expect(after).toContain('# TYPE process_cpu_user_seconds_total counter');
  });

  it('counts every answer once, wherever it is given: routes, refusals, unknown paths and models', async () => {
    const read = async () => (await get(`${url}/metrics`)).body as string;
    const before = await read();
    const live = await fetch(`${url}/v2/health/live`, { method: 'HEAD' });
    expect(live.status).toBe(200);
    expect((await get(`${url}/v2/health/live`)).status).toBe(200);
    expect((await get(`${url}/v2/models/seattle`)).status).toBe(200);
    expect((await post(`${url}/v1/models/spam:predict`, 'x', { 'content-type': 'text/plain' })).status).toBe(
      415,
    );
    expect((await get(`${url}/v2/models/nobody`)).status).toBe(404);
    expect(await get(`${url}/v2/models/%zz/ready`)).toMatchObject({ status: 400, body: { field: 'url' } });
    expect((await get(`${url}/nowhere`)).status).toBe(404);
    const after = await read();
    const delta = (labels: Record<string, string>) =>
      (metric(after, 'kioku_requests_total', labels) ?? 0) -
      (metric(before, 'kioku_requests_total', labels) ?? 0);
    const live200 = { route: '/v2/health/live', code: '200' };
    expect(delta({ method: 'HEAD', ...live200 })).toBe(1);
    expect(delta({ method: 'GET', ...live200 })).toBe(1);
    expect(delta({ route: '/v2/models/{name}', model: 'seattle', code: '200' })).toBe(1);
    expect(delta({ route: '/v1/models/{name}:predict', model: 'spam', code: '415' })).toBe(1);
    expect(delta({ route: 'unmatched', code: '404' })).toBe(2);
    expect(delta({ route: 'unmatched', code: '400' })).toBe(1);
    // the scrape before this one is counted once too
    expect(delta({ route: '/metrics', code: '200' })).toBe(1);
    const all = (text: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith('kioku_requests_total{'))
        .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    expect(all(after) - all(before)).toBe(8);
  });
});
