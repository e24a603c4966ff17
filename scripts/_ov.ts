import { kernels, setBackend } from '../src/backend/registry.js';
import { loadWasmSync } from '../src/backend/wasm/load-node.js';
import { WasmInstance } from '../src/backend/wasm/instance.js';
import { seedWorkload } from '../bench/seed.js';
loadWasmSync(); setBackend('wasm');
const w = seedWorkload(32, 200);
for (let i = 0; i < 3; i++) w.trainStep();
let inside = 0, whole = 0;
const run = WasmInstance.prototype.run;
WasmInstance.prototype.run = function (n: string, s: number) { const t = performance.now(); run.call(this, n, s); inside += performance.now() - t; };
const k = kernels as unknown as Record<string, (...a: unknown[]) => unknown>;
for (const name of ['gemm','binary','sumToShape','unary','unaryBackward','permute','embeddingForward','embeddingBackward','adamStep','lstmForward','lstmBackward']) {
  const f = k[name]!; k[name] = (...a: unknown[]) => { const t = performance.now(); const r = f(...a); whole += performance.now() - t; return r; };
}
const N = 5; const t0 = performance.now();
for (let i = 0; i < N; i++) w.trainStep();
const step = (performance.now() - t0) / N;
console.log(`step ${step.toFixed(1)} ms; in wasm kernels ${(inside/N).toFixed(1)} ms; checks+copies ${((whole-inside)/N).toFixed(1)} ms (${(100*(whole-inside)/N/step).toFixed(1)}% of the step)`);
