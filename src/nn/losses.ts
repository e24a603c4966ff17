import { record } from '../tensor/autograd.js';
import { DTypeError, IndexError, ShapeError, ValueError } from '../tensor/errors.js';
import { broadcastShapes, formatShape, type Shape, sameShape, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/**
 * Loss functions with PyTorch's semantics and defaults. Each is one fused op: the forward
 * computes per-element losses in float64 and reduces them, the backward beside it writes the
 * input (and, where it has one, the target) gradient directly.
 */

export type Reduction = 'mean' | 'sum' | 'none';

/** A constant per-class or per-element weight: a float32 tensor or plain numbers. */
export type WeightLike = Tensor | readonly number[];

function checkReduction(fn: string, reduction: unknown): Reduction {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new ValueError(
      `${fn}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`,
    );
  }
  return reduction;
}

function checkFloat(fn: string, name: string, t: Tensor): Float32Array {
  if (!(t instanceof Tensor)) throw new ValueError(`${fn}: ${name} must be a Tensor, got ${String(t)}`);
  if (t.dtype !== 'float32') {
    throw new DTypeError(`${fn}: ${name} must be float32, got ${t.dtype} of shape ${formatShape(t.shape)}`);
  }
  return t.f32;
}

function toWeight(fn: string, name: string, w: WeightLike): Tensor {
  if (w instanceof Tensor) {
    checkFloat(fn, name, w);
    return w;
  }
  if (!Array.isArray(w) || !w.every((v) => typeof v === 'number')) {
    throw new ValueError(`${fn}: ${name} must be a Tensor or an array of numbers, got ${String(w)}`);
  }
  return new Tensor(Float32Array.from(w), [w.length]);
}

/** `data` (of shape `shape`) repeated to fill `outShape`, which it must broadcast to. */
function expandTo(fn: string, name: string, w: Tensor, outShape: Shape): Float32Array {
  const b = broadcastShapes(w.shape, outShape, fn);
  if (!sameShape(b, outShape)) {
    throw new ShapeError(
      `${fn}: ${name} of shape ${formatShape(w.shape)} must broadcast to the input shape ${formatShape(outShape)}`,
    );
  }
  const src = w.f32;
  const n = outShape.reduce((p, d) => p * d, 1);
  const out = new Float32Array(n);
  const rank = outShape.length;
  const srcStrides = stridesOf(w.shape);
  // Stride 0 along the dimensions w is broadcast over.
  const strides = outShape.map((_d, i) => {
    const j = i - (rank - w.shape.length);
    return j < 0 || w.shape[j] === 1 ? 0 : srcStrides[j]!;
  });
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    out[i] = src[off]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      off += strides[d]!;
      if (idx[d]! < outShape[d]!) break;
      off -= strides[d]! * idx[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * Reduces per-element losses and records the backward. `dx(i)` / `dy(i)` are ∂loss_i/∂x_i and
 * ∂loss_i/∂y_i (y = target); `divisor` is what 'mean' divides by.
 */
function reduceLoss(
  name: string,
  input: Tensor,
  target: Tensor,
  losses: Float64Array,
  reduction: Reduction,
  divisor: number,
  dx: (i: number) => number,
  dy: ((i: number) => number) | null,
): Tensor {
  let out: Tensor;
  if (reduction === 'none') {
    out = new Tensor(Float32Array.from(losses), input.shape);
  } else {
    let s = 0;
    for (let i = 0; i < losses.length; i++) s += losses[i]!;
    out = new Tensor(new Float32Array([reduction === 'mean' ? s / divisor : s]), []);
  }
  const inputs = dy ? [input, target] : [input];
  return record(out, name, inputs, (g, grads) => {
    const gx = grads(input);
    const gy = dy ? grads(target) : null;
    const n = losses.length;
    const scale = reduction === 'mean' ? g[0]! / divisor : g[0]!;
    for (let i = 0; i < n; i++) {
      const gi = reduction === 'none' ? g[i]! : scale;
      if (gx) gx[i]! += gi * dx(i);
      if (gy && dy) gy[i]! += gi * dy(i);
    }
  });
}

function checkPair(fn: string, input: Tensor, target: Tensor): [Float32Array, Float32Array] {
  const x = checkFloat(fn, 'input', input);
  const y = checkFloat(fn, 'target', target);
  if (!sameShape(input.shape, target.shape)) {
    throw new ShapeError(
      `${fn}: target shape ${formatShape(target.shape)} must equal input shape ${formatShape(input.shape)}`,
    );
  }
  return [x, y];
}

export interface ReductionOptions {
  /** 'mean' (default) averages over elements, 'sum' adds them, 'none' keeps one loss per element. */
  reduction?: Reduction;
}

/** Mean squared error (x − y)², PyTorch's `F.mse_loss`. input, target: (…) with equal shapes. */
export function mseLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const reduction = checkReduction('mseLoss', options.reduction ?? 'mean');
  const [x, y] = checkPair('mseLoss', input, target);
  const losses = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) losses[i] = (x[i]! - y[i]!) ** 2;
  return reduceLoss(
    'mseLoss',
    input,
    target,
    losses,
    reduction,
    x.length,
    (i) => 2 * (x[i]! - y[i]!),
    (i) => -2 * (x[i]! - y[i]!),
  );
}

/** Mean absolute error |x − y|, PyTorch's `F.l1_loss` (gradient sign(x − y), 0 at 0). */
export function l1Loss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const reduction = checkReduction('l1Loss', options.reduction ?? 'mean');
  const [x, y] = checkPair('l1Loss', input, target);
  const losses = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) losses[i] = Math.abs(x[i]! - y[i]!);
  return reduceLoss(
    'l1Loss',
    input,
    target,
    losses,
    reduction,
    x.length,
    (i) => Math.sign(x[i]! - y[i]!),
    (i) => -Math.sign(x[i]! - y[i]!),
  );
}

export interface HuberLossOptions extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (default 1, must be > 0). */
  delta?: number;
}

/** Huber loss: ½d² for |d| < δ, else δ(|d| − ½δ), with d = x − y. PyTorch's `F.huber_loss`. */
export function huberLoss(input: Tensor, target: Tensor, options: HuberLossOptions = {}): Tensor {
  const reduction = checkReduction('huberLoss', options.reduction ?? 'mean');
  const delta = options.delta ?? 1;
  if (!(Number.isFinite(delta) && delta > 0)) {
    throw new ValueError(`huberLoss: delta must be a finite number > 0, got ${delta}`);
  }
  const [x, y] = checkPair('huberLoss', input, target);
  const losses = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    losses[i] = d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
  }
  const clamp = (i: number): number => Math.min(Math.max(x[i]! - y[i]!, -delta), delta);
  return reduceLoss('huberLoss', input, target, losses, reduction, x.length, clamp, (i) => -clamp(i));
}

export interface BCEWithLogitsOptions extends ReductionOptions {
  /** Per-element rescaling, broadcast to the input shape. */
  weight?: WeightLike | null;
  /** Weight of the positive term, broadcast to the input (usually one per class: (C)). */
  posWeight?: WeightLike | null;
}

/**
 * Binary cross-entropy on logits, PyTorch's `F.binary_cross_entropy_with_logits`:
 * ℓ = w·[(1 − y)·x + (1 + (p − 1)·y)·softplus(−x)], computed without overflow for any x.
 * input, target: (…) with equal shapes, target in [0, 1].
 */
export function bceWithLogitsLoss(input: Tensor, target: Tensor, options: BCEWithLogitsOptions = {}): Tensor {
  const fn = 'bceWithLogitsLoss';
  const reduction = checkReduction(fn, options.reduction ?? 'mean');
  const [x, y] = checkPair(fn, input, target);
  const w =
    options.weight != null
      ? expandTo(fn, 'weight', toWeight(fn, 'weight', options.weight), input.shape)
      : null;
  const pw =
    options.posWeight != null
      ? expandTo(fn, 'posWeight', toWeight(fn, 'posWeight', options.posWeight), input.shape)
      : null;
  const n = x.length;
  const losses = new Float64Array(n);
  const softplusNeg = new Float64Array(n); // softplus(−x) = max(−x, 0) + log1p(e^−|x|)
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    const sp = Math.max(-xi, 0) + Math.log1p(Math.exp(-Math.abs(xi)));
    softplusNeg[i] = sp;
    const lw = pw ? 1 + (pw[i]! - 1) * y[i]! : 1;
    losses[i] = ((1 - y[i]!) * xi + lw * sp) * (w ? w[i]! : 1);
  }
  return reduceLoss(
    fn,
    input,
    target,
    losses,
    reduction,
    n,
    (i) => {
      const xi = x[i]!;
      // σ(−x), stable for both signs of x.
      const sNeg = xi >= 0 ? Math.exp(-xi) / (1 + Math.exp(-xi)) : 1 / (1 + Math.exp(xi));
      const lw = pw ? 1 + (pw[i]! - 1) * y[i]! : 1;
      return (1 - y[i]! - lw * sNeg) * (w ? w[i]! : 1);
    },
    (i) => (-x[i]! + (pw ? (pw[i]! - 1) * softplusNeg[i]! : 0)) * (w ? w[i]! : 1),
  );
}

export interface CrossEntropyOptions extends ReductionOptions {
  /** Per-class weight (C). */
  weight?: WeightLike | null;
  /** Target value that contributes neither loss nor gradient (default −100). */
  ignoreIndex?: number;
  /** Mixes the one-hot target with the uniform distribution: (1 − ε)·one-hot + ε/C. Default 0. */
  labelSmoothing?: number;
}

/** Where the logits and targets of a cross-entropy call live: x[n, k, s] at n·C·S + k·S + s. */
interface ClassLayout {
  c: number;
  /** Positions per sample (the product of d₁, …). */
  s: number;
  rows: number;
  weight: Float32Array | null;
}

/** Validates crossEntropy's arguments and returns the layout of its logits. */
function crossEntropyLayout(
  fn: string,
  input: Tensor,
  target: Tensor,
  options: CrossEntropyOptions,
): ClassLayout {
  checkFloat(fn, 'input', input);
  if (!(target instanceof Tensor))
    throw new ValueError(`${fn}: target must be a Tensor, got ${String(target)}`);
  if (target.dtype !== 'int32') {
    throw new DTypeError(
      `${fn}: target must be an int32 tensor of class indices, got ${target.dtype} of shape ${formatShape(target.shape)}`,
    );
  }
  if (input.ndim === 0) throw new ShapeError(`${fn}: input must have a class dimension, got shape ()`);
  const unbatched = input.ndim === 1;
  const c = unbatched ? input.shape[0]! : input.shape[1]!;
  const expected = unbatched ? [] : [input.shape[0]!, ...input.shape.slice(2)];
  if (!sameShape(target.shape, expected)) {
    throw new ShapeError(
      `${fn}: target shape ${formatShape(target.shape)} does not fit input ${formatShape(input.shape)}; expected ${formatShape(expected)}`,
    );
  }
  let weight: Float32Array | null = null;
  if (options.weight != null) {
    const wt = toWeight(fn, 'weight', options.weight);
    if (!sameShape(wt.shape, [c])) {
      throw new ShapeError(
        `${fn}: weight must have shape (${c},) (one per class), got ${formatShape(wt.shape)}`,
      );
    }
    weight = wt.f32;
  }
  const s = expected.slice(1).reduce((p, d) => p * d, 1);
  return { c, s, rows: (unbatched ? 1 : input.shape[0]!) * s, weight };
}

/**
 * Cross-entropy between logits and class indices, PyTorch's `F.cross_entropy`.
 * input: (N, C) or (N, C, d₁, …) or unbatched (C); target int32: (N) or (N, d₁, …) or ().
 * With class weights, 'mean' divides by the summed weights of the non-ignored targets.
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const fn = 'crossEntropy';
  const reduction = checkReduction(fn, options.reduction ?? 'mean');
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex))
    throw new ValueError(`${fn}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  const ls = options.labelSmoothing ?? 0;
  if (!(ls >= 0 && ls <= 1)) throw new ValueError(`${fn}: labelSmoothing must be in [0, 1], got ${ls}`);
  const layout = crossEntropyLayout(fn, input, target, options);
  const { c, s, rows, weight: w } = layout;
  const x = input.f32;
  const t = target.i32;
  const losses = new Float64Array(rows);
  const lse = new Float64Array(rows);
  let wSum = 0;
  for (let r = 0; r < rows; r++) {
    const ti = t[r]!;
    if (ti === ignoreIndex) continue;
    if (ti < 0 || ti >= c) {
      const pos = input.ndim === 1 ? '()' : formatIndex(r, target.shape);
      throw new IndexError(
        `${fn}: target ${ti} at position ${pos} is out of range for ${c} classes [0, ${c})`,
      );
    }
    const base = Math.floor(r / s) * c * s + (r % s);
    let max = -Infinity;
    for (let k = 0; k < c; k++) max = Math.max(max, x[base + k * s]!);
    let sum = 0;
    for (let k = 0; k < c; k++) sum += Math.exp(x[base + k * s]! - max);
    const l = max + Math.log(sum);
    lse[r] = l;
    const wt = w ? w[ti]! : 1;
    wSum += wt;
    let loss = (1 - ls) * wt * (l - x[base + ti * s]!);
    if (ls > 0) {
      let smooth = 0;
      for (let k = 0; k < c; k++) smooth += (w ? w[k]! : 1) * (l - x[base + k * s]!);
      loss += (ls / c) * smooth;
    }
    losses[r] = loss;
  }
  let out: Tensor;
  if (reduction === 'none') {
    out = new Tensor(Float32Array.from(losses), target.shape);
  } else {
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += losses[r]!;
    out = new Tensor(new Float32Array([reduction === 'mean' ? sum / wSum : sum]), []);
  }
  return record(out, fn, [input], (g, grads) => {
    const gx = grads(input);
    if (!gx) return;
    const scale = (r: number) => (reduction === 'none' ? g[r]! : reduction === 'mean' ? g[0]! / wSum : g[0]!);
    crossEntropyBackward(x, t, lse, layout, { ignoreIndex, ls }, scale, gx);
  });
}

/** ∂/∂x_k of row r: (1 − ε)·w_t·(p_k − [k = t]) + (ε/C)·(Σw·p_k − w_k), times scale(r). */
function crossEntropyBackward(
  x: Float32Array,
  t: Int32Array,
  lse: Float64Array,
  { c, s, rows, weight: w }: ClassLayout,
  { ignoreIndex, ls }: { ignoreIndex: number; ls: number },
  scale: (r: number) => number,
  gx: Float32Array,
): void {
  let wAll = c;
  if (w) {
    wAll = 0;
    for (let k = 0; k < c; k++) wAll += w[k]!;
  }
  for (let r = 0; r < rows; r++) {
    const ti = t[r]!;
    if (ti === ignoreIndex) continue;
    const gr = scale(r);
    const base = Math.floor(r / s) * c * s + (r % s);
    const l = lse[r]!;
    const wt = w ? w[ti]! : 1;
    for (let k = 0; k < c; k++) {
      const p = Math.exp(x[base + k * s]! - l);
      let d = (1 - ls) * wt * (p - (k === ti ? 1 : 0));
      if (ls > 0) d += (ls / c) * (wAll * p - (w ? w[k]! : 1));
      gx[base + k * s]! += gr * d;
    }
  }
}

function formatIndex(flat: number, shape: Shape): string {
  const strides = stridesOf(shape);
  return `(${strides.map((st, i) => Math.floor(flat / st) % shape[i]!).join(', ')}${shape.length === 1 ? ',' : ''})`;
}

/** Module form of {@link crossEntropy}: `new CrossEntropyLoss({ ignoreIndex: 0 }).forward(logits, labels)`. */
export class CrossEntropyLoss extends Module {
  readonly options: CrossEntropyOptions;
  constructor(options: CrossEntropyOptions = {}) {
    super();
    crossEntropyCheck(options);
    this.options = { ...options };
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, this.options);
  }
}

/** Constructor-time checks, so a bad option fails where it is written. */
function crossEntropyCheck(options: CrossEntropyOptions): void {
  checkReduction('CrossEntropyLoss', options.reduction ?? 'mean');
  const ls = options.labelSmoothing ?? 0;
  if (!(ls >= 0 && ls <= 1))
    throw new ValueError(`CrossEntropyLoss: labelSmoothing must be in [0, 1], got ${ls}`);
  const ii = options.ignoreIndex ?? -100;
  if (!Number.isInteger(ii))
    throw new ValueError(`CrossEntropyLoss: ignoreIndex must be an integer, got ${ii}`);
  if (options.weight != null) toWeight('CrossEntropyLoss', 'weight', options.weight);
}

/** Module form of {@link mseLoss}. */
export class MSELoss extends Module {
  readonly reduction: Reduction;
  constructor(options: ReductionOptions = {}) {
    super();
    this.reduction = checkReduction('MSELoss', options.reduction ?? 'mean');
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

/** Module form of {@link l1Loss}. */
export class L1Loss extends Module {
  readonly reduction: Reduction;
  constructor(options: ReductionOptions = {}) {
    super();
    this.reduction = checkReduction('L1Loss', options.reduction ?? 'mean');
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/** Module form of {@link huberLoss}. */
export class HuberLoss extends Module {
  readonly reduction: Reduction;
  readonly delta: number;
  constructor(options: HuberLossOptions = {}) {
    super();
    this.reduction = checkReduction('HuberLoss', options.reduction ?? 'mean');
    this.delta = options.delta ?? 1;
    if (!(Number.isFinite(this.delta) && this.delta > 0)) {
      throw new ValueError(`HuberLoss: delta must be a finite number > 0, got ${this.delta}`);
    }
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/** Module form of {@link bceWithLogitsLoss}. */
export class BCEWithLogitsLoss extends Module {
  readonly options: BCEWithLogitsOptions;
  constructor(options: BCEWithLogitsOptions = {}) {
    super();
    checkReduction('BCEWithLogitsLoss', options.reduction ?? 'mean');
    if (options.weight != null) toWeight('BCEWithLogitsLoss', 'weight', options.weight);
    if (options.posWeight != null) toWeight('BCEWithLogitsLoss', 'posWeight', options.posWeight);
    this.options = { ...options };
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return bceWithLogitsLoss(input, target, this.options);
  }
}
