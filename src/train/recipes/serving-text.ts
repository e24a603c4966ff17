import { TextClassifier } from '../../nn/heads.js';
import { noGrad } from '../../tensor/autograd.js';
import { trainingStep } from '../../tensor/step.js';
import { Tensor } from '../../tensor/tensor.js';
import { softmaxRows } from '../tasks.js';
import type { OpenedModel } from './opened.js';
import { advance, type RecurrentState } from './serving-state.js';
import { type TextPrediction, type TextRuntime, textRuntime } from './text-model.js';

/**
 * A text classifier prepared once for many calls, as a server runs it: the texts of many requests
 * classified together (what `predictText` computes, in one forward, longest first), and sessions — a text arriving in chunks,
 * the recurrent state carried from one chunk to the next, labelled after each.
 */
export interface TextServing {
  readonly labels: readonly string[];
  /** Tokens a text is cut to before classification (the training maxLen). */
  readonly maxLen: number;
  /** Why the model cannot carry a session's state, or null when it can. */
  readonly sessionless: string | null;
  /** A text's token ids as classification reads them (cut to maxLen; never empty). */
  encode(text: string): Int32Array;
  /**
   * Labels and probabilities of texts already encoded, as `predictText` gives them for the texts:
   * run longest first in one forward, so a short text does not pay for a long one's steps.
   */
  classify(encoded: readonly Int32Array[]): TextPrediction[];
  /** A session chunk's token ids, read as in training but not cut to maxLen (possibly none). */
  tokens(text: string): Int32Array;
  /**
   * Advances B sessions by their chunks' tokens (each non-empty) from their states (null: a
   * new session) and labels each from its new state. The new states reuse the buffers of the
   * states before the ones read (see serving-state.ts): keep one state per session, the latest,
   * and pass each at most once per call.
   */
  step(
    chunks: readonly Int32Array[],
    states: readonly (RecurrentState | null)[],
  ): { predictions: TextPrediction[]; states: RecurrentState[] };
}

/** A text's answer from its class probabilities `p` (the first of equal maxima wins, as in predictText). */
function prediction(labels: readonly string[], p: ArrayLike<number>): TextPrediction {
  let best = 0;
  for (let j = 1; j < labels.length; j++) if (p[j]! > p[best]!) best = j;
  return { label: labels[best]!, probability: p[best]!, probabilities: byLabel(labels, p) };
}

/**
 * { label: probability } in the labels' order: assigned in a loop, about 6× less CPU than
 * Object.fromEntries of mapped pairs (0.07 against 0.4 µs a text); a label `__proto__` would set
 * the prototype by assignment, so then fromEntries.
 */
function byLabel(labels: readonly string[], p: ArrayLike<number>): Record<string, number> {
  if (labels.includes('__proto__')) return Object.fromEntries(labels.map((l, j) => [l, p[j]!]));
  const out: Record<string, number> = {};
  for (let j = 0; j < labels.length; j++) out[labels[j]!] = p[j]!;
  return out;
}

function sessionless(model: OpenedModel['model']): string | null {
  if (!(model instanceof TextClassifier)) return 'a bag-of-words model has no recurrent state to carry';
  const s = model.settings;
  if (s.bagOfWords) return 'the model adds the mean of its bag of words over the whole text';
  if (s.bidirectional) return 'a bidirectional model also reads each text from its end';
  if (s.pooling !== 'last') {
    return `the model pools its outputs by ${s.pooling} over the whole text; only pooling 'last' reads the state alone`;
  }
  return null;
}

/** Rows in one length bucket share at least this share of its longest row's length. */
export const BUCKET_SPREAD = 0.75;

/** Indices of `rows` sorted by length, longest first (a stable sort: equal lengths keep their order). */
function longestFirst(rows: readonly Int32Array[]): number[] {
  return rows.map((_, i) => i).sort((a, b) => rows[b]!.length - rows[a]!.length);
}

/**
 * Indices of `encoded` grouped for batched forwards: sorted by length, longest first, a bucket
 * closing when the next row is shorter than `spread` of its first (with BUCKET_SPREAD, the
 * padding each row pays is under a quarter of the bucket's steps). Serving runs a batch in one
 * forward instead (classifyLongestFirst); the benchmarks compare the two.
 */
export function lengthBuckets(encoded: readonly Int32Array[], spread = BUCKET_SPREAD): number[][] {
  const buckets: number[][] = [];
  let longest = 0;
  for (const i of longestFirst(encoded)) {
    const n = encoded[i]!.length;
    if (buckets.length === 0 || n < longest * spread) {
      buckets.push([]);
      longest = n;
    }
    buckets[buckets.length - 1]!.push(i);
  }
  return buckets;
}

/**
 * Class probabilities (B, K) of encoded texts in one padded forward, its rows sorted longest
 * first: the recurrent layers then skip the products of rows past their length (native
 * driver.h, lengthsNeverGrow), so a short text pays for its own steps alone, as in a bucket of its
 * own, and the batch pays for one forward's calls instead of one per bucket. This is the packed
 * sequence a wide model's batch once ran as time segments, one forward call per segment: in one call
 * its few long texts' last steps join no smaller call that streams the recurrent weights per row.
 */
function classifyLongestFirst(
  model: TextRuntime['model'],
  encoded: readonly Int32Array[],
  k: number,
): Float32Array {
  const probs = new Float32Array(encoded.length * k);
  if (encoded.length === 0) return probs;
  const order = longestFirst(encoded);
  const lengths = Int32Array.from(order, (i) => encoded[i]!.length);
  const T = lengths[0]!;
  const ids = new Int32Array(order.length * T);
  for (const [r, i] of order.entries()) ids.set(encoded[i]!, r * T);
  // One step: the forward's large buffers go back to the pool for the next batch, not to the GC.
  trainingStep(() => {
    const logits = noGrad(() => model.forward(new Tensor(ids, [order.length, T]), lengths));
    const p = softmaxRows(logits);
    for (const [r, i] of order.entries()) probs.set(p.subarray(r * k, (r + 1) * k), i * k);
  });
  return probs;
}

/** `opened` (a text classifier) ready to serve; throws a ValueError naming what its config lacks. */
export function textServing(opened: OpenedModel): TextServing {
  const rt = textRuntime(opened);
  const labels = rt.labels;
  const reason = sessionless(rt.model);
  return {
    labels,
    maxLen: rt.maxLen,
    sessionless: reason,
    encode: rt.encode,
    classify(encoded) {
      const k = labels.length;
      const probs = classifyLongestFirst(rt.model, encoded, k);
      return encoded.map((_, b) => prediction(labels, probs.subarray(b * k, (b + 1) * k)));
    },
    tokens: rt.tokens,
    step(chunks, states) {
      const model = rt.model as TextClassifier;
      // Longest first, as classify runs: the recurrent driver skips the steps of finished chunks.
      const order = longestFirst(chunks);
      const lengths = Int32Array.from(order, (i) => chunks[i]!.length);
      const T = lengths[0] ?? 0;
      const ids = new Int32Array(order.length * T);
      for (const [r, i] of order.entries()) ids.set(chunks[i]!, r * T);
      const x = noGrad(() => model.embedding.forward(new Tensor(ids, [order.length, T])));
      const next = advance(
        model.rnn,
        x,
        lengths,
        order.map((i) => states[i] ?? null),
      );
      const H = model.settings.hiddenSize;
      const logits = noGrad(() => model.fc.forward(new Tensor(next.top, [order.length, H])));
      const probs = softmaxRows(logits);
      const k = labels.length;
      const predictions = new Array<TextPrediction>(chunks.length);
      const after = new Array<RecurrentState>(chunks.length);
      for (const [r, i] of order.entries()) {
        predictions[i] = prediction(labels, probs.subarray(r * k, (r + 1) * k));
        after[i] = next.states[r]!;
      }
      return { predictions, states: after };
    },
  };
}
