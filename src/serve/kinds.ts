import { RequestError } from './errors.js';
import type { TensorSpec, V2Request, V2Tensor } from './tensors.js';

/**
 * What one kind of model (text classifier, forecaster) does for the server: its metadata, how a
 * request becomes items to run, how a batch of items runs (alone, or as sessions stepping a
 * recurrent state), and how outputs become a response. Everything else — batching, sessions,
 * routes, limits, metrics — is shared.
 */

/** The limits a request is checked against. */
export interface Limits {
  /** Items (texts, series) in one request, and rows in one batched forward. */
  maxBatchSize: number;
  /** Tokens of a session chunk or a prompt, rows of a history, forecast steps, generated tokens. */
  maxSequenceLength: number;
}

/** A sequence's flags (Triton's sequence batcher): the id, and whether this request starts or ends it. */
export interface SessionFlags {
  id: string;
  start: boolean;
  end: boolean;
  /** Where the id was given, for messages: `sequence_id` or `parameters.sequence_id`. */
  field: string;
}

/** A request ready to run: its items (texts, series) and its session, if any. */
export interface Job<Item> {
  items: Item[];
  session: SessionFlags | null;
}

export interface ModelKind<Item, Out, State> {
  /** The model's task, as its config.json names it. */
  readonly task: string;
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  /** Model facts a client needs (labels, columns, lookback…), in the v2 metadata's parameters. */
  readonly parameters: Record<string, unknown>;
  /** Why the model cannot keep a session, or null when it can. */
  readonly sessionless: string | null;
  /**
   * Whether run and step compute a batch's items together (one forward for all); when they
   * would compute them one after another anyway, requests run as they come instead of waiting
   * for company.
   */
  readonly batched: boolean;
  /** What an item costs a batch (a text's tokens), weighed against --max-batch-tokens; none: nothing. */
  cost?(item: Item): number;
  /** The JSON schemas of the v1 body and of the v2 request's parameters. */
  readonly v1Schema: object;
  /** The v1 answer's JSON schema, when it has one: Fastify compiles a serialiser from it at start. */
  readonly v1Answer?: object;
  readonly v2Parameters: Record<string, object>;
  fromV1(body: Record<string, unknown>, session: SessionFlags | null): Item[];
  fromV2(request: V2Request, session: SessionFlags | null): Item[];
  toV1(items: Item[], outs: Out[]): unknown;
  toV2(items: Item[], outs: Out[], wanted: Set<string>): V2Tensor[];
  /** One output per item. */
  run(items: Item[]): Out[];
  /** Sessions' items (one per session) advanced from their states (null: starting). */
  step(items: Item[], states: (State | null)[]): { outputs: Out[]; states: State[] };
}

/** The session fields of a body's schema. */
export const SESSION_SCHEMA = {
  // A string applies the length limits, an integer the minimum.
  sequence_id: { type: ['string', 'integer'], minLength: 1, maxLength: 256, minimum: 0 },
  sequence_start: { type: 'boolean' },
  sequence_end: { type: 'boolean' },
} as const;

/**
 * The session a request belongs to, from `sequence_id`, `sequence_start` and `sequence_end` in
 * `holder` (the v1 body, or the v2 request's parameters named by `prefix`); null without an id.
 */
export function sessionOf(
  holder: Record<string, unknown> | undefined,
  prefix: string,
  sessionless: string | null,
): SessionFlags | null {
  const field = `${prefix}sequence_id`;
  const id = holder?.sequence_id;
  if (id === undefined) {
    for (const flag of ['sequence_start', 'sequence_end']) {
      if (holder?.[flag] !== undefined) {
        throw new RequestError(
          `${prefix}${flag}`,
          `${prefix}${flag} needs ${field}: it flags a session's request`,
        );
      }
    }
    return null;
  }
  if (sessionless !== null)
    throw new RequestError(field, `${field}: this model cannot keep a session (${sessionless})`);
  return {
    id: String(id),
    start: holder?.sequence_start === true,
    end: holder?.sequence_end === true,
    field,
  };
}

/** Throws unless a session's request holds exactly one item (one sequence's next chunk). */
export function oneItem(count: number, session: SessionFlags | null, field: string): void {
  if (session && count !== 1) {
    throw new RequestError(field, `${field}: a session's request carries one sequence, got ${count}`);
  }
}

/** Throws unless a request's item count is within the batch limit. */
export function withinBatch(count: number, limits: Limits, field: string): void {
  if (count > limits.maxBatchSize) {
    throw new RequestError(
      field,
      `${field} holds ${count} items; this server takes at most ${limits.maxBatchSize} per request (--max-batch-size)`,
    );
  }
}
