import { ValueError } from '../../tensor/errors.js';
import { LogisticRegression, type LogisticRegressionOptions } from './logistic.js';
import { TextVectorizer, type VectorizerOptions } from './vectorizer.js';

/**
 * The linear text baselines a text classifier is compared with, on token lists:
 *
 * - 'tfidf': word 1- and 2-grams seen in at least 2 training documents, sublinear tf, idf,
 *   L2-normalised rows;
 * - 'bag-of-words': word counts, L2-normalised rows (no idf);
 *
 * each followed by an L2-regularised logistic regression fitted by L-BFGS (see
 * LogisticRegression): a deterministic budget of at most `maxIter` (default 500) full passes over
 * the training rows, stopping when every gradient component is below `tol` (default 1e-6).
 * With `valTokens`/`valLabels`, C is chosen from `cGrid` by validation accuracy (ties: the
 * smaller C, the stronger regularisation).
 */
export type TextBaselineKind = 'tfidf' | 'bag-of-words';

export const TEXT_BASELINE_FEATURES: Record<TextBaselineKind, VectorizerOptions> = {
  tfidf: { ngramRange: [1, 2], minDf: 2, sublinearTf: true },
  'bag-of-words': { useIdf: false },
};

/** The candidates for C chosen on validation data when none are given. */
export const C_GRID: readonly number[] = [1, 10, 100];

export interface TextBaselineOptions extends Omit<LogisticRegressionOptions, 'C'> {
  kind: TextBaselineKind;
  /** Overrides of the kind's vectorizer settings. */
  vectorizer?: VectorizerOptions;
  /** Inverse regularisation strength when no validation data is given (default 10). */
  C?: number;
  /** Candidates for C, chosen on validation data (default [1, 10, 100]). */
  cGrid?: readonly number[];
  valTokens?: readonly (readonly string[])[];
  valLabels?: Int32Array;
  numClasses?: number;
}

export interface TextBaseline {
  kind: TextBaselineKind;
  vectorizer: TextVectorizer;
  model: LogisticRegression;
  C: number;
  /** Validation accuracy of the chosen C, when validation data was given. */
  valAccuracy: number | null;
  predict(tokens: readonly (readonly string[])[]): Int32Array;
  predictProba(tokens: readonly (readonly string[])[]): Float64Array;
}

function accuracyOf(pred: Int32Array, labels: Int32Array): number {
  let hits = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) hits++;
  return hits / pred.length;
}

/** Fits a linear baseline on tokenized training documents; see {@link TextBaselineKind}. */
export function fitTextBaseline(
  tokens: readonly (readonly string[])[],
  labels: Int32Array,
  options: TextBaselineOptions,
): TextBaseline {
  const kind = options?.kind;
  if (kind !== 'tfidf' && kind !== 'bag-of-words') {
    throw new ValueError(`fitTextBaseline: kind must be 'tfidf' or 'bag-of-words', got ${String(kind)}`);
  }
  const { valTokens, valLabels, maxIter, tol, numClasses } = options;
  if ((valTokens === undefined) !== (valLabels === undefined)) {
    throw new ValueError('fitTextBaseline: pass both valTokens and valLabels, or neither');
  }
  const vectorizer = new TextVectorizer({ ...TEXT_BASELINE_FEATURES[kind], ...options.vectorizer });
  const x = vectorizer.fitTransform(tokens);
  const fit = (C: number) =>
    new LogisticRegression({ C, ...(maxIter ? { maxIter } : {}), ...(tol !== undefined ? { tol } : {}) }).fit(
      x,
      labels,
      numClasses,
    );
  let model: LogisticRegression;
  let C = options.C ?? 10;
  let valAccuracy: number | null = null;
  if (valTokens && valLabels) {
    const xVal = vectorizer.transform(valTokens);
    const grid = options.cGrid ?? C_GRID;
    const fits = grid
      .map((c) => ({ c, m: fit(c) }))
      .map((f) => ({ ...f, acc: accuracyOf(f.m.predict(xVal), valLabels) }));
    const best = fits.reduce((a, b) => (b.acc > a.acc || (b.acc === a.acc && b.c < a.c) ? b : a));
    [model, C, valAccuracy] = [best.m, best.c, best.acc];
  } else {
    model = fit(C);
  }
  return {
    kind,
    vectorizer,
    model,
    C,
    valAccuracy,
    predict: (t) => model.predict(vectorizer.transform(t)),
    predictProba: (t) => model.predictProba(vectorizer.transform(t)),
  };
}
