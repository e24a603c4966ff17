import { DTypeError, ValueError } from '../../tensor/errors.js';
import { type LmScore, lmScore } from '../lm/score.js';

/*
 * Interpolated Kneser-Ney n-gram language models over a token-id stream (Chen & Goodman, 1998,
 * "An empirical study of smoothing techniques for language modeling", §3.4 and §3.5):
 *
 *   p_n(w | h) = max(a_n(h w) − D_n(a_n(h w)), 0) / Σ_v a_n(h v) + γ_n(h) · p_{n−1}(w | h')
 *   γ_n(h)     = (D_n1·N1(h) + D_n2·N2(h) + D_n3+·N3+(h)) / Σ_v a_n(h v)
 *   p_0(w)     = 1 / V
 *
 * h' is h without its first token. a_n is the raw count at the highest order and the continuation
 * count |{v : c(v g) > 0}| below it; N_k(h) counts the words with a_n(h w) = k (k ≥ 3 for N3+).
 * 'modified' discounts: Y = t1 / (t1 + 2 t2), D1 = 1 − 2Y t2/t1, D2 = 2 − 3Y t3/t2,
 * D3+ = 3 − 4Y t4/t3 from the order's counts-of-counts t_k; 'single' uses D = Y for every count
 * (interpolated Kneser-Ney). A context never seen at an order (Σ a_n = 0) backs off entirely.
 * The stream has no sentence boundaries: its first token has no left context and is not counted
 * in the continuation counts. Every p_n(· | h) sums to 1 over the V token ids.
 */

export type Discounting = 'modified' | 'single';

export interface NGramOptions {
  /** Largest n (1 to 5 or more; default 5). Order 1 is a discounted unigram model. */
  order?: number;
  /** Token ids are in [0, vocabSize); the uniform base spreads over all of them. */
  vocabSize: number;
  /** Default 'modified'. */
  discounting?: Discounting;
}

/** Per context: Σ_v a(h v), then N1(h), N2(h), N3+(h). */
type ContextStats = [number, number, number, number];

interface OrderTable {
  /** a_n by n-gram key. */
  counts: Map<string, number>;
  contexts: Map<string, ContextStats>;
  /** D for counts 1, 2 and ≥ 3. */
  discounts: [number, number, number];
}

/** Each id as one UTF-16 code unit (two when the vocabulary is larger than 65,536). */
function keyer(vocabSize: number): (ids: ArrayLike<number>, start: number, end: number) => string {
  if (vocabSize <= 0x10000) {
    return (ids, start, end) => {
      let k = '';
      for (let i = start; i < end; i++) k += String.fromCharCode(ids[i]!);
      return k;
    };
  }
  return (ids, start, end) => {
    let k = '';
    for (let i = start; i < end; i++) k += String.fromCharCode(ids[i]! & 0xffff, ids[i]! >>> 16);
    return k;
  };
}

/** Chen & Goodman's discounts from the counts-of-counts t1..t4 (see the header). */
export function kneserNeyDiscounts(
  countsOfCounts: readonly [number, number, number, number],
  discounting: Discounting = 'modified',
): [number, number, number] {
  const [t1, t2, t3, t4] = countsOfCounts;
  const y = t1 > 0 ? t1 / (t1 + 2 * t2) : 0.5;
  if (discounting === 'single') return [y, y, y];
  const d: [number, number, number] = [1 - (2 * y * t2) / t1, 2 - (3 * y * t3) / t2, 3 - (4 * y * t4) / t3];
  // Too few distinct counts to estimate them (a tiny corpus): fall back to the single discount.
  const ok = d.every((v, i) => Number.isFinite(v) && v > 0 && v < i + 1);
  return ok ? d : [y, y, y];
}

function countsOfCounts(counts: Map<string, number>): [number, number, number, number] {
  const t: [number, number, number, number] = [0, 0, 0, 0];
  for (const c of counts.values()) if (c <= 4) t[c - 1]!++;
  return t;
}

/** Raw n-gram counts of every order 1..N over the stream. */
function rawCounts(ids: Int32Array, order: number, key: ReturnType<typeof keyer>): Map<string, number>[] {
  const raw = Array.from({ length: order }, () => new Map<string, number>());
  for (let n = 1; n <= order; n++) {
    const m = raw[n - 1]!;
    for (let i = 0; i + n <= ids.length; i++) {
      const k = key(ids, i, i + n);
      m.set(k, (m.get(k) ?? 0) + 1);
    }
  }
  return raw;
}

/** An interpolated Kneser-Ney model fitted on a token stream; see the file header. */
export class NGramModel {
  readonly order: number;
  readonly vocabSize: number;
  readonly discounting: Discounting;
  private readonly tables: OrderTable[];
  private readonly key: ReturnType<typeof keyer>;
  private readonly unit: number;

  constructor(ids: Int32Array, options: NGramOptions) {
    const { order = 5, vocabSize, discounting = 'modified' } = options ?? ({} as NGramOptions);
    if (!Number.isInteger(order) || order < 1) {
      throw new ValueError(`NGramModel: order must be a positive integer, got ${String(order)}`);
    }
    if (!Number.isInteger(vocabSize) || vocabSize < 1) {
      throw new ValueError(`NGramModel: vocabSize must be a positive integer, got ${String(vocabSize)}`);
    }
    if (discounting !== 'modified' && discounting !== 'single') {
      throw new ValueError(
        `NGramModel: discounting must be 'modified' or 'single', got ${String(discounting)}`,
      );
    }
    checkStream('NGramModel', ids, vocabSize);
    if (ids.length === 0) throw new ValueError('NGramModel: ids must hold at least one token, got 0');
    this.order = order;
    this.vocabSize = vocabSize;
    this.discounting = discounting;
    this.key = keyer(vocabSize);
    this.unit = vocabSize <= 0x10000 ? 1 : 2;
    const raw = rawCounts(ids, order, this.key);
    this.tables = raw.map((m, i) => this.table(i + 1 === order ? m : continuation(raw[i + 1]!, this.unit)));
  }

  private table(counts: Map<string, number>): OrderTable {
    const contexts = new Map<string, ContextStats>();
    for (const [k, c] of counts) {
      const h = k.slice(0, k.length - this.unit);
      let s = contexts.get(h);
      if (s === undefined) contexts.set(h, (s = [0, 0, 0, 0]));
      s[0] += c;
      s[Math.min(c, 3)]!++;
    }
    return { counts, contexts, discounts: kneserNeyDiscounts(countsOfCounts(counts), this.discounting) };
  }

  /**
   * p(w | context): the model of order min(N, context + 1) on the last N − 1 context tokens.
   * `context` may be empty.
   */
  probability(context: ArrayLike<number>, token: number): number {
    checkStream('NGramModel.probability', context, this.vocabSize, 'context');
    if (!Number.isInteger(token) || token < 0 || token >= this.vocabSize) {
      throw new ValueError(
        `NGramModel.probability: token must be an id in [0, ${this.vocabSize}), got ${token}`,
      );
    }
    const end = context.length;
    const n = Math.min(this.order, end + 1);
    const ids = Array.from({ length: n }, (_, i) => (i + 1 < n ? context[end - n + 1 + i]! : token));
    return this.interpolate(ids, 0, n);
  }

  /** p of ids[end − 1] given ids[start, end − 1), from order 1 up to end − start. */
  private interpolate(ids: ArrayLike<number>, start: number, end: number): number {
    let p = 1 / this.vocabSize;
    const n = end - start;
    for (let k = 1; k <= n; k++) {
      const t = this.tables[k - 1]!;
      const h = this.key(ids, end - k, end - 1);
      const s = t.contexts.get(h);
      if (s === undefined) continue; // unseen context: back off entirely
      const a = t.counts.get(h + this.key(ids, end - 1, end)) ?? 0;
      const d = t.discounts;
      const gamma = (d[0] * s[1] + d[1] * s[2] + d[2] * s[3]) / s[0];
      p = Math.max(a - (a === 0 ? 0 : d[Math.min(a, 3) - 1]!), 0) / s[0] + gamma * p;
    }
    return p;
  }

  /**
   * Cross-entropy on a stream: every token from the second on is predicted from up to N − 1
   * tokens before it in the same stream (with `context`, the tokens just before the stream,
   * its first token is predicted too).
   */
  score(ids: Int32Array, options: { context?: Int32Array } = {}): LmScore {
    checkStream('NGramModel.score', ids, this.vocabSize);
    const ctx = options.context ?? new Int32Array(0);
    checkStream('NGramModel.score', ctx, this.vocabSize, 'context');
    const keep = Math.min(ctx.length, this.order - 1);
    const all = new Int32Array(keep + ids.length);
    all.set(ctx.subarray(ctx.length - keep));
    all.set(ids, keep);
    const first = Math.max(keep, 1);
    let nats = 0;
    for (let i = first; i < all.length; i++) {
      nats -= Math.log(this.interpolate(all, Math.max(0, i + 1 - this.order), i + 1));
    }
    return lmScore(nats, all.length - first);
  }
}

/** Continuation counts of order n from the (n + 1)-gram keys: a(g) = |{v : c(v g) > 0}|. */
function continuation(higher: Map<string, number>, unit: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const k of higher.keys()) {
    const g = k.slice(unit);
    out.set(g, (out.get(g) ?? 0) + 1);
  }
  return out;
}

function checkStream(where: string, ids: ArrayLike<number>, vocabSize: number, name = 'ids'): void {
  if (!(ids instanceof Int32Array) && !Array.isArray(ids)) {
    throw new DTypeError(`${where}: ${name} must be an Int32Array of token ids, got ${typeof ids}`);
  }
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= vocabSize) {
      throw new ValueError(`${where}: ${name}[${i}] = ${v} is not a token id in [0, ${vocabSize})`);
    }
  }
}
