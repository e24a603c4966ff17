import '../backend/js/gru.js';
import '../backend/js/lstm.js';
import '../backend/js/rnn.js';
import type { RecurrentKind } from '../backend/recurrent-kinds.js';
import { kernels } from '../backend/registry.js';

/*
 * One time step of a fused recurrent kernel on buffers the caller holds, for step-by-step
 * inference (nn/streaming.ts): no tensors are made and nothing is recorded for autograd, so a
 * step costs what the kernel costs. The caller validates shapes once, up front.
 *
 * x: (B, E)  h: (B, R)  c: (B, H)  →  out, hNext: (B, R)  cNext: (B, H)   R = P or H
 * gates: B·savedBlocks·H scratch (recurrent-kinds.ts); cells, hidden: B·H scratch (LSTM; hidden
 * only with a projection P > 0).
 */

/** One layer's weights as the kernels read them, PyTorch's layout (see ops/recurrent.ts). */
export interface StepWeights {
  weightIh: Float32Array;
  weightHh: Float32Array;
  biasIh: Float32Array | null;
  biasHh: Float32Array | null;
  /** LSTM projection (P, H), or null. */
  weightHr: Float32Array | null;
}

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

/** Runs one step of `kind` for B samples (E inputs, H hidden, P projected; P = 0 for none). */
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
