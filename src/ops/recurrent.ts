import '../backend/js/gru.js';
import '../backend/js/lstm.js';
import '../backend/js/rnn.js';
import { type FrozenRecurrent, freezeRecurrent, frozenForward } from '../backend/frozen.js';
import { kernels } from '../backend/registry.js';
import { type GradSink, isGradEnabled, record } from '../tensor/autograd.js';
import { DTypeError, KiokuError, ShapeError, ValueError } from '../tensor/errors.js';
import { gradientPool, outputBuffer, savedStatePool } from '../tensor/pool.js';
import { formatShape, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { type EmbeddedRows, embeddedRows } from './embedding.js';

/*
 * Fused recurrent sequence ops: one call runs one layer in one direction over a whole
 * time-major sequence and records one hand-written BPTT step.
 *
 * x: (T, B, E)  h0: (B, R)  c0: (B, H)  →  output: (T, B, R)  hN: (B, R)  cN: (B, H)
 * R = H, or the projection size P for an LSTM with weight_hr.
 *
 * Several outputs, one backward: the op records its BPTT on a hidden one-element "packed"
 * tensor; each returned tensor is a node whose only input is the packed one and whose backward
 * adds its gradient into that output's slot (dOutput, dhN, dcN). The engine runs a node only
 * after everything that consumes it, so the BPTT runs once, with whichever of the three
 * gradients reached it (the kernels take null for the others).
 *
 * The state saved for the BPTT only (gates, cells) never reaches a Tensor: it goes back to
 * savedStatePool once the BPTT has run, so the next step's forward reuses it. When no gradient will
 * be recorded (noGrad, or no input requires one) the kernel is given null for it and works in
 * scratch of its backend's own, which the WebAssembly backend never copies out of its memory. A second backward over the same graph takes it back if no forward has
 * taken it since, and otherwise throws rather than read another op's data.
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
  /**
   * These weights frozen by the backend (src/backend/frozen.ts): a forward that records no
   * gradient runs on the backend's copy, prepared once. Only a layer that froze them passes it.
   */
  frozen?: FrozenRecurrent | null;
}

/** LSTM weights; `weightHr` (P, H) projects the hidden state to P features (PyTorch's proj_size). */
export interface LstmWeights extends RecurrentWeights {
  weightHr?: Tensor | null;
}

export type { FrozenRecurrent } from '../backend/frozen.js';

/**
 * One layer and direction's weights frozen by the active backend for inference-only forwards
 * (src/backend/frozen.ts), H its hidden size; null where the backend freezes nothing (JS,
 * WebAssembly). Pass it as the weights' `frozen` while nothing writes them.
 */
export function freezeWeights(weights: LstmWeights, H: number): FrozenRecurrent | null {
  const { weightIh, weightHh, biasIh, biasHh, weightHr } = weights;
  const [G, E] = weightIh.shape as [number, number];
  const P = weightHr ? weightHr.shape[0]! : 0;
  return freezeRecurrent({
    G,
    E,
    R: weightHh.shape[1]!,
    H,
    P,
    wIh: weightIh.f32,
    wHh: weightHh.f32,
    bIh: biasIh?.f32 ?? null,
    bHh: biasHh?.f32 ?? null,
    wHr: weightHr?.f32 ?? null,
  });
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
 * Where a sequence's input gradient goes: into x, or, when x's rows are an embedding's
 * (embeddedRows), straight into the embedding's weight by token, so the op records the weight
 * in x's place and the backward kernel never forms dx.
 */
function inputRoute(x: Tensor): { source: Tensor; rows: EmbeddedRows | null } {
  const rows = embeddedRows(x);
  return { source: rows ? rows.weight : x, rows };
}

/** A backward kernel's input-gradient arguments: dx, V, tokens, paddingIdx, dEmbedding. */
function inputSinks(
  x: Tensor,
  rows: EmbeddedRows | null,
  grads: GradSink,
): [Float32Array | null, number, Int32Array | null, number, Float32Array | null] {
  if (!rows) return [grads(x), 0, null, -1, null];
  return [null, rows.weight.shape[0]!, rows.indices, rows.paddingIdx, grads(rows.weight)];
}

/** Whether record() will keep a backward for an op over `inputs` (what decides saving state for it). */
function recordsGradient(inputs: readonly Tensor[]): boolean {
  return isGradEnabled() && inputs.some((t) => t.requiresGrad);
}

/** A saved-state buffer of n elements from the pool, or null when no backward will read it. */
function savedState(saving: boolean, n: number, zeroed: boolean): Float32Array | null {
  return saving ? savedStatePool.take(n, zeroed) : null;
}

/**
 * Returns tensors over `parts` whose gradients are gathered (null for a part no gradient
 * reached) before `backward` runs once with them (see the note at the head of this file);
 * `saved` are the op's private buffers, released after that run.
 */
function multiOutput(
  name: string,
  inputs: readonly Tensor[],
  parts: ReadonlyArray<[Float32Array, Shape]>,
  saved: readonly Float32Array[],
  backward: (gParts: ReadonlyArray<Float32Array | null>, grads: GradSink) => void,
): Tensor[] {
  let gParts: Array<Float32Array | null> = parts.map(() => null);
  // The packed node's gradient buffer of the pass gParts belong to (one element, never pooled,
  // so each pass has its own): a new one means an earlier pass stopped before the BPTT ran.
  let pass: Float32Array | null = null;
  // The saved buffers the pool holds now, with their release stamps; empty while this op owns
  // them all.
  let pooled: Array<[Float32Array, number]> = [];
  let lost = false;
  const packed = record(new Tensor(new Float32Array(1), [1]), name, inputs, (_g, grads) => {
    const back = pooled.filter(([b, stamp]) => savedStatePool.reclaim(b, stamp));
    if (lost || back.length < pooled.length) {
      lost = true;
      pooled = [];
      for (const [b] of back) savedStatePool.release(b);
      throw new KiokuError(
        `backward: ${name}'s saved state was reused by a later forward; run the forward again to back-propagate a second time`,
      );
    }
    const got = gParts;
    gParts = parts.map(() => null);
    pass = null;
    backward(got, grads);
    for (const b of got) if (b) gradientPool.release(b);
    pooled = [];
    for (const b of saved) {
      const stamp = savedStatePool.release(b);
      if (stamp > 0) pooled.push([b, stamp]);
    }
  });
  if (packed.gradFn === null) for (const b of saved) savedStatePool.release(b);
  return parts.map(([data, shape], i) =>
    record(new Tensor(data, shape), `${name}Output`, [packed], (g, grads) => {
      const gp = grads(packed);
      if (!gp) return;
      if (gp !== pass) {
        gParts = parts.map(() => null);
        pass = gp;
      }
      const part = (gParts[i] ??= gradientPool.take(g.length));
      for (let k = 0; k < g.length; k++) part[k]! += g[k]!;
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
  // The kernels write every element of out and of the saved state (0 past a sample's length), so
  // pooled buffers need no zero fill; with lengths the saved state is zeroed where steps are skipped.
  const out = outputBuffer(T * B * H, false);
  const hN = new Float32Array(B * H);
  const xd = x.f32;
  const { source, rows } = inputRoute(x);
  const inputs = [source, h, weightIh, weightHh, ...(biasIh ? [biasIh] : []), ...(biasHh ? [biasHh] : [])];
  const forward = frozenForward('rnnForward', weights.frozen, recordsGradient(inputs)) ?? kernels.rnnForward;
  forward(
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
  const [output, hNt] = multiOutput(
    op,
    inputs,
    [
      [out, [T, B, H]],
      [hN, [B, H]],
    ],
    [],
    ([dOut = null, dhN = null], grads) => {
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
        dOut,
        dhN,
        ...inputSinks(x, rows, grads),
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
  const { source, rows } = inputRoute(x);
  const inputs = [source, h, c, weightIh, weightHh, ...[biasIh, biasHh, wHr].filter((t): t is Tensor => !!t)];
  const out = outputBuffer(T * B * R, false);
  const hN = new Float32Array(B * R);
  const cN = new Float32Array(B * H);
  const saving = recordsGradient(inputs);
  const zeroed = lengths !== null;
  const gates = savedState(saving, T * B * 4 * H, zeroed);
  const cells = savedState(saving, T * B * H, zeroed);
  const hidden = P > 0 ? savedState(saving, T * B * H, zeroed) : null;
  const xd = x.f32;
  const hrd = wHr ? wHr.f32 : null;
  const forward = frozenForward('lstmForward', weights.frozen, saving) ?? kernels.lstmForward;
  forward(
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
  const parts: Array<[Float32Array, Shape]> = [
    [out, [T, B, R]],
    [hN, [B, R]],
    [cN, [B, H]],
  ];
  const saved = [gates, cells, hidden].filter((b): b is Float32Array => b !== null);
  const [output, hNt, cNt] = multiOutput(
    op,
    inputs,
    parts,
    saved,
    ([dOut = null, dhN = null, dcN = null], grads) => {
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
        gates!,
        cells!,
        hidden,
        dOut,
        dhN,
        dcN,
        ...inputSinks(x, rows, grads),
        grads(h),
        grads(c),
        grads(weightIh),
        grads(weightHh),
        sinkOf(grads, wHr),
        sinkOf(grads, biasIh),
        sinkOf(grads, biasHh),
      );
    },
  );
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
  const { source, rows } = inputRoute(x);
  const inputs = [source, h, weightIh, weightHh, ...[biasIh, biasHh].filter((t): t is Tensor => !!t)];
  const out = outputBuffer(T * B * H, false);
  const hN = new Float32Array(B * H);
  const saving = recordsGradient(inputs);
  const gates = savedState(saving, T * B * 4 * H, lengths !== null);
  const xd = x.f32;
  const forward = frozenForward('gruForward', weights.frozen, saving) ?? kernels.gruForward;
  forward(
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
  const [output, hNt] = multiOutput(
    op,
    inputs,
    [
      [out, [T, B, H]],
      [hN, [B, H]],
    ],
    gates ? [gates] : [],
    ([dOut = null, dhN = null], grads) => {
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
        gates!,
        dOut,
        dhN,
        ...inputSinks(x, rows, grads),
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
