import { wasmApi } from './wasm-api.js';

/*
 * Which build of the module this engine runs, found by validating two tiny modules: one function
 * returning f32x4.add of two splats (SIMD128), and one returning f32x4.relaxed_madd of three
 * (relaxed SIMD: Chromium, Firefox; Node 20 only with --experimental-wasm-relaxed-simd).
 */

/** The two builds of native/wasm/: plain SIMD128, and relaxed SIMD's fused multiply-add. */
export type WasmFlavor = 'simd128' | 'relaxed';

const HEAD = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0]; // () → v128
const SPLAT = [0x43, 0, 0, 0, 0, 0xfd, 0x13]; // f32.const 0; f32x4.splat
const SIMD = [...HEAD, 10, 21, 1, 19, 0, ...SPLAT, ...SPLAT, 0xfd, 0xe4, 0x01, 0x0b];
const RELAXED = [...HEAD, 10, 28, 1, 26, 0, ...SPLAT, ...SPLAT, ...SPLAT, 0xfd, 0x85, 0x02, 0x0b];

function validates(bytes: number[]): boolean {
  try {
    return wasmApi()?.validate(Uint8Array.from(bytes)) === true;
  } catch {
    return false;
  }
}

/** The best build this engine runs, or null when it has no WebAssembly SIMD. */
export function detectFlavor(): WasmFlavor | null {
  if (validates(RELAXED)) return 'relaxed';
  return validates(SIMD) ? 'simd128' : null;
}

/**
 * Whether this engine can run the threaded build: shared WebAssembly memory (SharedArrayBuffer,
 * which browsers give only to cross-origin-isolated pages) and atomics.
 */
export function sharedMemorySupported(): boolean {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean };
  if (typeof g.SharedArrayBuffer !== 'function' || g.crossOriginIsolated === false) return false;
  try {
    const api = wasmApi();
    return (
      api !== undefined &&
      new api.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof
        (g.SharedArrayBuffer as typeof SharedArrayBuffer)
    );
  } catch {
    return false;
  }
}

/**
 * Where a build lies beside this module, in the package: the literal `new URL(…, import.meta.url)`
 * that Vite, webpack and Parcel turn into an emitted asset (one literal per file for them).
 */
export function wasmUrl(flavor: WasmFlavor, threaded = false): URL {
  if (threaded)
    return flavor === 'relaxed'
      ? new URL('../../../native/wasm/kioku-relaxed-threads.wasm', import.meta.url)
      : new URL('../../../native/wasm/kioku-simd128-threads.wasm', import.meta.url);
  return flavor === 'relaxed'
    ? new URL('../../../native/wasm/kioku-relaxed.wasm', import.meta.url)
    : new URL('../../../native/wasm/kioku-simd128.wasm', import.meta.url);
}
