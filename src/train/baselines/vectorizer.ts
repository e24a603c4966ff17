import { ValueError } from '../../tensor/errors.js';

/**
 * A sparse matrix in compressed rows: row r's entries are columns indices[indptr[r]..indptr[r+1])
 * (increasing) with values at the same positions. float64, as the solvers that read it.
 */
export interface CsrMatrix {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

/**
 * scikit-learn's TfidfVectorizer (and CountVectorizer-like weightings) over token lists:
 * word n-grams joined by a space, term counts, optional idf and row normalisation.
 */
export interface VectorizerOptions {
  /** Smallest and largest n of the word n-grams (default [1, 1]). */
  ngramRange?: readonly [number, number];
  /** Keep n-grams found in at least this many training documents (default 1). */
  minDf?: number;
  /** Keep n-grams found in at most this fraction of the training documents (default 1). */
  maxDf?: number;
  /** Keep only the most frequent n-grams (by count over the training documents; ties by name). */
  maxFeatures?: number;
  /** Count presence (1) instead of occurrences (default false). */
  binary?: boolean;
  /** Replace a count tf by 1 + ln(tf) (default false). */
  sublinearTf?: boolean;
  /** Multiply by idf = ln((1 + n) / (1 + df)) + 1, or ln(n / df) + 1 without smoothIdf (default true). */
  useIdf?: boolean;
  smoothIdf?: boolean;
  /** Scale each row to unit L2 or L1 norm, or leave it (default 'l2'). */
  norm?: 'l2' | 'l1' | 'none';
}

/** The saved form of a fitted vectorizer. */
export interface VectorizerJSON {
  format: 'kioku-vectorizer';
  version: 1;
  options: Required<VectorizerOptions>;
  features: string[];
  idf: number[] | null;
}

function checkOptions(o: VectorizerOptions): Required<VectorizerOptions> {
  const where = 'TextVectorizer';
  const r: Required<VectorizerOptions> = {
    ngramRange: o.ngramRange ?? [1, 1],
    minDf: o.minDf ?? 1,
    maxDf: o.maxDf ?? 1,
    maxFeatures: o.maxFeatures ?? Number.POSITIVE_INFINITY,
    binary: o.binary ?? false,
    sublinearTf: o.sublinearTf ?? false,
    useIdf: o.useIdf ?? true,
    smoothIdf: o.smoothIdf ?? true,
    norm: o.norm ?? 'l2',
  };
  const [lo, hi] = Array.isArray(r.ngramRange) ? r.ngramRange : [Number.NaN, Number.NaN];
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi < lo) {
    throw new ValueError(
      `${where}: ngramRange must be [min, max] with integers 1 ≤ min ≤ max, got ${String(r.ngramRange)}`,
    );
  }
  if (!Number.isInteger(r.minDf) || r.minDf < 1) {
    throw new ValueError(`${where}: minDf must be an integer ≥ 1 (documents), got ${String(r.minDf)}`);
  }
  if (typeof r.maxDf !== 'number' || !(r.maxDf > 0 && r.maxDf <= 1)) {
    throw new ValueError(
      `${where}: maxDf must be a fraction in (0, 1] of the documents, got ${String(r.maxDf)}`,
    );
  }
  if (r.maxFeatures !== Number.POSITIVE_INFINITY && (!Number.isInteger(r.maxFeatures) || r.maxFeatures < 1)) {
    throw new ValueError(`${where}: maxFeatures must be a positive integer, got ${String(r.maxFeatures)}`);
  }
  for (const k of ['binary', 'sublinearTf', 'useIdf', 'smoothIdf'] as const) {
    if (typeof r[k] !== 'boolean')
      throw new ValueError(`${where}: ${k} must be a boolean, got ${String(r[k])}`);
  }
  if (!['l2', 'l1', 'none'].includes(r.norm)) {
    throw new ValueError(`${where}: norm must be 'l2', 'l1' or 'none', got ${String(r.norm)}`);
  }
  return r;
}

function checkDocs(where: string, docs: unknown): readonly (readonly string[])[] {
  if (!Array.isArray(docs) || docs.some((d) => !Array.isArray(d))) {
    throw new ValueError(`${where}: documents must be an array of token lists (string[][])`);
  }
  return docs as string[][];
}

/** Counts of each n-gram of a token list, n in [lo, hi]. */
function ngramCounts(tokens: readonly string[], lo: number, hi: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let n = lo; n <= hi; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const g = n === 1 ? tokens[i]! : tokens.slice(i, i + n).join(' ');
      counts.set(g, (counts.get(g) ?? 0) + 1);
    }
  }
  return counts;
}

/** Bag-of-n-grams features with scikit-learn's TF-IDF arithmetic; fit on training documents only. */
export class TextVectorizer {
  readonly options: Required<VectorizerOptions>;
  private features: string[] = [];
  private column = new Map<string, number>();
  private idf: Float64Array | null = null;

  constructor(options: VectorizerOptions = {}) {
    if (typeof options !== 'object' || options === null)
      throw new ValueError('TextVectorizer: options must be an object');
    this.options = checkOptions(options);
  }

  /** The feature names (n-grams) in column order: code-unit order of the strings. */
  get featureNames(): readonly string[] {
    return this.features;
  }

  /** Learns the n-grams (and their idf) from token lists. */
  fit(docs: readonly (readonly string[])[]): this {
    checkDocs('TextVectorizer.fit', docs);
    if (docs.length === 0) throw new ValueError('TextVectorizer.fit: needs at least one document, got 0');
    const { ngramRange, minDf, maxDf, maxFeatures } = this.options;
    const df = new Map<string, number>();
    const total = new Map<string, number>();
    for (const d of docs) {
      for (const [g, c] of ngramCounts(d, ngramRange[0], ngramRange[1])) {
        df.set(g, (df.get(g) ?? 0) + 1);
        total.set(g, (total.get(g) ?? 0) + c);
      }
    }
    const maxCount = maxDf * docs.length;
    let kept = [...df.keys()].filter((g) => df.get(g)! >= minDf && df.get(g)! <= maxCount);
    if (kept.length > maxFeatures) {
      kept.sort((a, b) => total.get(b)! - total.get(a)! || (a < b ? -1 : 1));
      kept = kept.slice(0, maxFeatures);
    }
    if (kept.length === 0) {
      throw new ValueError(
        'TextVectorizer.fit: no n-gram is left after minDf and maxDf; lower minDf or raise maxDf',
      );
    }
    this.setFeatures(kept.sort());
    if (this.options.useIdf) {
      const n = docs.length;
      const smooth = this.options.smoothIdf ? 1 : 0;
      this.idf = Float64Array.from(this.features, (g) => Math.log((n + smooth) / (df.get(g)! + smooth)) + 1);
    }
    return this;
  }

  private setFeatures(features: string[]): void {
    this.features = features;
    this.column = new Map(features.map((g, i) => [g, i]));
  }

  /** Rows of features for token lists; n-grams not seen in fitting are ignored. */
  transform(docs: readonly (readonly string[])[]): CsrMatrix {
    checkDocs('TextVectorizer.transform', docs);
    if (this.features.length === 0) throw new ValueError('TextVectorizer.transform: call fit() first');
    const { ngramRange } = this.options;
    const indptr = new Int32Array(docs.length + 1);
    const indices: number[] = [];
    const values: number[] = [];
    docs.forEach((d, r) => {
      const row: Array<[number, number]> = [];
      for (const [g, c] of ngramCounts(d, ngramRange[0], ngramRange[1])) {
        const j = this.column.get(g);
        if (j !== undefined) row.push([j, this.weight(j, c)]);
      }
      row.sort((a, b) => a[0] - b[0]);
      const scale = this.rowScale(row);
      for (const [j, v] of row) {
        indices.push(j);
        values.push(v * scale);
      }
      indptr[r + 1] = indices.length;
    });
    return {
      rows: docs.length,
      cols: this.features.length,
      indptr,
      indices: Int32Array.from(indices),
      values: Float64Array.from(values),
    };
  }

  fitTransform(docs: readonly (readonly string[])[]): CsrMatrix {
    return this.fit(docs).transform(docs);
  }

  private weight(column: number, count: number): number {
    const { binary, sublinearTf } = this.options;
    const tf = binary ? 1 : sublinearTf ? 1 + Math.log(count) : count;
    return this.idf ? tf * this.idf[column]! : tf;
  }

  private rowScale(row: ReadonlyArray<[number, number]>): number {
    const { norm } = this.options;
    if (norm === 'none') return 1;
    let s = 0;
    for (const [, v] of row) s += norm === 'l2' ? v * v : Math.abs(v);
    const n = norm === 'l2' ? Math.sqrt(s) : s;
    return n > 0 ? 1 / n : 1;
  }

  toJSON(): VectorizerJSON {
    const options = {
      ...this.options,
      maxFeatures: Number.isFinite(this.options.maxFeatures) ? this.options.maxFeatures : 0,
    };
    return {
      format: 'kioku-vectorizer',
      version: 1,
      options,
      features: [...this.features],
      idf: this.idf ? [...this.idf] : null,
    };
  }

  static fromJSON(json: VectorizerJSON): TextVectorizer {
    if (json?.format !== 'kioku-vectorizer' || json.version !== 1) {
      throw new ValueError('TextVectorizer.fromJSON: expected a kioku-vectorizer object of version 1');
    }
    const { maxFeatures, ...rest } = json.options;
    const v = new TextVectorizer({ ...rest, ...(maxFeatures > 0 ? { maxFeatures } : {}) });
    if (!Array.isArray(json.features) || (json.idf !== null && json.idf?.length !== json.features.length)) {
      throw new ValueError(
        'TextVectorizer.fromJSON: features must be an array, and idf null or one value per feature',
      );
    }
    v.setFeatures([...json.features]);
    v.idf = json.idf ? Float64Array.from(json.idf) : null;
    return v;
  }
}
