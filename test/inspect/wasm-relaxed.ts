import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendName, backend, setBackend } from '../../src/backend/registry.js';
import { detectFlavor, type WasmFlavor, wasmUrl } from '../../src/backend/wasm/features.js';
import { switchWasmBuild, wasmBackend } from '../../src/backend/wasm/index.js';
import { loadWasmSync } from '../../src/backend/wasm/load-node.js';
import { requireWasmApi } from '../../src/backend/wasm/wasm-api.js';

/*
 * The inspection suites on the relaxed-SIMD build of the WebAssembly backend, beside the SIMD128
 * one describeEachBackend runs. Node 20 keeps relaxed SIMD behind a V8 flag; it is set here, in
 * this test file's own process, after the backend has loaded its SIMD128 build.
 */

function relaxedRuns(): boolean {
  if (loadWasmSync() !== '') return false;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return detectFlavor() === 'relaxed';
}

function useBuild(flavor: WasmFlavor): void {
  switchWasmBuild(new (requireWasmApi().Module)(readFileSync(wasmUrl(flavor))), flavor);
}

/** `fn`'s suite on the wasm backend running its relaxed-SIMD build (`name [wasm relaxed]`). */
export function describeRelaxedWasm(name: string, fn: (backend: BackendName) => void): void {
  describe.skipIf(!relaxedRuns())(`${name} [wasm relaxed]`, () => {
    let previous: BackendName = 'js';
    let build: WasmFlavor = 'simd128';
    beforeAll(() => {
      previous = backend();
      build = wasmBackend()!.flavor;
      useBuild('relaxed');
      setBackend('wasm');
    });
    afterAll(() => {
      useBuild(build);
      setBackend(previous);
    });
    it('runs the relaxed-SIMD build', () => expect(wasmBackend()!.flavor).toBe('relaxed'));
    fn('wasm');
  });
}
