import { kernels, setBackend } from '../src/backend/registry.js';
import { loadWasmSync } from '../src/backend/wasm/load-node.js';
import { nativeBackend } from '../src/backend/native/index.js';
import { seedWorkload } from '../bench/seed.js';
import { medianMs } from '../bench/stats.js';
loadWasmSync(); nativeBackend().addon!.init(1);
const be = (process.argv[2] ?? 'wasm') as 'wasm' | 'native' | 'js';
setBackend(be);
const w = seedWorkload(32, 200);
for (let i = 0; i < 3; i++) w.trainStep();
const times: Record<string, [number, number]> = {};
const k = kernels as unknown as Record<string, (...a: unknown[]) => unknown>;
for (const name of Object.keys(k)) {
  const f = k[name]!;
  k[name] = (...a: unknown[]) => { const t = performance.now(); const r = f(...a); const e = times[name] ??= [0, 0]; e[0] += performance.now() - t; e[1]++; return r; };
}
const N = 5;
const t0 = performance.now();
for (let i = 0; i < N; i++) w.trainStep();
const total = (performance.now() - t0) / N;
console.log(be, 'step', total.toFixed(1), 'ms');
for (const [n, [ms, c]] of Object.entries(times).sort((a, b) => b[1][0] - a[1][0]).slice(0, 12)) console.log(n.padEnd(20), (ms / N).toFixed(2), 'ms', c / N, 'calls');
