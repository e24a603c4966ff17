import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { ValueError } from '../../tensor/errors.js';
import type { Kernels } from '../registry.js';

/** Instruction sets the addon's SIMD kernels are compiled for (native/src/simd.h). */
export type NativeIsa = 'portable' | 'avx2' | 'avx512' | 'neon';

/** What native/build/Release/kioku.node exports (native/src/addon.cc): the kernels, three controls, bound calls and frozen weights. */
export interface NativeAddon extends Partial<Kernels> {
  init(threads: number): void;
  /** The active and the best instruction set, and every one this build and CPU run (lowest first). */
  info(): {
    isa: NativeIsa;
    detectedIsa: NativeIsa;
    isas: NativeIsa[];
    threads: number;
    frozenPackUses?: number;
  };
  /** Every SIMD kernel (GEMM, matrix-vector, gate loops) uses `isa` from now on. */
  setIsa(isa: NativeIsa): void;
  /** Per kernel: reads and checks its arguments once and returns a handle for `runBound` (bound.ts). */
  bind: Partial<Record<string, (...args: unknown[]) => unknown>>;
  /** Runs the kernel a `bind` function read, on the same arguments, checked again. */
  runBound(handle: unknown): void;
  /** Copies and packs one layer and direction's weights (native/src/frozen_weights.h); a handle for `frozen`. */
  freezeRecurrent?(
    G: number,
    E: number,
    R: number,
    H: number,
    P: number,
    wIh: Float32Array,
    wHh: Float32Array,
    bIh: Float32Array | null,
    bHh: Float32Array | null,
    wHr: Float32Array | null,
  ): unknown;
  /** The forward kernels with a freezeRecurrent handle after their arguments: run on its copy. */
  frozen?: Record<'lstmForward' | 'gruForward' | 'rnnForward', (...args: unknown[]) => void>;
}

export type LoadResult = { ok: true; addon: NativeAddon } | { ok: false; reason: string };

// The same relative path from src/backend/native/ (tsx, vitest) and dist/backend/native/.
const ADDON_PATH = '../../../native/build/Release/kioku.node';

/** Threads for the addon's pool: KIOKU_NUM_THREADS when set, else os.availableParallelism(). */
export function threadCount(): number {
  const env = process.env.KIOKU_NUM_THREADS;
  if (env === undefined || env === '') return availableParallelism();
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new ValueError(`KIOKU_NUM_THREADS must be an integer from 1 to 256, got '${env}'`);
  return n;
}

/** KIOKU_ISA, when set: the instruction set the addon should use instead of the best one. */
function applyIsa(addon: NativeAddon): void {
  const want = process.env.KIOKU_ISA;
  if (want === undefined || want === '') return;
  const { isas } = addon.info();
  if (!isas.includes(want as NativeIsa))
    throw new ValueError(`KIOKU_ISA must be one of ${isas.join(', ')} on this machine, got '${want}'`);
  addon.setIsa(want as NativeIsa);
}

let cached: LoadResult | undefined;

/**
 * Loads the addon once, sizes its thread pool and applies KIOKU_ISA; never throws for a missing or
 * broken build (a wrong KIOKU_NUM_THREADS or KIOKU_ISA is a ValueError).
 */
export function loadAddon(): LoadResult {
  if (cached) return cached;
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
    addon.init(threadCount());
    applyIsa(addon);
    cached = { ok: true, addon };
  } catch (err) {
    if (err instanceof ValueError) throw err;
    const reason = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    cached = { ok: false, reason };
  }
  return cached;
}
