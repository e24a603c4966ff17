import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { type Tokenizer, type TokenizerJSON, tokenizerFromJSON } from '../data/tokenizers.js';
import { Vocab, type VocabJSON } from '../data/vocab.js';
import { LanguageModel } from '../nn/language-model.js';
import { ValueError } from '../tensor/errors.js';
import { generateText, type TextGeneration } from '../train/lm/generate.js';
import type { OpenedModel } from '../train/recipes/opened.js';
import { RequestError } from './errors.js';
import type { Limits } from './kinds.js';
import { type RouteConfig, v2Schema } from './routes.js';
import { inputsByName, readInput, requestedOutputs, type V2Request } from './tensors.js';

/**
 * A language model served. `POST /v1/models/{name}:predict` with `{"prompt", "length",
 * "temperature", "top_k", "top_p", "seed"}` streams the drawn text as plain text, piece by piece
 * as each token is drawn; v2 infer takes input `prompt` (BYTES, [1]) and the same settings as
 * parameters, and answers output `text` (BYTES, [1]) once it is whole. A text is drawn token by
 * token (each needs the one before), so requests are not batched; the event loop gets a turn
 * every few tokens, so that other requests are answered meanwhile.
 */

/** Tokens drawn between turns of the event loop. */
const TOKENS_PER_TURN = 16;

const SETTINGS_SCHEMA = {
  length: { type: 'integer', minimum: 0 },
  temperature: { type: 'number', minimum: 0 },
  top_k: { type: 'integer', minimum: 0 },
  top_p: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
  seed: { type: 'integer', minimum: 0 },
} as const;

const V1_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['prompt'],
  properties: { prompt: { type: 'string' }, ...SETTINGS_SCHEMA },
};

/** Tokens drawn when a request does not say (as `kioku generate`). */
const DEFAULT_LENGTH = 200;

export class ServedLanguageModel {
  readonly name: string;
  private readonly model: LanguageModel;
  private readonly vocab: Vocab;
  private readonly tokenizer: Tokenizer;
  private readonly limits: Limits;
  /** Generations running, stopped at close when their client is gone. */
  private readonly running = new Set<AbortController>();

  constructor(name: string, opened: OpenedModel, limits: Limits) {
    const config = opened.config as { vocab?: VocabJSON; tokenizer?: TokenizerJSON };
    if (!(opened.model instanceof LanguageModel) || !config.vocab || !config.tokenizer) {
      throw new ValueError(
        `model "${name}" (${opened.where ?? name}): a language model needs its network, vocab and tokenizer (as kioku train lm saves them)`,
      );
    }
    this.name = name;
    this.model = opened.model;
    this.vocab = Vocab.fromJSON(config.vocab);
    this.tokenizer = tokenizerFromJSON(config.tokenizer);
    this.limits = limits;
  }

  /** A language model keeps no sessions. */
  get sessions(): number {
    return 0;
  }

  /** Nothing waits for a batch. */
  get waiting(): number {
    return 0;
  }

  drain(): void {}

  close(): void {
    for (const c of this.running) c.abort();
  }

  metadata(): object {
    return {
      name: this.name,
      platform: 'kioku',
      inputs: [{ name: 'prompt', datatype: 'BYTES', shape: [1] }],
      outputs: [{ name: 'text', datatype: 'BYTES', shape: [1] }],
      parameters: {
        task: 'language-model',
        vocab_size: this.vocab.size,
        tokenizer: this.tokenizer.toJSON().type,
        max_length: this.limits.maxSequenceLength,
      },
    };
  }

  /** The request's generation, checked against the model and the server's limits. */
  private generation(prompt: string, settings: Record<string, unknown>, at: Fields): TextGeneration {
    const most = this.limits.maxSequenceLength;
    const length = (settings.length as number | undefined) ?? Math.min(DEFAULT_LENGTH, most);
    if (length > most) {
      throw new RequestError(
        at.length,
        `${at.length} must be at most ${most} (--max-sequence-length), got ${length}`,
      );
    }
    const tokens = this.vocab.encode(this.tokenizer.tokenize(prompt)).length;
    if (tokens === 0)
      throw new RequestError(at.prompt, `${at.prompt} has no tokens to read; give it some text`);
    if (tokens > most) {
      throw new RequestError(
        at.prompt,
        `${at.prompt} has ${tokens} tokens; this server reads at most ${most} (--max-sequence-length)`,
      );
    }
    const temperature = (settings.temperature as number | undefined) ?? 1;
    // JSON reads 1e999 as Infinity, which the schema's number lets through.
    if (!Number.isFinite(temperature)) {
      throw new RequestError(at.temperature, `${at.temperature} must be a finite number, got ${temperature}`);
    }
    const seed = settings.seed as number | undefined;
    return {
      prompt,
      length,
      temperature,
      topK: (settings.top_k as number | undefined) ?? 0,
      topP: (settings.top_p as number | undefined) ?? 1,
      ...(seed !== undefined ? { seed } : {}),
    };
  }

  /** The drawn text's pieces; stops early when the client goes away or the server closes. */
  private async *pieces(g: TextGeneration, reply: FastifyReply): AsyncGenerator<string> {
    const stop = new AbortController();
    // The response closes when it is sent, or before when the client goes away.
    const gone = () => stop.abort();
    reply.raw.once('close', gone);
    this.running.add(stop);
    try {
      let n = 0;
      for await (const piece of generateText(this.model, this.vocab, this.tokenizer, {
        ...g,
        signal: stop.signal,
      })) {
        yield piece;
        if (++n % TOKENS_PER_TURN === 0) await nextTurn();
      }
    } finally {
      reply.raw.off('close', gone);
      this.running.delete(stop);
    }
  }

  routes(app: FastifyInstance): void {
    const { name } = this;
    const config = (route: string): RouteConfig => ({ route, model: name });
    const base = `/v2/models/${name}`;
    app.get(base, { config: config('/v2/models/{name}') }, async () => this.metadata());
    app.get(`${base}/ready`, { config: config('/v2/models/{name}/ready') }, async () => ({
      name,
      ready: true,
    }));
    app.post(
      `/v1/models/${name}::predict`,
      { config: config('/v1/models/{name}:predict'), schema: { body: V1_SCHEMA } },
      async (req, reply) => {
        const body = req.body as Record<string, unknown>;
        const g = this.generation(body.prompt as string, body, V1_FIELDS);
        reply.type('text/plain; charset=utf-8');
        return reply.send(Readable.from(this.pieces(g, reply)));
      },
    );
    app.post(
      `${base}/infer`,
      { config: config('/v2/models/{name}/infer'), schema: { body: v2Schema(SETTINGS_SCHEMA) } },
      async (req, reply) => {
        const body = req.body as V2Request;
        const wanted = requestedOutputs(body, ['text']);
        const index = inputsByName(body, ['prompt']);
        const p = readInput<string>(body, index, 'prompt', {
          datatypes: ['BYTES'],
          ranks: [1],
          required: true,
        })!;
        if (p.shape[0] !== 1) {
          throw new RequestError(
            `${p.field}.shape`,
            `${p.field}.shape must be [1] (one prompt), got [${p.shape.join(', ')}]`,
          );
        }
        const g = this.generation(p.data[0]!, body.parameters ?? {}, V2_FIELDS(p.field));
        let text = '';
        for await (const piece of this.pieces(g, reply)) text += piece;
        const outputs = wanted.has('text')
          ? [{ name: 'text', datatype: 'BYTES', shape: [1], data: [text] }]
          : [];
        return { model_name: name, ...(body.id !== undefined ? { id: body.id } : {}), outputs };
      },
    );
  }
}

/** Where a request's fields are, for messages. */
interface Fields {
  prompt: string;
  length: string;
  temperature: string;
}

const V1_FIELDS: Fields = { prompt: 'prompt', length: 'length', temperature: 'temperature' };
const V2_FIELDS = (prompt: string): Fields => ({
  prompt: `${prompt}.data[0]`,
  length: 'parameters.length',
  temperature: 'parameters.temperature',
});
