import { ValueError } from '../../tensor/errors.js';
import { type LbfgsResult, minimizeLbfgs } from './lbfgs.js';
import type { CsrMatrix } from './vectorizer.js';

/*
 * L2-regularised logistic regression on sparse rows, scikit-learn's LogisticRegression with the
 * lbfgs solver: two classes use one weight vector and the sigmoid, more classes one vector per
 * class and the softmax (multinomial). The objective, minimised by L-BFGS in float64,
 *
 *   (1/n) Σ_i loss_i + ‖W‖² / (2·C·n)        (the intercepts are not penalised)
 *
 * has scikit-learn's minimiser (it minimises C·Σ loss + ‖W‖²/2). The budget is deterministic:
 * at most maxIter iterations, stopping once every gradient component is within tol.
 */

export interface LogisticRegressionOptions {
  /** Inverse regularisation strength, as scikit-learn's C (default 1). */
  C?: number;
  /** Most L-BFGS iterations (default 500). */
  maxIter?: number;
  /** Stop when the largest gradient component of the mean objective is at most this (default 1e-6). */
  tol?: number;
}

/** log(1 + e^z), stable for both signs. */
const softplus = (z: number): number => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

/**
 * x (rows × F) · W + b into out (rows × K), W stored feature-major (F × K): each nonzero reads the
 * K weights of its feature side by side. (With K = 1 both layouts of W are the same.)
 */
function scores(x: CsrMatrix, wT: Float64Array, b: Float64Array, K: number, out: Float64Array): void {
  for (let r = 0; r < x.rows; r++) {
    const o = r * K;
    for (let k = 0; k < K; k++) out[o + k] = b[k]!;
    for (let p = x.indptr[r]!; p < x.indptr[r + 1]!; p++) {
      const v = x.values[p]!;
      const at = x.indices[p]! * K;
      for (let k = 0; k < K; k++) out[o + k]! += v * wT[at + k]!;
    }
  }
}

/** dst (cols × rows) = src (rows × cols)ᵀ. */
function transpose(src: Float64Array, rows: number, cols: number, dst: Float64Array): void {
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) dst[j * rows + i] = src[i * cols + j]!;
}

/** Turns row r's scores into softmax − one-hot in place; returns its cross-entropy. */
function softmaxResidual(z: Float64Array, r: number, K: number, label: number): number {
  const o = r * K;
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < K; k++) max = Math.max(max, z[o + k]!);
  const labelScore = z[o + label]!;
  let sum = 0;
  for (let k = 0; k < K; k++) sum += z[o + k] = Math.exp(z[o + k]! - max);
  for (let k = 0; k < K; k++) z[o + k] = z[o + k]! / sum - (k === label ? 1 : 0);
  return max + Math.log(sum) - labelScore;
}

/**
 * Loss and gradient for the parameters θ = [W (K × F), b (K)]. K = 1: binary (y ∈ {0, 1});
 * K > 1: multinomial, computed on a feature-major copy of W (a nonzero then touches K adjacent
 * weights instead of K rows F apart).
 * `z` is scratch of rows × K.
 */
function objective(
  x: CsrMatrix,
  y: Int32Array,
  K: number,
  C: number,
  z: Float64Array,
): (t: Float64Array, g: Float64Array) => number {
  const { rows: n, cols: F } = x;
  const wT = new Float64Array(K > 1 ? K * F : 0);
  const gT = new Float64Array(K > 1 ? K * F : 0);
  return (theta, grad) => {
    const w = theta.subarray(0, K * F);
    const b = theta.subarray(K * F);
    if (K > 1) transpose(w, K, F, wT);
    scores(x, K > 1 ? wT : w, b, K, z);
    let loss = 0;
    // z becomes the residual ∂loss_i/∂z_ik.
    for (let r = 0; r < n; r++) {
      if (K > 1) {
        loss += softmaxResidual(z, r, K, y[r]!);
        continue;
      }
      const zi = z[r]!;
      loss += softplus(zi) - y[r]! * zi;
      z[r] = 1 / (1 + Math.exp(-zi)) - y[r]!;
    }
    grad.fill(0);
    residualGradient(x, z, K, K > 1 ? gT : grad.subarray(0, F), grad.subarray(K * F));
    if (K > 1) transpose(gT, F, K, grad);
    let penalty = 0;
    for (let i = 0; i < K * F; i++) {
      penalty += w[i]! * w[i]!;
      grad[i]! += w[i]! / C;
    }
    for (let i = 0; i < grad.length; i++) grad[i]! /= n;
    return (loss + penalty / (2 * C)) / n;
  };
}

/** gT (F × K) = Σ_r x_rᵀ z_r, gb (K) += Σ_r z_r. */
function residualGradient(x: CsrMatrix, z: Float64Array, K: number, gT: Float64Array, gb: Float64Array) {
  gT.fill(0);
  for (let r = 0; r < x.rows; r++) {
    const o = r * K;
    for (let k = 0; k < K; k++) gb[k]! += z[o + k]!;
    for (let p = x.indptr[r]!; p < x.indptr[r + 1]!; p++) {
      const v = x.values[p]!;
      const at = x.indices[p]! * K;
      for (let k = 0; k < K; k++) gT[at + k]! += z[o + k]! * v;
    }
  }
}

export class LogisticRegression {
  readonly C: number;
  readonly maxIter: number;
  readonly tol: number;
  /** Weights, one row of F per class (one row in all for two classes), and intercepts. */
  coef: Float64Array = new Float64Array(0);
  intercept: Float64Array = new Float64Array(0);
  numClasses = 0;
  /** How the last fit ended. */
  fitInfo: Omit<LbfgsResult, 'x'> | null = null;

  constructor(options: LogisticRegressionOptions = {}) {
    const { C = 1, maxIter = 500, tol = 1e-6 } = options;
    if (typeof C !== 'number' || !(C > 0) || !Number.isFinite(C)) {
      throw new ValueError(`LogisticRegression: C must be a finite number > 0, got ${String(C)}`);
    }
    if (!Number.isInteger(maxIter) || maxIter < 1) {
      throw new ValueError(`LogisticRegression: maxIter must be a positive integer, got ${String(maxIter)}`);
    }
    if (typeof tol !== 'number' || !(tol >= 0))
      throw new ValueError(`LogisticRegression: tol must be a number ≥ 0, got ${String(tol)}`);
    this.C = C;
    this.maxIter = maxIter;
    this.tol = tol;
  }

  /** Fits rows `x` to labels `y` in [0, numClasses) (default: the largest label + 1, at least 2). */
  fit(x: CsrMatrix, y: Int32Array, numClasses?: number): this {
    checkMatrix('LogisticRegression.fit', x);
    if (!(y instanceof Int32Array) || y.length !== x.rows) {
      throw new ValueError(
        `LogisticRegression.fit: y must be an Int32Array of ${x.rows} labels (one per row), got ${y?.length}`,
      );
    }
    let top = -1;
    for (const v of y) top = Math.max(top, v);
    const classes = numClasses ?? Math.max(2, top + 1);
    if (!Number.isInteger(classes) || classes < 2) {
      throw new ValueError(
        `LogisticRegression.fit: numClasses must be an integer ≥ 2, got ${String(classes)}`,
      );
    }
    const bad = y.findIndex((v) => v < 0 || v >= classes);
    if (bad >= 0)
      throw new ValueError(`LogisticRegression.fit: y[${bad}] = ${y[bad]} is not a class in [0, ${classes})`);
    const rowsK = classes === 2 ? 1 : classes;
    const F = x.cols;
    const f = objective(x, y, rowsK, this.C, new Float64Array(x.rows * rowsK));
    const r = minimizeLbfgs(f, new Float64Array(rowsK * (F + 1)), {
      maxIter: this.maxIter,
      gradTol: this.tol,
    });
    this.coef = r.x.slice(0, rowsK * F);
    this.intercept = r.x.slice(rowsK * F);
    this.numClasses = classes;
    const { x: _x, ...info } = r;
    this.fitInfo = info;
    return this;
  }

  /** Class probabilities, rows × numClasses row-major. */
  predictProba(x: CsrMatrix): Float64Array {
    checkMatrix('LogisticRegression.predictProba', x);
    if (this.numClasses === 0) throw new ValueError('LogisticRegression.predictProba: call fit() first');
    const F = this.coef.length / (this.numClasses === 2 ? 1 : this.numClasses);
    if (x.cols !== F)
      throw new ValueError(`LogisticRegression.predictProba: x has ${x.cols} columns, the model ${F}`);
    const K = this.numClasses;
    if (K === 2) {
      const z = new Float64Array(x.rows);
      scores(x, this.coef, this.intercept, 1, z);
      const out = new Float64Array(x.rows * 2);
      z.forEach((v, r) => {
        out[r * 2 + 1] = 1 / (1 + Math.exp(-v));
        out[r * 2] = 1 - out[r * 2 + 1]!;
      });
      return out;
    }
    const out = new Float64Array(x.rows * K);
    const wT = new Float64Array(this.coef.length);
    transpose(this.coef, K, F, wT);
    scores(x, wT, this.intercept, K, out);
    for (let r = 0; r < x.rows; r++) {
      const row = out.subarray(r * K, (r + 1) * K);
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < K; k++) max = Math.max(max, row[k]!);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += row[k] = Math.exp(row[k]! - max);
      for (let k = 0; k < K; k++) row[k]! /= sum;
    }
    return out;
  }

  /** The most probable class per row. */
  predict(x: CsrMatrix): Int32Array {
    const p = this.predictProba(x);
    const K = this.numClasses;
    return Int32Array.from({ length: x.rows }, (_, r) => {
      let best = 0;
      for (let k = 1; k < K; k++) if (p[r * K + k]! > p[r * K + best]!) best = k;
      return best;
    });
  }
}

function checkMatrix(where: string, x: CsrMatrix): void {
  const ok =
    typeof x === 'object' &&
    x !== null &&
    x.indptr instanceof Int32Array &&
    x.indptr.length === x.rows + 1 &&
    x.indices instanceof Int32Array &&
    x.values instanceof Float64Array &&
    x.indices.length === x.values.length &&
    x.indptr[x.rows] === x.indices.length;
  if (!ok)
    throw new ValueError(
      `${where}: x must be a CSR matrix (rows, cols, indptr, indices, values), as TextVectorizer.transform returns`,
    );
}
