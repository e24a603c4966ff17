import '../backend/js/gru.js';
import '../backend/js/lstm.js';
import '../backend/js/rnn.js';
import { kernels } from '../backend/registry.js';
import { type GradSink, record } from '../tensor/autograd.js';
import { DTypeError, ShapeError, ValueError } from '../tensor/errors.js';
import { formatShape, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/*
 * Fused recurrent sequence ops: one call runs one layer in one direction over a whole
 * time-major sequence and records one hand-written BPTT step.
 *
 * x: (T, B, E)  h0: (B, R)  c0: (B, H)  →  output: (T, B, R)  hN: (B, R)  cN: (B, H)
 * R = H, or the projection size P for an LSTM with weight_hr.
 *
 * Several outputs, one backward: the op records its BPTT on a hidden "packed" tensor whose
 * gradient is [dOutput ‖ dhN ‖ dcN]; each returned tensor is a node whose only input is the
 * packed one and whose backward copies its gradient into its slot. The engine runs a node only
 * after everything that consumes it, so the BPTT runs once, with whichever of the three
 * gradients reached it (the others stay zero).
 */

/** Per-sample valid lengths of a right-padded batch: integers in [0, T], one per sample. */
export type Lengths = Tensor | Int32Array | readonly number[];

export interface SequenceOptions {
  /** Valid length of each sample (right padding). Omitted: every sample runs all T steps. */
  lengths?: Lengths | null;
  /** Run from each sample's last valid step back to its first (a bidirectional layer's backward half). */
  reverse?: boolean;
}

export interface RnnSequenceOptions extends SequenceOptions {
  nonlinearity?: 'tanh' | 'relu';
}

/** Weights of one layer and direction, PyTorch's layout: weightIh (G, E), weightHh (G, R), biases (G). */
export interface RecurrentWeights {
  weightIh: Tensor;
  weightHh: Tensor;
  biasIh?: Tensor | null;
  biasHh?: Tensor | null;
}

/** LSTM weights; `weightHr` (P, H) projects the hidden state to P features (PyTorch's proj_size). */
export interface LstmWeights extends RecurrentWeights {
  weightHr?: Tensor | null;
}

export interface SequenceResult {
  /** (T, B, R): the hidden state at every step, 0 past a sample's length. */
  output: Tensor;
  /** (B, R): the state at each sample's last valid step (its initial state if its length is 0). */
  hN: Tensor;
}

export interface LstmSequenceResult extends SequenceResult {
  /** (B, H): the cell state at each sample's last valid step. */
  cN: Tensor;
}

/**
 * Checks per-sample lengths against batch size B and T steps and returns them as int32.
 * Throws a typed error naming `what` for a wrong count, a non-integer or a value outside [0, T].
 */
export function checkLengths(lengths: Lengths, B: number, T: number, what = 'lengths'): Int32Array {
  let values: ArrayLike<number>;
  if (lengths instanceof Tensor) {
    if (lengths.ndim !== 1) {
      throw new ShapeError(
        `${what}: expected a 1-D tensor of ${B} lengths, got shape ${formatShape(lengths.shape)}`,
      );
    }
    values = lengths.data;
  } else if (lengths instanceof Int32Array || Array.isArray(lengths)) {
    values = lengths;
  } else {
    throw new ValueError(`${what}: expected an array or 1-D tensor of ${B} integers, got ${typeof lengths}`);
  }
  if (values.length !== B) {
    throw new ShapeError(`${what}: expected one length per sample (${B}), got ${values.length}`);
  }
  const out = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const v = values[b]!;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new ValueError(`${what}: entry ${b} must be an integer, got ${v}`);
    }
    if (v < 0 || v > T) {
      throw new ValueError(`${what}: entry ${b} is ${v}, outside [0, ${T}] for a sequence of ${T} steps`);
    }
    out[b] = v;
  }
  return out;
}

function expectShape(t: Tensor, shape: Shape, op: string, what: string): void {
  if (t.dtype !== 'float32') {
    throw new DTypeError(`${op}: ${what} must be float32, got ${t.dtype} of shape ${formatShape(t.shape)}`);
  }
  if (t.ndim !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`${op}: ${what} must have shape ${formatShape(shape)}, got ${formatShape(t.shape)}`);
  }
}

interface Dims {
  T: number;
  B: number;
  E: number;
  lengths: Int32Array | null;
}

/** Validates x (T, B, E) and the weights of a cell with G = gates·H gate rows and R recurrent inputs. */
function checkCommon(
  op: string,
  x: Tensor,
  w: RecurrentWeights,
  gates: number,
  H: number,
  R: number,
  options: SequenceOptions,
): Dims {
  if (!(x instanceof Tensor) || x.ndim !== 3) {
    const got = x instanceof Tensor ? formatShape(x.shape) : typeof x;
    throw new ShapeError(`${op}: x must be a 3-D time-major tensor (T, B, E), got ${got}`);
  }
  if (x.dtype !== 'float32') throw new DTypeError(`${op}: x must be float32, got ${x.dtype}`);
  const [T, B, E] = x.shape as [number, number, number];
  const G = gates * H;
  expectShape(w.weightIh, [G, E], op, 'weightIh');
  expectShape(w.weightHh, [G, R], op, 'weightHh');
  if (w.biasIh) expectShape(w.biasIh, [G], op, 'biasIh');
  if (w.biasHh) expectShape(w.biasHh, [G], op, 'biasHh');
  const lengths = options.lengths == null ? null : checkLengths(options.lengths, B, T, `${op}: lengths`);
  return { T, B, E, lengths };
}

function hiddenSizeOf(op: string, w: RecurrentWeights, gates: number): number {
  if (!(w?.weightIh instanceof Tensor) || !(w.weightHh instanceof Tensor)) {
    throw new ValueError(`${op}: weights must hold weightIh and weightHh tensors`);
  }
  const rows = w.weightHh.shape[0] ?? 0;
  if (w.weightHh.ndim !== 2 || rows % gates !== 0 || rows === 0) {
    throw new ShapeError(
      `${op}: weightHh must be 2-D with a positive multiple of ${gates} rows, got ${formatShape(w.weightHh.shape)}`,
    );
  }
  return rows / gates;
}

function stateOrZeros(op: string, what: string, s: Tensor | null | undefined, B: number, K: number): Tensor {
  if (s == null) return new Tensor(new Float32Array(B * K), [B, K]);
  expectShape(s, [B, K], op, what);
  return s;
}

/** Buffers an op's inputs add their gradients into; null for inputs that need none. */
function sinkOf(grads: GradSink, t: Tensor | null | undefined): Float32Array | null {
  return t ? grads(t) : null;
}

/**
 * Returns tensors over `parts` whose gradients are gathered into one packed buffer before
 * `backward` runs once with it (see the note at the head of this file).
 */
function multiOutput(
  name: string,
  inputs: readonly Tensor[],
  parts: ReadonlyArray<[Float32Array, Shape]>,
  backward: (gParts: Float32Array[], grads: GradSink) => void,
): Tensor[] {
  const sizes = parts.map(([d]) => d.length);
  const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, n) => a + n, 0));
  const total = sizes.reduce((a, n) => a + n, 0);
  const packed = record(new Tensor(new Float32Array(total), [total]), name, inputs, (g, grads) =>
    backward(
      offsets.map((o, i) => g.subarray(o, o + sizes[i]!)),
      grads,
    ),
  );
  return parts.map(([data, shape], i) =>
    record(new Tensor(data, shape), `${name}Output`, [packed], (g, grads) => {
      const gp = grads(packed);
      if (!gp) return;
      const o = offsets[i]!;
      for (let k = 0; k < g.length; k++) gp[o + k]! += g[k]!;
    }),
  );
}

/**
 * Elman RNN over a whole sequence (one layer, one direction):
 * h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) with act = tanh (default) or relu.
 * x: (T, B, E), h0: (B, H) or null for zeros → output (T, B, H), hN (B, H).
 */
export function rnnSequence(
  x: Tensor,
  h0: Tensor | null | undefined,
  weights: RecurrentWeights,
  options: RnnSequenceOptions = {},
): SequenceResult {
  const op = 'rnnSequence';
  const nonlinearity = options.nonlinearity ?? 'tanh';
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') {
    throw new ValueError(`${op}: nonlinearity must be 'tanh' or 'relu', got '${String(nonlinearity)}'`);
  }
  const relu = nonlinearity === 'relu';
  const H = hiddenSizeOf(op, weights, 1);
  const { T, B, E, lengths } = checkCommon(op, x, weights, 1, H, H, options);
  const h = stateOrZeros(op, 'h0', h0, B, H);
  const reverse = options.reverse ?? false;
  const { weightIh, weightHh, biasIh, biasHh } = weights;
  const out = new Float32Array(T * B * H);
  const hN = new Float32Array(B * H);
  const xd = x.f32;
  kernels.rnnForward(
    T,
    B,
    E,
    H,
    relu,
    xd,
    weightIh.f32,
    weightHh.f32,
    biasIh?.f32 ?? null,
    biasHh?.f32 ?? null,
    h.f32,
    lengths,
    reverse,
    out,
    hN,
  );
  const inputs = [x, h, weightIh, weightHh, ...(biasIh ? [biasIh] : []), ...(biasHh ? [biasHh] : [])];
  const [output, hNt] = multiOutput(
    op,
    inputs,
    [
      [out, [T, B, H]],
      [hN, [B, H]],
    ],
    ([dOut, dhN], grads) => {
      kernels.rnnBackward(
        T,
        B,
        E,
        H,
        relu,
        xd,
        weightIh.f32,
        weightHh.f32,
        h.f32,
        lengths,
        reverse,
        out,
        dOut!,
        dhN!,
        grads(x),
        grads(h),
        grads(weightIh),
        grads(weightHh),
        sinkOf(grads, biasIh),
        sinkOf(grads, biasHh),
      );
    },
  );
  return { output: output!, hN: hNt! };
}

/**
 * LSTM over a whole sequence (one layer, one direction), gates packed i, f, g, o:
 * c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c') (times weight_hrᵀ when weights.weightHr is given).
 * x: (T, B, E), h0: (B, R), c0: (B, H) (null for zeros) → output (T, B, R), hN (B, R), cN (B, H).
 */
export function lstmSequence(
  x: Tensor,
  h0: Tensor | null | undefined,
  c0: Tensor | null | undefined,
  weights: LstmWeights,
  options: SequenceOptions = {},
): LstmSequenceResult {
  const op = 'lstmSequence';
  const H = hiddenSizeOf(op, weights, 4);
  const wHr = weights.weightHr ?? null;
  let P = 0;
  if (wHr) {
    P = wHr.shape[0] ?? 0;
    expectShape(wHr, [P, H], op, 'weightHr');
    if (P === 0 || P >= H) throw new ValueError(`${op}: weightHr must have 0 < P < H = ${H} rows, got ${P}`);
  }
  const R = P > 0 ? P : H;
  const { T, B, E, lengths } = checkCommon(op, x, weights, 4, H, R, options);
  const h = stateOrZeros(op, 'h0', h0, B, R);
  const c = stateOrZeros(op, 'c0', c0, B, H);
  const reverse = options.reverse ?? false;
  const { weightIh, weightHh, biasIh, biasHh } = weights;
  const out = new Float32Array(T * B * R);
  const hN = new Float32Array(B * R);
  const cN = new Float32Array(B * H);
  const gates = new Float32Array(T * B * 4 * H);
  const cells = new Float32Array(T * B * H);
  const hidden = P > 0 ? new Float32Array(T * B * H) : null;
  const xd = x.f32;
  const hrd = wHr ? wHr.f32 : null;
  kernels.lstmForward(
    T,
    B,
    E,
    H,
    P,
    xd,
    weightIh.f32,
    weightHh.f32,
    hrd,
    biasIh?.f32 ?? null,
    biasHh?.f32 ?? null,
    h.f32,
    c.f32,
    lengths,
    reverse,
    out,
    hN,
    cN,
    gates,
    cells,
    hidden,
  );
  const inputs = [x, h, c, weightIh, weightHh, ...[biasIh, biasHh, wHr].filter((t): t is Tensor => !!t)];
  const parts: Array<[Float32Array, Shape]> = [
    [out, [T, B, R]],
    [hN, [B, R]],
    [cN, [B, H]],
  ];
  const [output, hNt, cNt] = multiOutput(op, inputs, parts, ([dOut, dhN, dcN], grads) => {
    kernels.lstmBackward(
      T,
      B,
      E,
      H,
      P,
      xd,
      weightIh.f32,
      weightHh.f32,
      hrd,
      h.f32,
      c.f32,
      lengths,
      reverse,
      out,
      gates,
      cells,
      hidden,
      dOut!,
      dhN!,
      dcN!,
      grads(x),
      grads(h),
      grads(c),
      grads(weightIh),
      grads(weightHh),
      sinkOf(grads, wHr),
      sinkOf(grads, biasIh),
      sinkOf(grads, biasHh),
    );
  });
  return { output: output!, hN: hNt!, cN: cNt! };
}

/**
 * GRU over a whole sequence (one layer, one direction), gates packed r, z, n:
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.
 * x: (T, B, E), h0: (B, H) or null for zeros → output (T, B, H), hN (B, H).
 */
export function gruSequence(
  x: Tensor,
  h0: Tensor | null | undefined,
  weights: RecurrentWeights,
  options: SequenceOptions = {},
): SequenceResult {
  const op = 'gruSequence';
  const H = hiddenSizeOf(op, weights, 3);
  const { T, B, E, lengths } = checkCommon(op, x, weights, 3, H, H, options);
  const h = stateOrZeros(op, 'h0', h0, B, H);
  const reverse = options.reverse ?? false;
  const { weightIh, weightHh, biasIh, biasHh } = weights;
  const out = new Float32Array(T * B * H);
  const hN = new Float32Array(B * H);
  const gates = new Float32Array(T * B * 4 * H);
  const xd = x.f32;
  kernels.gruForward(
    T,
    B,
    E,
    H,
    xd,
    weightIh.f32,
    weightHh.f32,
    biasIh?.f32 ?? null,
    biasHh?.f32 ?? null,
    h.f32,
    lengths,
    reverse,
    out,
    hN,
    gates,
  );
  const inputs = [x, h, weightIh, weightHh, ...[biasIh, biasHh].filter((t): t is Tensor => !!t)];
  const [output, hNt] = multiOutput(
    op,
    inputs,
    [
      [out, [T, B, H]],
      [hN, [B, H]],
    ],
    ([dOut, dhN], grads) => {
      kernels.gruBackward(
        T,
        B,
        E,
        H,
        xd,
        weightIh.f32,
        weightHh.f32,
        h.f32,
        lengths,
        reverse,
        out,
        gates,
        dOut!,
        dhN!,
        grads(x),
        grads(h),
        grads(weightIh),
        grads(weightHh),
        sinkOf(grads, biasIh),
        sinkOf(grads, biasHh),
      );
    },
  );
  return { output: output!, hN: hNt! };
}
