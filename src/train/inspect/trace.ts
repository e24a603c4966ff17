import { type GateName, type RecurrentKind, recurrentKind } from '../../backend/recurrent-kinds.js';
import { checkLengths, type Lengths } from '../../ops/recurrent.js';
import type { StepWeights } from '../../ops/recurrent-step.js';
import { recurrentTrace, tracedGateWidth } from '../../ops/recurrent-trace.js';
import { ShapeError, ValueError } from '../../tensor/errors.js';
import { formatShape } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { layerWeights, type RecurrentLayer } from './layer-weights.js';

/*
 * What a trained recurrent layer computes inside, step by step: every gate's activation, the
 * LSTM's cell state and the hidden state, per layer and direction, read from the buffers the
 * fused forward kernels save for BPTT (ops/recurrent-trace.ts), so the values are the ones
 * training and prediction use. The kernels run `chunk` steps at a time, carrying the state from
 * one span to the next, so a long input needs buffers for one span, not the whole sequence;
 * `start`, `end` and `stride` choose which steps are kept.
 *
 * x: (T, B, E), or (B, T, E) for a batchFirst layer → each kept quantity (K, B, H), K kept steps,
 * 0 past each sample's length.
 */

export type { RecurrentLayer };

export interface TraceOptions {
  /** Valid steps of each sample of a right-padded batch. Omitted: all T. */
  lengths?: Lengths | null;
  /** First time step kept (default 0). */
  start?: number;
  /** One past the last time step kept (default T). */
  end?: number;
  /** Keep every stride-th step from `start` (default 1). */
  stride?: number;
  /** Time steps per kernel call: bounds the saved-state buffers to chunk·B·4H floats (default 128). */
  chunk?: number;
}

/** One layer and direction. Every tensor is (K, B, ·) over the kept steps. */
export interface DirectionTrace {
  layer: number;
  direction: 'forward' | 'reverse';
  /** Activated gates by PyTorch's names: LSTM i, f, g, o; GRU r, z, n; RNN h (its output). */
  gates: Partial<Record<GateName, Tensor>>;
  /** The LSTM's cell state c after each step (H features); null for RNN and GRU. */
  cell: Tensor | null;
  /** The hidden state h after each step (the layer's output: R = projSize or H features). */
  hidden: Tensor;
}

export interface RecurrentTrace {
  kind: RecurrentKind;
  /** The time step of each kept row. */
  steps: Int32Array;
  /** Valid steps per sample. */
  lengths: Int32Array;
  /** layers[l][d]: layer l, direction d (0 forward, 1 reverse). */
  layers: DirectionTrace[][];
}

interface Dims {
  T: number;
  B: number;
  E: number;
  H: number;
  P: number;
}

/** Runs `layer` on `x` (inference: no dropout, no autograd) and returns what it computed inside. */
export function traceRecurrent(layer: RecurrentLayer, x: Tensor, options: TraceOptions = {}): RecurrentTrace {
  const where = 'traceRecurrent';
  const timeMajor = timeMajorInput(where, layer, x);
  const [T, B] = timeMajor.shape as [number, number, number];
  const lengths =
    options.lengths == null
      ? new Int32Array(B).fill(T)
      : checkLengths(options.lengths, B, T, `${where}: lengths`);
  const steps = keptSteps(where, T, options);
  const chunk = positiveInt(where, 'chunk', options.chunk ?? 128);
  const kind = layer.mode;
  const D = layer.numDirections;
  const R = layer.outputSize;
  const layers: DirectionTrace[][] = [];
  let input = timeMajor.f32;
  let E = layer.inputSize;
  for (let l = 0; l < layer.numLayers; l++) {
    const dims: Dims = { T, B, E, H: layer.hiddenSize, P: layer.projSize };
    const outs: Float32Array[] = [];
    const traces: DirectionTrace[] = [];
    for (let d = 0; d < D; d++) {
      const w = stepWeights(layer, l, d);
      const r = traceDirection(kind, dims, input, w, lengths, d === 1, steps, chunk);
      outs.push(r.out);
      traces.push({ layer: l, direction: d === 1 ? 'reverse' : 'forward', ...r.trace });
    }
    layers.push(traces);
    input = D === 1 ? outs[0]! : interleave(outs, T * B, R);
    E = D * R;
  }
  return { kind, steps, lengths, layers };
}

export function timeMajorInput(where: string, layer: RecurrentLayer, x: Tensor): Tensor {
  if (!(x instanceof Tensor) || x.ndim !== 3 || x.dtype !== 'float32') {
    const got = x instanceof Tensor ? `${x.dtype} ${formatShape(x.shape)}` : typeof x;
    throw new ShapeError(
      `${where}: x must be a 3-D float32 tensor ${layer.batchFirst ? '(B, T, E)' : '(T, B, E)'}, got ${got}`,
    );
  }
  if (x.shape[2] !== layer.inputSize) {
    throw new ShapeError(
      `${where}: x must have ${layer.inputSize} features (the layer's inputSize), got ${formatShape(x.shape)}`,
    );
  }
  if (!layer.batchFirst) return x;
  const [B, T, E] = x.shape as [number, number, number];
  const out = new Float32Array(T * B * E);
  const src = x.f32;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) out.set(src.subarray((b * T + t) * E, (b * T + t + 1) * E), (t * B + b) * E);
  }
  return new Tensor(out, [T, B, E]);
}

function positiveInt(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ValueError(`${where}: ${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

function keptSteps(where: string, T: number, options: TraceOptions): Int32Array {
  const start = options.start ?? 0;
  const end = options.end ?? T;
  const stride = positiveInt(where, 'stride', options.stride ?? 1);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > T || start >= end) {
    throw new ValueError(
      `${where}: start and end must be integers with 0 ≤ start < end ≤ T = ${T}, got start ${start}, end ${end}`,
    );
  }
  return Int32Array.from({ length: Math.ceil((end - start) / stride) }, (_, k) => start + k * stride);
}

function stepWeights(layer: RecurrentLayer, l: number, d: number): StepWeights {
  const w = layerWeights(layer, l, d);
  return {
    weightIh: w.weightIh.f32,
    weightHh: w.weightHh.f32,
    biasIh: w.biasIh?.f32 ?? null,
    biasHh: w.biasHh?.f32 ?? null,
    weightHr: w.weightHr?.f32 ?? null,
  };
}

/** [forward ‖ reverse] per (t, b) row, as a bidirectional layer's output. */
function interleave(outs: Float32Array[], rows: number, R: number): Float32Array {
  const D = outs.length;
  const out = new Float32Array(rows * D * R);
  for (let i = 0; i < rows; i++) {
    for (let d = 0; d < D; d++) out.set(outs[d]!.subarray(i * R, (i + 1) * R), (i * D + d) * R);
  }
  return out;
}

/** Spans [s, e) of at most `chunk` steps, in the order the direction runs them. */
function spans(T: number, chunk: number, reverse: boolean): Array<[number, number]> {
  const list: Array<[number, number]> = [];
  for (let s = 0; s < T; s += chunk) list.push([s, Math.min(T, s + chunk)]);
  return reverse ? list.reverse() : list;
}

function traceDirection(
  kind: RecurrentKind,
  dims: Dims,
  x: Float32Array,
  w: StepWeights,
  lengths: Int32Array,
  reverse: boolean,
  steps: Int32Array,
  chunk: number,
): { out: Float32Array; trace: Omit<DirectionTrace, 'layer' | 'direction'> } {
  const { T, B, E, H, P } = dims;
  const R = P > 0 ? P : H;
  const S = tracedGateWidth(kind, H);
  const n = Math.min(chunk, T);
  const info = recurrentKind(kind);
  const K = steps.length;
  const kept = new Kept(steps, lengths, B);
  const gates = info.savedBlocks > 0 ? info.gates.map(() => new Float32Array(K * B * H)) : [];
  const cell = kind === 'LSTM' ? new Float32Array(K * B * H) : null;
  const hidden = new Float32Array(K * B * R);
  const out = new Float32Array(T * B * R);
  const buffers = {
    h0: new Float32Array(B * R),
    c0: new Float32Array(B * H),
    hN: new Float32Array(B * R),
    cN: new Float32Array(B * H),
    gates: new Float32Array(n * B * S),
    cells: new Float32Array(n * B * H),
    hidden: P > 0 ? new Float32Array(n * B * H) : null,
  };
  for (const [s, e] of spans(T, chunk, reverse)) {
    const m = e - s;
    const spanLengths = lengths.map((len) => Math.max(0, Math.min(len - s, m)));
    recurrentTrace(kind, { T: m, B, E, H, P }, w, spanLengths, reverse, {
      ...buffers,
      x: x.subarray(s * B * E, e * B * E),
      out: out.subarray(s * B * R, e * B * R),
    });
    kept.copy(
      s,
      e,
      buffers.gates,
      S,
      gates.map((g, k) => [g, k * H, H]),
    );
    if (cell) kept.copy(s, e, buffers.cells, H, [[cell, 0, H]]);
    kept.copy(s, e, out.subarray(s * B * R), R, [[hidden, 0, R]]);
    buffers.h0.set(buffers.hN);
    buffers.c0.set(buffers.cN);
  }
  const shape = (width: number) => [K, B, width];
  const named = Object.fromEntries(gates.map((g, k) => [info.gates[k]!, new Tensor(g, shape(H))]));
  const hiddenTensor = new Tensor(hidden, shape(R));
  if (gates.length === 0) named[info.gates[0]!] = hiddenTensor;
  return {
    out,
    trace: { gates: named, cell: cell ? new Tensor(cell, shape(H)) : null, hidden: hiddenTensor },
  };
}

/** Copies the kept steps of a span out of a span buffer, skipping rows past a sample's length. */
class Kept {
  constructor(
    private readonly steps: Int32Array,
    private readonly lengths: Int32Array,
    private readonly B: number,
  ) {}

  /**
   * src: (e − s, B, width) rows of the span [s, e); each target [dst, offset, n] takes n values
   * from `offset` of every valid row into its (K, B, n) buffer.
   */
  copy(
    s: number,
    e: number,
    src: Float32Array,
    width: number,
    targets: Array<[Float32Array, number, number]>,
  ): void {
    const B = this.B;
    this.steps.forEach((t, k) => {
      if (t < s || t >= e) return;
      for (let b = 0; b < B; b++) {
        if (t >= this.lengths[b]!) continue;
        const row = ((t - s) * B + b) * width;
        for (const [dst, offset, n] of targets)
          dst.set(src.subarray(row + offset, row + offset + n), (k * B + b) * n);
      }
    });
  }
}
