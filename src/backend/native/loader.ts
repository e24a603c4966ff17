import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { ValueError } from '../../tensor/errors.js';
import type { Kernels } from '../registry.js';

/** Instruction sets the addon's GEMM dispatches between. */
export type NativeIsa = 'portable' | 'avx2' | 'avx512';

/** What native/build/Release/kioku.node exports (native/src/addon.cc). */
export interface NativeAddon extends Partial<Kernels> {
  init(threads: number): void;
  info(): { isa: NativeIsa; detectedIsa: NativeIsa; threads: number };
  setIsa(isa: NativeIsa): void;
  peakGflops(threads: number, seconds: number): number;
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

let cached: LoadResult | undefined;

/** Loads the addon once and sizes its thread pool; never throws for a missing or broken build. */
export function loadAddon(): LoadResult {
  if (cached) return cached;
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
    addon.init(threadCount());
    cached = { ok: true, addon };
  } catch (err) {
    if (err instanceof ValueError) throw err;
    const reason = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    cached = { ok: false, reason };
  }
  return cached;
}
