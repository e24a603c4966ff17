/*
 * Run by relaxed.test.ts in a Node started with --experimental-wasm-relaxed-simd: loads the
 * WebAssembly backend (which then picks the relaxed build) and prints, as JSON, the build and the
 * largest deviation from PyTorch of every kernel fixture case, relative to the case's scale.
 */
import { kernelFor } from '../../src/backend/registry.js';
import { wasmBackend } from '../../src/backend/wasm/index.js';
import { loadWasmSync } from '../../src/backend/wasm/load-node.js';
import { loadKernelCases, recurrentKernels, runGemm, runRecurrent } from '../backend/kernel-fixtures.js';

/** max |a − e| / (|e| + max |e|) over the array. */
function deviation(actual: Float32Array, expected: Float32Array): number {
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = actual.length === expected.length ? 0 : Number.POSITIVE_INFINITY;
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (Math.abs(expected[i]!) + scale));
  return Number.isNaN(worst) ? Number.POSITIVE_INFINITY : worst;
}

const reason = loadWasmSync();
if (reason !== '') throw new Error(reason);
const k = <K extends Parameters<typeof kernelFor>[0]>(name: K) => kernelFor(name, 'wasm')!;
const deviations: Record<string, number> = {};
for (const c of loadKernelCases()) {
  if (c.kind === 'gemm') {
    deviations[`${c.name}.c`] = deviation(runGemm(c, k('gemm')), c.arrays.c!);
    continue;
  }
  const got = runRecurrent(c, recurrentKernels(k));
  for (const [name, values] of Object.entries(got))
    deviations[`${c.name}.${name}`] = deviation(values, c.arrays[name]!);
}
console.log(JSON.stringify({ flavor: wasmBackend()!.flavor, deviations }));
