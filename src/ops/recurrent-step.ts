import '../backend/js/gemm.js';
import '../backend/js/gru.js';
import '../backend/js/lstm.js';
import '../backend/js/rnn.js';
import type { RecurrentKind } from '../backend/recurrent-kinds.js';
import { kernels } from '../backend/registry.js';
import { forwardKernel, recurrentCall, type StepWeights } from './recurrent-trace.js';

/*
 * One time step of a fused recurrent kernel on buffers the caller holds, for step-by-step
 * inference (nn/streaming.ts): no tensors are made and nothing is recorded for autograd, so a
 * step costs what the kernel costs. The kernel call is recurrent-trace.ts's with T = 1. The
 * caller validates shapes once, up front.
 *
 * x: (B, E)  h: (B, R)  c: (B, H)  →  out, hNext: (B, R)  cNext: (B, H)   R = P or H
 * gates: B·savedBlocks·H scratch (recurrent-kinds.ts); cells, hidden: B·H scratch (LSTM; hidden
 * only with a projection P > 0).
 *
 * A step whose input product W_ih·x + b_ih is already known runs with E = 0, no input, an empty
 * W_ih and that product as b_ih: every backend's kernel then adds it where it would have added
 * its own product (see matVecAdd).
 */

export type { StepWeights };

export interface StepBuffers {
  x: Float32Array;
  h: Float32Array;
  c: Float32Array;
  out: Float32Array;
  hNext: Float32Array;
  cNext: Float32Array;
  gates: Float32Array;
  cells: Float32Array;
  hidden: Float32Array | null;
}

// A backend whose kernels can bind an argument list once (the native one, backend/native/bound.ts)
// gives its recurrent forward kernels this property.
interface Preparable {
  prepare?: (...args: unknown[]) => () => void;
}

/**
 * One step of `kind` for B samples (E inputs, H hidden, P projected; P = 0 for none) on fixed
 * buffers, its kernel call made once: `run(w)` checks that the weights are the arrays it was made
 * for (and the backend's kernel the same) and runs the call, bound where the backend binds calls
 * (its arguments read and checked once per stream, not per step); new arrays make it again. A
 * batch-1 step costs a microsecond or two, of which JavaScript's share should stay small.
 */
export class PreparedStep {
  // The weights and kernel the call was made for (null: not made yet), and the call.
  private weights: StepWeights | null = null;
  private kernel: unknown = null;
  private runCall: () => void = () => {};

  constructor(
    private readonly kind: RecurrentKind,
    private readonly dims: { B: number; E: number; H: number; P: number },
    private readonly buffers: StepBuffers,
  ) {}

  run(w: StepWeights): void {
    if (!this.madeFor(w)) this.make(w);
    this.runCall();
  }

  private madeFor(w: StepWeights): boolean {
    const m = this.weights;
    return (
      m !== null &&
      this.kernel === forwardKernel(this.kind) &&
      m.weightIh === w.weightIh &&
      m.weightHh === w.weightHh &&
      m.biasIh === w.biasIh &&
      m.biasHh === w.biasHh &&
      m.weightHr === w.weightHr
    );
  }

  private make(w: StepWeights): void {
    const b = this.buffers;
    const { B, E, H, P } = this.dims;
    const { kernel, args } = recurrentCall(this.kind, { T: 1, B, E, H, P }, w, null, false, {
      x: b.x,
      h0: b.h,
      c0: b.c,
      out: b.out,
      hN: b.hNext,
      cN: b.cNext,
      gates: b.gates,
      cells: b.cells,
      hidden: b.hidden,
    });
    const prepare = (kernel as Preparable).prepare;
    this.runCall = prepare ? prepare(...args) : () => kernel(...args);
    this.kernel = kernel;
    this.weights = { ...w };
  }
}

/**
 * out (n) = W (n, k) · x (k) + bias (n) (bias null: none), one matrix-vector product into the
 * caller's buffer: a step's input product W_ih·x + b_ih, which a step with E = 0 takes in place of
 * b_ih (equal to the fused step's own within float32 rounding: another order of the same sums),
 * or a batch-1 output layer.
 */
export function matVecAdd(
  n: number,
  k: number,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  out: Float32Array,
): void {
  if (bias) out.set(bias);
  else out.fill(0);
  kernels.gemm(false, true, 1, n, k, x, 0, k, w, 0, k, out, 0, n, true);
}
