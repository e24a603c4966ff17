import type { OpenedModel } from '../train/recipes/opened.js';
import type { RecurrentState } from '../train/recipes/serving-state.js';
import { type TextServing, textServing } from '../train/recipes/serving-text.js';
import type { TextPrediction } from '../train/recipes/text-model.js';
import { RequestError } from './errors.js';
import {
  type Limits,
  type ModelKind,
  oneItem,
  SESSION_SCHEMA,
  type SessionFlags,
  withinBatch,
} from './kinds.js';
import { inputsByName, readInput, type V2Request, type V2Tensor } from './tensors.js';

/**
 * A text classifier served: v1 `{"instances": ["text", …]}` → `{"predictions": [{label,
 * probability, probabilities}]}`; v2 input `text` (BYTES, [B]) → outputs `label` (BYTES, [B]) and
 * `probabilities` (FP32, [B, K], in the order of the metadata's labels). A session reads one text
 * per request as the next chunk of one long text.
 */

export interface TextItem {
  /**
   * The text's token ids, read when the request arrives rather than in its batch: as
   * classification reads them (cut to the model's maxLen), or for a session chunk all of them.
   */
  tokens: Int32Array;
}

/** v2 outputs: `label` (BYTES, [B]) and `probabilities` (FP32, [B, K]), those wanted. */
function textOutputs(labels: readonly string[], outs: TextPrediction[], wanted: Set<string>): V2Tensor[] {
  const B = outs.length;
  const tensors: V2Tensor[] = [];
  if (wanted.has('label')) {
    tensors.push({ name: 'label', datatype: 'BYTES', shape: [B], data: outs.map((p) => p.label) });
  }
  if (wanted.has('probabilities')) {
    const data = outs.flatMap((p) => labels.map((l) => p.probabilities[l]!));
    tensors.push({ name: 'probabilities', datatype: 'FP32', shape: [B, labels.length], data });
  }
  return tensors;
}

/** A text as an item: read as classification reads it, or all its tokens for a session chunk. */
function textItem(
  serving: TextServing,
  limits: Limits,
  text: string,
  session: SessionFlags | null,
  field: string,
): TextItem {
  if (!session) return { tokens: serving.encode(text) };
  const tokens = serving.tokens(text);
  if (tokens.length === 0) throw new RequestError(field, `${field}: the text has no tokens to read`);
  if (tokens.length > limits.maxSequenceLength) {
    throw new RequestError(
      field,
      `${field} has ${tokens.length} tokens; this server reads at most ${limits.maxSequenceLength} per request (--max-sequence-length)`,
    );
  }
  return { tokens };
}

/** The texts of a v2 request: input `text`, BYTES, shape [B] or [B, 1]. */
function v2Texts(request: V2Request, limits: Limits, session: SessionFlags | null) {
  const index = inputsByName(request, ['text']);
  const t = readInput<string>(request, index, 'text', {
    datatypes: ['BYTES'],
    ranks: [1, 2],
    required: true,
  })!;
  if (t.shape.length === 2 && t.shape[1] !== 1) {
    throw new RequestError(
      `${t.field}.shape`,
      `${t.field}.shape must be [B] or [B, 1], got [${t.shape.join(', ')}]`,
    );
  }
  withinBatch(t.shape[0]!, limits, `${t.field}.shape`);
  oneItem(t.shape[0]!, session, `${t.field}.shape`);
  return t.data.map((text, i) => ({ text, field: `${t.field}.data[${i}]` }));
}

const V1_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['instances'],
  properties: { instances: { type: 'array', minItems: 1, items: { type: 'string' } }, ...SESSION_SCHEMA },
};

/** A v1 answer, `{"predictions": [{label, probability, probabilities}]}`, for its compiled serialiser. */
export const V1_ANSWER = {
  type: 'object',
  properties: {
    predictions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          label: { type: 'string' },
          probability: { type: 'number' },
          probabilities: { type: 'object', additionalProperties: { type: 'number' } },
        },
      },
    },
  },
} as const;

export function textKind(
  opened: OpenedModel,
  limits: Limits,
): ModelKind<TextItem, TextPrediction, RecurrentState> {
  const serving = textServing(opened);
  const { labels } = serving;
  const item = (text: string, session: SessionFlags | null, field: string) =>
    textItem(serving, limits, text, session, field);
  return {
    task: 'classification',
    inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }],
    outputs: [
      { name: 'label', datatype: 'BYTES', shape: [-1] },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, labels.length] },
    ],
    parameters: { labels, max_length: serving.maxLen, sessions: serving.sessionless === null },
    sessionless: serving.sessionless,
    batched: true,
    cost: (item) => item.tokens.length,
    v1Schema: V1_SCHEMA,
    v1Answer: V1_ANSWER,
    v2Parameters: SESSION_SCHEMA,
    fromV1(body, session) {
      const texts = body.instances as string[];
      withinBatch(texts.length, limits, 'instances');
      oneItem(texts.length, session, 'instances');
      return texts.map((t, i) => item(t, session, `instances[${i}]`));
    },
    fromV2: (request, session) =>
      v2Texts(request, limits, session).map((t) => item(t.text, session, t.field)),
    toV1: (_items, outs) => ({ predictions: outs }),
    toV2: (_items, outs, wanted) => textOutputs(labels, outs, wanted),
    run: (items) => serving.classify(items.map((i) => i.tokens)),
    step(items, states) {
      const { predictions, states: next } = serving.step(
        items.map((i) => i.tokens),
        states,
      );
      return { outputs: predictions, states: next };
    },
  };
}
