import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tokenizerFromJSON } from '../../src/data/tokenizers.js';
import { Vocab } from '../../src/data/vocab.js';
import { loadMobyDick } from '../../src/io/datasets/moby-dick.js';
import type { LanguageModel } from '../../src/nn/language-model.js';
import { createServer, type KiokuServer } from '../../src/serve/server.js';
import { generateText } from '../../src/train/lm/generate.js';
import { trainTextLanguageModel } from '../../src/train/recipes/language-model.js';
import { get, metric, post } from './helpers.js';

/**
 * A language model served: v1 predict streams the text kioku's generateText draws for the same
 * prompt, settings and seed; v2 infer answers it whole; limits and bad settings are 400s naming
 * the field.
 */

let server: KiokuServer;
let url: string;
let config: Record<string, unknown>;
let model: LanguageModel;

beforeAll(async () => {
  const moby = await loadMobyDick();
  const start = moby.indexOf('Call me Ishmael');
  const r = await trainTextLanguageModel({
    text: moby.slice(start, start + 6000),
    embed: 8,
    hidden: 16,
    batch: 8,
    bptt: 32,
    ngram: 1,
    epochs: 1,
  });
  model = r.model;
  config = r.config;
  server = createServer({
    models: [{ name: 'moby', opened: { model, config: config as { task: string }, where: 'moby' } }],
    maxSequenceLength: 64,
  });
  url = await server.listen(0, '127.0.0.1');
}, 120_000);

afterAll(async () => {
  await server?.close();
});

/** What the library draws for `prompt` with these settings. */
async function expected(
  prompt: string,
  o: { length: number; temperature: number; topK: number; seed: number },
) {
  const vocab = Vocab.fromJSON(config.vocab as never);
  const tokenizer = tokenizerFromJSON(config.tokenizer as never);
  let text = '';
  for await (const piece of generateText(model, vocab, tokenizer, { prompt, ...o })) text += piece;
  return text;
}

describe('a served language model', () => {
  it('streams the text generateText draws for the same prompt, settings and seed, counted once when it ends', async () => {
    const count = async () =>
      metric((await get(`${url}/metrics`)).body, 'kioku_requests_total', {
        route: '/v1/models/{name}:predict',
        model: 'moby',
        code: '200',
      }) ?? 0;
    const before = await count();
    const want = await expected('Call me ', { length: 40, temperature: 0.8, topK: 5, seed: 7 });
    expect(want).toHaveLength(40);
    const res = await fetch(`${url}/v1/models/moby:predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Call me ', length: 40, temperature: 0.8, top_k: 5, seed: 7 }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(await res.text()).toBe(want);
    // counted when the server's side of the stream closes, which may come just after the client read it all
    await vi.waitFor(async () => expect(await count()).toBe(before + 1));
  });

  it('answers v2 infer with the same text, whole, and describes itself', async () => {
    const want = await expected('the sea', { length: 25, temperature: 1, topK: 0, seed: 3 });
    const r = await post(`${url}/v2/models/moby/infer`, {
      id: 'a',
      inputs: [{ name: 'prompt', datatype: 'BYTES', shape: [1], data: ['the sea'] }],
      parameters: { length: 25, seed: 3 },
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      model_name: 'moby',
      id: 'a',
      outputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: [want] }],
    });
    const meta = await get(`${url}/v2/models/moby`);
    expect(meta.body.parameters).toEqual({
      task: 'language-model',
      vocab_size: Vocab.fromJSON(config.vocab as never).size,
      tokenizer: 'char',
      max_length: 64,
    });
  });

  it('refuses lengths and prompts beyond --max-sequence-length, and bad settings, naming the field', async () => {
    const v1 = `${url}/v1/models/moby:predict`;
    const cases: Array<[unknown, string, RegExp]> = [
      [{ prompt: 'a', length: 65 }, 'length', /at most 64 \(--max-sequence-length\), got 65/],
      [{ prompt: 'a'.repeat(65) }, 'prompt', /65 tokens; this server reads at most 64/],
      [{ prompt: '' }, 'prompt', /no tokens/],
      [{ prompt: 'a', top_p: 0 }, 'top_p', /top_p must be > 0/],
      [{ prompt: 'a', temperature: 'hot' }, 'temperature', /must be a number/],
      [{ length: 3 }, 'prompt', /prompt is required/],
    ];
    // JSON reads 1e999 as Infinity.
    const infinite = await post(v1, '{"prompt": "a", "temperature": 1e999}');
    expect([infinite.status, infinite.body.field]).toEqual([400, 'temperature']);
    for (const [body, field, message] of cases) {
      const r = await post(v1, body);
      expect([r.status, r.body.field]).toEqual([400, field]);
      expect(r.body.error).toMatch(message);
    }
    const v2 = await post(`${url}/v2/models/moby/infer`, {
      inputs: [{ name: 'prompt', datatype: 'BYTES', shape: [2], data: ['a', 'b'] }],
    });
    expect([v2.status, v2.body.field]).toEqual([400, 'inputs[0].shape']);
    const long = await post(`${url}/v2/models/moby/infer`, {
      inputs: [{ name: 'prompt', datatype: 'BYTES', shape: [1], data: ['a'] }],
      parameters: { length: 100 },
    });
    expect([long.status, long.body.field]).toEqual([400, 'parameters.length']);
  });
});
