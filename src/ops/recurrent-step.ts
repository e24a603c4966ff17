import '../backend/js/gemm.js';
import '../backend/js/gru.js';
import '../backend/js/lstm.js';
import '../backend/js/rnn.js';
import type { RecurrentKind } from '../backend/recurrent-kinds.js';
import { kernels } from '../backend/registry.js';
import type { StepWeights } from './recurrent-trace.js';

/*
 * One time step of a fused recurrent kernel on buffers the caller holds, for step-by-step
 * inference (nn/streaming.ts): no tensors are made and nothing is recorded for autograd, so a
 * step costs what the kernel costs. The caller validates shapes once, up front.
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

/**
 * Runs one step of `kind` for B samples (E inputs, H hidden, P projected; P = 0 for none). The
 * kernel is called directly, with no object made per call: a batch-1 step costs a microsecond or
 * two, of which JavaScript's share should stay small.
 */
export function recurrentStep(
  kind: RecurrentKind,
  B: number,
  E: number,
  H: number,
  P: number,
  w: StepWeights,
  b: StepBuffers,
): void {
  if (kind === 'LSTM') {
    kernels.lstmForward(
      1,
      B,
      E,
      H,
      P,
      b.x,
      w.weightIh,
      w.weightHh,
      w.weightHr,
      w.biasIh,
      w.biasHh,
      b.h,
      b.c,
      null,
      false,
      b.out,
      b.hNext,
      b.cNext,
      b.gates,
      b.cells,
      b.hidden,
    );
  } else if (kind === 'GRU') {
    kernels.gruForward(
      1,
      B,
      E,
      H,
      b.x,
      w.weightIh,
      w.weightHh,
      w.biasIh,
      w.biasHh,
      b.h,
      null,
      false,
      b.out,
      b.hNext,
      b.gates,
    );
  } else {
    const relu = kind === 'RNN_RELU';
    kernels.rnnForward(
      1,
      B,
      E,
      H,
      relu,
      b.x,
      w.weightIh,
      w.weightHh,
      w.biasIh,
      w.biasHh,
      b.h,
      null,
      false,
      b.out,
      b.hNext,
    );
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
