import type { Kernels } from './contract.js';
import { type BackendName, backend } from './registry.js';

/*
 * Frozen recurrent weights: one layer and direction's weights copied and prepared once by a
 * backend, for forwards that never write them (a served model's). The native backend packs W_ihᵀ
 * and W_hhᵀ for its micro-kernel once instead of on every call; its frozen forwards read every
 * weight from that copy, never from the arrays passed, so the packs and the weights a call uses
 * cannot disagree (native/src/frozen_weights.h). The JS and WebAssembly backends prepare nothing
 * across calls and freeze nothing: their forwards run as always.
 */

/** The forward kernels a frozen layer runs, with the contract's arguments. */
export type FrozenForwards = Pick<Kernels, 'lstmForward' | 'gruForward' | 'rnnForward'>;

/** One layer and direction's weights, as the forward kernels take them (R = P when P > 0, else H). */
export interface RecurrentWeightArrays {
  G: number;
  E: number;
  R: number;
  H: number;
  P: number;
  wIh: Float32Array;
  wHh: Float32Array;
  bIh: Float32Array | null;
  bHh: Float32Array | null;
  wHr: Float32Array | null;
}

/** Weights a backend froze: its forward kernels on the copy it made. */
export interface FrozenRecurrent extends FrozenForwards {
  readonly backend: BackendName;
}

type Freezer = (w: RecurrentWeightArrays) => FrozenRecurrent;

const freezers = new Map<BackendName, Freezer>();

/** Registers the backend's freezer (the native backend's, when its addon loads). */
export function registerFreezer(name: BackendName, freezer: Freezer): void {
  freezers.set(name, freezer);
}

/** `w` frozen by the active backend, or null when that backend freezes nothing. */
export function freezeRecurrent(w: RecurrentWeightArrays): FrozenRecurrent | null {
  return freezers.get(backend())?.(w) ?? null;
}

/**
 * The frozen forward `name` of `frozen` for a call that records no gradient, while its backend is
 * the active one; else null (the call takes the active backend's kernel on the weights it passes).
 */
export function frozenForward<K extends keyof FrozenForwards>(
  name: K,
  frozen: FrozenRecurrent | null | undefined,
  recordsGradient: boolean,
): FrozenForwards[K] | null {
  return frozen && !recordsGradient && frozen.backend === backend() ? frozen[name] : null;
}
