import { ValueError } from '../../tensor/errors.js';
import type { Generator } from '../../tensor/random.js';

/** How the next token is drawn from a model's logits. */
export interface SamplingOptions {
  /** Divides the logits: below 1 sharper, above 1 flatter; 0 always takes the most likely token. Default 1. */
  temperature?: number;
  /** Draw only among the k most likely tokens (0, the default, means all). */
  topK?: number;
  /** Draw only among the most likely tokens whose probabilities first reach p (nucleus sampling; 1, the default, means all). */
  topP?: number;
  /** Token ids never drawn (padding, `<unk>`). */
  exclude?: readonly number[];
}

export function checkSampling(where: string, o: SamplingOptions): Required<SamplingOptions> {
  const { temperature = 1, topK = 0, topP = 1, exclude = [] } = o;
  if (typeof temperature !== 'number' || !(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new ValueError(`${where}: temperature must be a finite number ≥ 0, got ${String(temperature)}`);
  }
  if (!Number.isInteger(topK) || topK < 0) {
    throw new ValueError(`${where}: topK must be an integer ≥ 0 (0: no limit), got ${String(topK)}`);
  }
  if (typeof topP !== 'number' || !(topP > 0 && topP <= 1)) {
    throw new ValueError(`${where}: topP must be a number in (0, 1], got ${String(topP)}`);
  }
  if (!Array.isArray(exclude) || exclude.some((id) => !Number.isInteger(id))) {
    throw new ValueError(`${where}: exclude must be an array of token ids`);
  }
  return { temperature, topK, topP, exclude };
}

/**
 * Draws a token id from `logits` (one per vocabulary entry) with `generator`: softmax of
 * logits / temperature, cut to the top k and then to the nucleus p, renormalised. O(V) without
 * top-k or top-p, O(V log V) with them.
 */
export function sampleLogits(
  logits: ArrayLike<number>,
  options: Required<SamplingOptions>,
  generator: Generator,
): number {
  const V = logits.length;
  const banned = new Set(options.exclude);
  const ids: number[] = [];
  for (let i = 0; i < V; i++) if (!banned.has(i) && !Number.isNaN(logits[i]!)) ids.push(i);
  if (ids.length === 0) throw new ValueError('sampleLogits: every token is excluded or NaN; nothing to draw');
  if (options.temperature === 0) {
    let best = ids[0]!;
    for (const i of ids) if (logits[i]! > logits[best]!) best = i;
    return best;
  }
  let kept = ids;
  const cut = (options.topK > 0 && options.topK < ids.length) || options.topP < 1;
  if (cut) {
    kept = ids.slice().sort((x, y) => logits[y]! - logits[x]! || x - y);
    if (options.topK > 0) kept = kept.slice(0, options.topK);
  }
  let max = Number.NEGATIVE_INFINITY;
  for (const i of kept) max = Math.max(max, logits[i]!);
  const weights = kept.map((i) => Math.exp((logits[i]! - max) / options.temperature));
  let total = weights.reduce((s, w) => s + w, 0);
  if (options.topP < 1) {
    // kept is sorted: keep the shortest prefix whose share of the mass reaches topP.
    let mass = 0;
    let n = 0;
    while (n < weights.length && mass < options.topP * total) mass += weights[n++]!;
    weights.length = n;
    total = mass;
  }
  let u = generator.random() * total;
  for (let k = 0; k < weights.length; k++) {
    u -= weights[k]!;
    if (u < 0) return kept[k]!;
  }
  return kept[weights.length - 1]!;
}
