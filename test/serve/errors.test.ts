import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, historyOf, type Models, post, type Running, serve, trainModels } from './helpers.js';

/**
 * Every bad request gets a 4xx JSON error `{ error, field }` naming the field at fault — the
 * body, each field of the v1 and v2 bodies, the limits — never a 5xx, and the server goes on
 * answering good requests.
 */

let models: Models;
let running: Running;
const COLUMNS = ['temp_max', 'precipitation', 'temp_min', 'wind'];

beforeAll(async () => {
  models = await trainModels();
  running = await serve(models, { maxBatchSize: 4, maxSequenceLength: 40, bodyLimit: 64 * 1024 });
}, 180_000);

afterAll(async () => {
  await running?.server.close();
});

type Case = [what: string, path: string, body: unknown, status: number, field: string];

const text = (data: unknown[], more: object = {}) => ({
  inputs: [{ name: 'text', shape: [data.length], datatype: 'BYTES', data, ...more }],
});
const window = () => historyOf(models.seattle, COLUMNS, 100, 120);
const seriesBody = (history: unknown, shape: number[], more: object = {}) => ({
  inputs: [
    { name: 'history', shape, datatype: 'FP32', data: history },
    { name: 'dates', shape: [1, 20], datatype: 'BYTES', data: window().dates },
  ],
  ...more,
});

const v1Text = (): Case[] => [
  ['no instances', 'spam:predict', {}, 400, 'instances'],
  ['instances not a list', 'spam:predict', { instances: 'a text' }, 400, 'instances'],
  ['no texts', 'spam:predict', { instances: [] }, 400, 'instances'],
  ['a text that is a number', 'spam:predict', { instances: ['a', 3] }, 400, 'instances[1]'],
  ['an unknown field', 'spam:predict', { instances: ['a'], instance: 1 }, 400, 'instance'],
  [
    'more texts than --max-batch-size',
    'spam:predict',
    { instances: ['a', 'b', 'c', 'd', 'e'] },
    400,
    'instances',
  ],
  ['a flag without an id', 'spam:predict', { instances: ['a'], sequence_start: true }, 400, 'sequence_start'],
  ['an id of the wrong type', 'spam:predict', { instances: ['a'], sequence_id: true }, 400, 'sequence_id'],
  ['an empty id', 'spam:predict', { instances: ['a'], sequence_id: '' }, 400, 'sequence_id'],
  [
    'a session on a bidirectional model',
    'spam-bi:predict',
    { instances: ['a'], sequence_id: 1 },
    400,
    'sequence_id',
  ],
  [
    'a session with two texts',
    'spam:predict',
    { instances: ['a', 'b'], sequence_id: 1, sequence_start: true },
    400,
    'instances',
  ],
  [
    'a session never started',
    'spam:predict',
    { instances: ['hello'], sequence_id: 'nobody' },
    400,
    'sequence_id',
  ],
  [
    'a session chunk with no tokens',
    'spam:predict',
    { instances: ['  '], sequence_id: 2, sequence_start: true },
    400,
    'instances[0]',
  ],
  [
    'a session chunk longer than --max-sequence-length',
    'spam:predict',
    { instances: ['word '.repeat(41)], sequence_id: 3, sequence_start: true },
    400,
    'instances[0]',
  ],
];

const v2Text = (): Case[] => [
  ['no inputs', 'spam/infer', {}, 400, 'inputs'],
  [
    'an input of another name',
    'spam/infer',
    { inputs: [{ name: 'txt', shape: [1], datatype: 'BYTES', data: ['a'] }] },
    400,
    'inputs[0].name',
  ],
  [
    'an input given twice',
    'spam/infer',
    { inputs: [...text(['a']).inputs, ...text(['b']).inputs] },
    400,
    'inputs[1].name',
  ],
  [
    'a numeric datatype',
    'spam/infer',
    { inputs: [{ name: 'text', shape: [1], datatype: 'FP32', data: ['a'] }] },
    400,
    'inputs[0].datatype',
  ],
  ['a [1, 2] shape', 'spam/infer', text(['a', 'b'], { shape: [1, 2] }), 400, 'inputs[0].shape'],
  ['a negative dimension', 'spam/infer', text(['a'], { shape: [-1] }), 400, 'inputs[0].shape[0]'],
  ['fewer elements than the shape', 'spam/infer', text(['a', 'b'], { shape: [3] }), 400, 'inputs[0].data'],
  ['a number where text is due', 'spam/infer', text([7]), 400, 'inputs[0].data[0]'],
  ['data nested deeper than the shape', 'spam/infer', text([['a']]), 400, 'inputs[0].data'],
  ['more texts than --max-batch-size', 'spam/infer', text(['a', 'b', 'c', 'd', 'e']), 400, 'inputs[0].shape'],
  [
    'an output the model lacks',
    'spam/infer',
    { ...text(['a']), outputs: [{ name: 'logits' }] },
    400,
    'outputs[0].name',
  ],
  [
    'an unknown parameter',
    'spam/infer',
    { ...text(['a']), parameters: { temperature: 1 } },
    400,
    'parameters.temperature',
  ],
  [
    'binary tensor data',
    'spam/infer',
    text(['a'], { parameters: { binary_data: true } }),
    400,
    'inputs[0].parameters.binary_data',
  ],
  ['a numeric id', 'spam/infer', { ...text(['a']), id: 5 }, 400, 'id'],
  [
    'a session never started',
    'spam/infer',
    { ...text(['a']), parameters: { sequence_id: 9 } },
    400,
    'parameters.sequence_id',
  ],
];

const v1Series = (): Case[] => [
  ['no history', 'seattle:predict', { steps: 2 }, 400, 'history'],
  [
    'a row of 3 columns',
    'seattle:predict',
    { ...window(), history: window().history.map((r) => r.slice(1)) },
    400,
    'history[0]',
  ],
  [
    'a null value',
    'seattle:predict',
    { ...window(), history: window().history.map((r, i) => (i === 2 ? [r[0], null, r[2], r[3]] : r)) },
    400,
    'history[2]',
  ],
  [
    'a value beyond float32',
    'seattle:predict',
    { ...window(), history: window().history.map((r, i) => (i === 0 ? [1e39, r[1], r[2], r[3]] : r)) },
    400,
    'history[0]',
  ],
  [
    'fewer rows than the lookback',
    'seattle:predict',
    { history: window().history.slice(0, 5), dates: window().dates.slice(0, 5) },
    400,
    'history',
  ],
  [
    'more rows than --max-sequence-length',
    'seattle:predict',
    historyOf(models.seattle, COLUMNS, 100, 141),
    400,
    'history',
  ],
  ['no dates for a calendar model', 'seattle:predict', { history: window().history }, 400, 'dates'],
  ['one date too few', 'seattle:predict', { ...window(), dates: window().dates.slice(1) }, 400, 'dates'],
  [
    'a date that is not one',
    'seattle:predict',
    { ...window(), dates: window().dates.map((d, i) => (i === 3 ? 'soon' : d)) },
    400,
    'dates[3]',
  ],
  ['steps 0', 'seattle:predict', { ...window(), steps: 0 }, 400, 'steps'],
  ['steps as a string', 'seattle:predict', { ...window(), steps: '3' }, 400, 'steps'],
  ['more steps than --max-sequence-length', 'seattle:predict', { ...window(), steps: 41 }, 400, 'steps'],
  [
    'a session asking beyond the horizon',
    'seattle:predict',
    { ...window(), steps: 3, sequence_id: 1, sequence_start: true },
    400,
    'steps',
  ],
];

const v2Series = (): Case[] => [
  [
    'a history of 3 columns',
    'seattle/infer',
    seriesBody([window().history.map((r) => r.slice(1))], [1, 20, 3]),
    400,
    'inputs[0].shape',
  ],
  [
    'dates of another shape',
    'seattle/infer',
    {
      inputs: [
        seriesBody([window().history], [1, 20, 4]).inputs[0],
        { name: 'dates', shape: [1, 19], datatype: 'BYTES', data: window().dates.slice(1) },
      ],
    },
    400,
    'inputs[1].shape',
  ],
  ['no history', 'seattle/infer', { inputs: [seriesBody([], [1, 20, 4]).inputs[1]] }, 400, 'inputs'],
  [
    'a string among the values',
    'seattle/infer',
    seriesBody([window().history.map((r, i) => (i === 1 ? ['x', 1, 2, 3] : r))], [1, 20, 4]),
    400,
    'inputs[0].data[4]',
  ],
  [
    'negative steps',
    'seattle/infer',
    seriesBody([window().history], [1, 20, 4], { parameters: { steps: -1 } }),
    400,
    'parameters.steps',
  ],
];

/** Every case (built once the models are trained: the series cases read their data). */
const cases = (): Case[] => [...v1Text(), ...v2Text(), ...v1Series(), ...v2Series()];

describe('bad requests', () => {
  it('each gets a 4xx JSON error naming the field at fault', async () => {
    const seen: string[] = [];
    for (const [what, path, body, status, field] of cases()) {
      const route = path.includes(':') ? `/v1/models/${path}` : `/v2/models/${path}`;
      const answer = await post(`${running.url}${route}`, body);
      seen.push(`${what}: ${answer.status} ${answer.body.error}`);
      console.log(seen.at(-1));
      expect({ what, status: answer.status, field: answer.body.field }).toEqual({ what, status, field });
      expect(answer.body.error).toContain(field);
    }
    expect(seen.length).toBe(47);
  });

  it('so do a broken body, a wrong content type, a body too large, an unknown model or route', async () => {
    const { url } = running;
    const spam = `${url}/v1/models/spam:predict`;
    expect(await post(spam, '{"instances": [')).toMatchObject({ status: 400, body: { field: 'body' } });
    expect(await post(spam, '')).toMatchObject({ status: 400, body: { field: 'body' } });
    const poisoned = '{"instances": ["a"], "__proto__": {"isAdmin": true}}';
    expect(await post(spam, poisoned)).toMatchObject({ status: 400, body: { field: '__proto__' } });
    const escaped =
      '{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["a"], "\\u0063onstructor": {"prototype": {}}}]}';
    expect(await post(`${url}/v2/models/spam/infer`, escaped)).toMatchObject({
      status: 400,
      body: { field: 'inputs[0].constructor' },
    });
    expect(await post(spam, 'instances', { 'content-type': 'text/plain' })).toMatchObject({
      status: 415,
      body: { field: 'content-type' },
    });
    const big = await post(spam, { instances: ['x'.repeat(70 * 1024)] });
    expect(big).toMatchObject({ status: 413, body: { field: 'body' } });
    expect(big.body.error).toMatch(/--max-body-bytes/);
    const unknown = await post(`${url}/v1/models/weather:predict`, { instances: ['a'] });
    expect(unknown).toEqual({
      status: 404,
      body: { error: 'no model "weather" here; this server serves spam, spam-bi, seattle', field: 'model' },
    });
    expect(await get(`${url}/v2/models/weather`)).toMatchObject({ status: 404, body: { field: 'model' } });
    expect(await get(`${url}/v3/health`)).toMatchObject({ status: 404, body: { field: 'url' } });
  });

  it('says why a history must be longer than the lookback (its target transform looks back too)', async () => {
    const short = { history: window().history.slice(0, 5), dates: window().dates.slice(0, 5) };
    const answer = await post(`${running.url}/v1/models/seattle:predict`, short);
    expect(answer.body.error).toMatch(
      /^history must hold at least \d+ rows \(the model's lookback and the rows its target transform looks back\), got 5$/,
    );
  });

  it('leave the server answering, with no 5xx counted', async () => {
    const ok = await post(`${running.url}/v1/models/spam:predict`, { instances: ['still there?'] });
    expect(ok.status).toBe(200);
    expect(ok.body.predictions).toHaveLength(1);
    const metrics = (await get(`${running.url}/metrics`)).body as string;
    expect(metrics).toMatch(/^kioku_requests_total\{.*code="400"/m);
    expect(metrics).not.toMatch(/^kioku_requests_total\{.*code="5\d\d"/m);
  });
});
