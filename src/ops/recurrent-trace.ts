import '../backend/js/gru.js';
import '../backend/js/lstm.js';
import '../backend/js/rnn.js';
import { type RecurrentKind, recurrentKind } from '../backend/recurrent-kinds.js';
import { type KernelArgs, kernels } from '../backend/registry.js';

/*
 * A span of time steps of one fused recurrent kernel on buffers the caller holds, keeping what
 * the forward saves for its BPTT (the activated gates, the cell states) so that a caller can
 * look at them: the same kernel and numbers training runs, with nothing recorded for autograd.
 * One step of it is the streaming step (ops/recurrent-step.ts).
 * The caller validates shapes once, up front (see train/inspect/trace.ts).
 *
 * x: (T, B, E)  h0: (B, R)  c0: (B, H)  →  out: (T, B, R)  hN: (B, R)  cN: (B, H)   R = P or H
 * gates: (T, B, savedBlocks·H), in the kind's gate order (recurrent-kinds.ts); cells: (T, B, H)
 * c after each step (LSTM); hidden: (T, B, H) o ⊙ tanh(c) before the projection (LSTM, P > 0).
 * Rows past a sample's length are left as the kernel leaves them: the caller masks them.
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

export interface TraceBuffers {
  x: Float32Array;
  h0: Float32Array;
  c0: Float32Array;
  out: Float32Array;
  hN: Float32Array;
  cN: Float32Array;
  gates: Float32Array;
  cells: Float32Array;
  hidden: Float32Array | null;
}

/** Floats per sample and step the `gates` buffer of `kind` needs. */
export function tracedGateWidth(kind: RecurrentKind, H: number): number {
  return recurrentKind(kind).savedBlocks * H;
}

/** A forward kernel and the argument list of one call, for calling it (or binding it) later. */
export interface RecurrentCall {
  kernel: (...args: unknown[]) => void;
  args: unknown[];
}

/** The active backend's fused forward kernel of `kind`. */
export function forwardKernel(kind: RecurrentKind): RecurrentCall['kernel'] {
  const k = kind === 'LSTM' ? kernels.lstmForward : kind === 'GRU' ? kernels.gruForward : kernels.rnnForward;
  return k as RecurrentCall['kernel'];
}

/**
 * The one dispatch of the fused forward kernels: which kernel runs `kind` over T steps of B
 * samples (E inputs, H hidden, P projected; P = 0 for none), and its arguments. Traces call it at
 * once; a streamer's step (ops/recurrent-step.ts) keeps it to run again.
 */
export function recurrentCall(
  kind: RecurrentKind,
  dims: { T: number; B: number; E: number; H: number; P: number },
  w: StepWeights,
  lengths: Int32Array | null,
  reverse: boolean,
  b: TraceBuffers,
): RecurrentCall {
  const { T, B, E, H, P } = dims;
  const { weightIh: wIh, weightHh: wHh, biasIh: bIh, biasHh: bHh } = w;
  if (kind === 'LSTM') {
    const args: KernelArgs<'lstmForward'> = [
      T,
      B,
      E,
      H,
      P,
      b.x,
      wIh,
      wHh,
      w.weightHr,
      bIh,
      bHh,
      b.h0,
      b.c0,
      lengths,
      reverse,
      b.out,
      b.hN,
      b.cN,
      b.gates,
      b.cells,
      b.hidden,
    ];
    return { kernel: forwardKernel(kind), args };
  }
  if (kind === 'GRU') {
    const args: KernelArgs<'gruForward'> = [
      T,
      B,
      E,
      H,
      b.x,
      wIh,
      wHh,
      bIh,
      bHh,
      b.h0,
      lengths,
      reverse,
      b.out,
      b.hN,
      b.gates,
    ];
    return { kernel: forwardKernel(kind), args };
  }
  const relu = kind === 'RNN_RELU';
  const args: KernelArgs<'rnnForward'> = [
    T,
    B,
    E,
    H,
    relu,
    b.x,
    wIh,
    wHh,
    bIh,
    bHh,
    b.h0,
    lengths,
    reverse,
    b.out,
    b.hN,
  ];
  return { kernel: forwardKernel(kind), args };
}

/** Runs `kind` over T steps of B samples (E inputs, H hidden, P projected; P = 0 for none). */
export function recurrentTrace(
  kind: RecurrentKind,
  dims: { T: number; B: number; E: number; H: number; P: number },
  w: StepWeights,
  lengths: Int32Array | null,
  reverse: boolean,
  b: TraceBuffers,
): void {
  const { kernel, args } = recurrentCall(kind, dims, w, lengths, reverse, b);
  kernel(...args);
}
