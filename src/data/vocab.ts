import { IndexError, ValueError } from '../tensor/errors.js';
import { TokenTable } from './vocab-table.js';

export const PAD = '<pad>';
export const UNK = '<unk>';
export const BOS = '<bos>';
export const EOS = '<eos>';

export interface VocabBuildOptions {
  /** Tokens seen fewer times are left out (they encode as `<unk>`). Default 1. */
  minFreq?: number;
  /** Largest vocabulary, specials included. Default: no limit. */
  maxSize?: number;
  /** Reserve `<bos>` (id 2) and `<eos>` (id 2 or 3) after `<pad>`=0 and `<unk>`=1. Default false. */
  bos?: boolean;
  eos?: boolean;
  /**
   * Order among tokens of equal frequency: 'first' (default), the order they first appeared
   * in the corpus; 'lexical', code-unit order of the strings. Both are deterministic.
   */
  tieBreak?: 'first' | 'lexical';
}

export type Truncation = 'head' | 'tail' | 'headTail';

export interface EncodeOptions {
  /** Longest output, `<bos>`/`<eos>` included. */
  maxLength?: number;
  /**
   * What survives truncation: 'head' keeps the first tokens (default), 'tail' the last,
   * 'headTail' the first ⌊n/4⌋ and the last n − ⌊n/4⌋ (Sun et al., 2019, for long reviews).
   */
  truncation?: Truncation;
  addBos?: boolean;
  addEos?: boolean;
}

/** The JSON form saved with a model. */
export interface VocabJSON {
  format: 'kioku-vocab';
  version: 1;
  tokens: string[];
  bos: boolean;
  eos: boolean;
}

/** Counts tokens over a corpus, one document at a time, so a stream can build a vocabulary. */
export class TokenCounter {
  private readonly counts = new Map<string, number>();
  /** Documents added so far. */
  documents = 0;

  add(tokens: Iterable<string>): this {
    const counts = this.counts;
    for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
    this.documents++;
    return this;
  }

  /** Occurrences of `token` so far. */
  count(token: string): number {
    return this.counts.get(token) ?? 0;
  }

  /** Distinct tokens so far. */
  get size(): number {
    return this.counts.size;
  }

  /** Map insertion order is first-appearance order, which 'first' tie-breaking relies on. */
  entries(): IterableIterator<[string, number]> {
    return this.counts.entries();
  }

  toVocab(options: VocabBuildOptions = {}): Vocab {
    const {
      minFreq = 1,
      maxSize = Number.POSITIVE_INFINITY,
      bos = false,
      eos = false,
      tieBreak = 'first',
    } = options;
    if (!Number.isInteger(minFreq) || minFreq < 1) {
      throw new ValueError(`Vocab.build: minFreq must be a positive integer, got ${minFreq}`);
    }
    const specials = specialTokens(bos, eos);
    if (maxSize !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxSize) || maxSize < specials.length)) {
      throw new ValueError(
        `Vocab.build: maxSize must be an integer ≥ ${specials.length} (the special tokens), got ${maxSize}`,
      );
    }
    if (tieBreak !== 'first' && tieBreak !== 'lexical') {
      throw new ValueError(`Vocab.build: tieBreak must be 'first' or 'lexical', got ${String(tieBreak)}`);
    }
    const kept: [string, number, number][] = [];
    let order = 0;
    for (const [token, count] of this.counts) {
      if (count >= minFreq && !specials.includes(token)) kept.push([token, count, order]);
      order++;
    }
    kept.sort(
      (a, b) => b[1] - a[1] || (tieBreak === 'first' ? a[2] - b[2] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0),
    );
    const room = Math.min(kept.length, maxSize - specials.length);
    const tokens = specials.concat(kept.slice(0, room).map((k) => k[0]));
    return new Vocab(tokens, { bos, eos });
  }
}

function specialTokens(bos: boolean, eos: boolean): string[] {
  const s = [PAD, UNK];
  if (bos) s.push(BOS);
  if (eos) s.push(EOS);
  return s;
}

/**
 * A token ↔ id mapping. `<pad>` is 0 and `<unk>` is 1; `<bos>`/`<eos>` follow when asked for;
 * corpus tokens come next by decreasing frequency (ties: see {@link VocabBuildOptions.tieBreak}).
 */
export class Vocab {
  readonly itos: readonly string[];
  readonly hasBos: boolean;
  readonly hasEos: boolean;
  private readonly stoi: Map<string, number>;
  private readonly table: TokenTable;

  /** Builds from a list (or any iterable) of token lists. */
  static build(tokenLists: Iterable<Iterable<string>>, options: VocabBuildOptions = {}): Vocab {
    if (tokenLists === null || typeof (tokenLists as Iterable<unknown>)?.[Symbol.iterator] !== 'function') {
      throw new ValueError('Vocab.build: tokenLists must be an iterable of token lists');
    }
    const counter = new TokenCounter();
    for (const tokens of tokenLists) counter.add(checkTokens(tokens));
    return counter.toVocab(options);
  }

  /** Builds from an async stream of token lists (a corpus larger than memory). */
  static async buildAsync(
    tokenLists: AsyncIterable<Iterable<string>> | Iterable<Iterable<string>>,
    options: VocabBuildOptions = {},
  ): Promise<Vocab> {
    const counter = new TokenCounter();
    for await (const tokens of tokenLists) counter.add(checkTokens(tokens));
    return counter.toVocab(options);
  }

  constructor(tokens: readonly string[], options: { bos?: boolean; eos?: boolean } = {}) {
    const { bos = false, eos = false } = options;
    const specials = specialTokens(bos, eos);
    if (!Array.isArray(tokens)) throw new ValueError('Vocab: tokens must be an array of strings');
    specials.forEach((s, i) => {
      if (tokens[i] !== s) {
        throw new ValueError(
          `Vocab: tokens[${i}] must be the special token ${s}, got ${JSON.stringify(tokens[i])}`,
        );
      }
    });
    const stoi = new Map<string, number>();
    tokens.forEach((t, i) => {
      if (typeof t !== 'string')
        throw new ValueError(`Vocab: tokens[${i}] must be a string, got ${typeof t}`);
      if (stoi.has(t)) {
        throw new ValueError(`Vocab: token ${JSON.stringify(t)} appears twice (ids ${stoi.get(t)} and ${i})`);
      }
      stoi.set(t, i);
    });
    this.itos = Object.freeze([...tokens]);
    this.stoi = stoi;
    this.table = new TokenTable(this.itos);
    this.hasBos = bos;
    this.hasEos = eos;
  }

  get size(): number {
    return this.itos.length;
  }

  get padId(): number {
    return 0;
  }

  get unkId(): number {
    return 1;
  }

  get bosId(): number | null {
    return this.hasBos ? 2 : null;
  }

  get eosId(): number | null {
    return this.hasEos ? (this.hasBos ? 3 : 2) : null;
  }

  has(token: string): boolean {
    return this.stoi.has(token);
  }

  /** The id of `token`, or `<unk>`'s. */
  id(token: string): number {
    return this.table.id(token, 1);
  }

  token(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.itos.length) {
      throw new IndexError(`Vocab.token: id must be an integer in [0, ${this.itos.length}), got ${id}`);
    }
    return this.itos[id]!;
  }

  /** Token ids for `tokens`, with optional `<bos>`/`<eos>` and truncation to maxLength. */
  encode(tokens: readonly string[], options: EncodeOptions = {}): Int32Array {
    const { maxLength, truncation = 'head', addBos = false, addEos = false } = options;
    if (!Array.isArray(tokens)) throw new ValueError('Vocab.encode: tokens must be an array of strings');
    if (addBos && !this.hasBos)
      throw new ValueError('Vocab.encode: addBos needs a vocabulary built with bos: true');
    if (addEos && !this.hasEos)
      throw new ValueError('Vocab.encode: addEos needs a vocabulary built with eos: true');
    if (truncation !== 'head' && truncation !== 'tail' && truncation !== 'headTail') {
      throw new ValueError(
        `Vocab.encode: truncation must be 'head', 'tail' or 'headTail', got ${String(truncation)}`,
      );
    }
    const extra = (addBos ? 1 : 0) + (addEos ? 1 : 0);
    if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < extra)) {
      throw new ValueError(`Vocab.encode: maxLength must be an integer ≥ ${extra}, got ${maxLength}`);
    }
    const room = maxLength === undefined ? tokens.length : Math.min(tokens.length, maxLength - extra);
    let kept: readonly string[] = tokens;
    if (room < tokens.length) {
      if (truncation === 'head') kept = tokens.slice(0, room);
      else if (truncation === 'tail') kept = tokens.slice(tokens.length - room);
      else {
        const head = Math.floor(room / 4);
        kept = tokens.slice(0, head).concat(tokens.slice(tokens.length - (room - head)));
      }
    }
    const out = new Int32Array(kept.length + extra);
    let k = 0;
    if (addBos) out[k++] = this.bosId!;
    for (const t of kept) out[k++] = this.id(t);
    if (addEos) out[k++] = this.eosId!;
    return out;
  }

  /** Tokens for `ids`; `<pad>`, `<bos>` and `<eos>` are skipped unless skipSpecial is false. */
  decode(ids: ArrayLike<number>, options: { skipSpecial?: boolean } = {}): string[] {
    const { skipSpecial = true } = options;
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (skipSpecial && (id === 0 || id === this.bosId || id === this.eosId)) continue;
      out.push(this.token(id));
    }
    return out;
  }

  toJSON(): VocabJSON {
    return { format: 'kioku-vocab', version: 1, tokens: [...this.itos], bos: this.hasBos, eos: this.hasEos };
  }

  static fromJSON(json: VocabJSON): Vocab {
    if (typeof json !== 'object' || json === null) {
      throw new ValueError(`Vocab.fromJSON: expected an object, got ${String(json)}`);
    }
    if (json.format !== 'kioku-vocab') {
      throw new ValueError(
        `Vocab.fromJSON: format must be 'kioku-vocab', got ${JSON.stringify(json.format)}`,
      );
    }
    if (json.version !== 1)
      throw new ValueError(`Vocab.fromJSON: version must be 1, got ${JSON.stringify(json.version)}`);
    if (typeof json.bos !== 'boolean' || typeof json.eos !== 'boolean') {
      throw new ValueError('Vocab.fromJSON: bos and eos must be booleans');
    }
    if (!Array.isArray(json.tokens))
      throw new ValueError('Vocab.fromJSON: tokens must be an array of strings');
    return new Vocab(json.tokens, { bos: json.bos, eos: json.eos });
  }
}

function checkTokens(tokens: Iterable<string>): Iterable<string> {
  if (typeof tokens === 'string' || typeof (tokens as Iterable<string>)?.[Symbol.iterator] !== 'function') {
    throw new ValueError(
      `Vocab.build: each document must be a list of tokens, got ${typeof tokens === 'string' ? 'a string' : typeof tokens}`,
    );
  }
  return tokens;
}
