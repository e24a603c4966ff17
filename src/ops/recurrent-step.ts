import type { RecurrentKind } from '../backend/recurrent-kinds.js';
import { recurrentTrace, type StepWeights } from './recurrent-trace.js';

/*
 * One time step of a fused recurrent kernel on buffers the caller holds, for step-by-step
 * inference (nn/streaming.ts): no tensors are made and nothing is recorded for autograd, so a
 * step costs what the kernel costs. The caller validates shapes once, up front.
 *
 * x: (B, E)  h: (B, R)  c: (B, H)  →  out, hNext: (B, R)  cNext: (B, H)   R = P or H
 * gates: B·savedBlocks·H scratch (recurrent-kinds.ts); cells, hidden: B·H scratch (LSTM; hidden
 * only with a projection P > 0).
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
  recurrentTrace(kind, { T: 1, B, E, H, P }, w, null, false, {
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
}
