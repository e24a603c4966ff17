/*
 * Where the seed training step's time goes on the WebAssembly backend: `tsx bench/wasm-profile.ts
 * [steps] [infer]` (add --experimental-wasm-relaxed-simd before --import tsx for the relaxed build). Every
 * kernel call is timed in CPU time, split into the module's own run and the marshalling around it
 * (argument checks, copies into linear memory and back); prints a table per kernel, per step.
 * With `infer`, the seed's inference instead of its training step.
 */
import { readFileSync } from 'node:fs';
import { CONTRACT, KERNEL_NAMES } from '../src/backend/contract.js';
import { registerKernel, setBackend } from '../src/backend/registry.js';
import { detectFlavor, wasmUrl } from '../src/backend/wasm/features.js';
import { WasmInstance } from '../src/backend/wasm/instance.js';
import { wasmKernel } from '../src/backend/wasm/marshal.js';
import { requireWasmApi } from '../src/backend/wasm/wasm-api.js';
import { seedWorkload } from './seed.js';

const steps = Number(process.argv[2] ?? 10);
const what = process.argv[3] === 'infer' ? 'inference' : 'training step';
const flavor = detectFlavor();
if (!flavor) throw new Error('bench/wasm-profile.ts: this engine has no WebAssembly SIMD');
const instance = new WasmInstance(new (requireWasmApi().Module)(readFileSync(wasmUrl(flavor))));
const cpuUs = () => {
  const t = process.cpuUsage();
  return t.user + t.system;
};
const total = new Map<string, { calls: number; all: number; run: number }>();
const entry = (name: string) => {
  let e = total.get(name);
  if (!e) total.set(name, (e = { calls: 0, all: 0, run: 0 }));
  return e;
};
const run = instance.run.bind(instance);
instance.run = (name: string, slots: number) => {
  const t0 = cpuUs();
  run(name, slots);
  entry(name).run += cpuUs() - t0;
};
// The backend's kernels as installWasm registers them, each inside a timer.
for (const name of KERNEL_NAMES) {
  if (!CONTRACT[name].native) continue;
  const fn = wasmKernel(instance, name, CONTRACT[name]);
  registerKernel(name, 'wasm', ((...args: unknown[]) => {
    const t0 = cpuUs();
    fn(...args);
    const e = entry(name);
    e.all += cpuUs() - t0;
    e.calls++;
  }) as never);
}
setBackend('wasm');
const seed = seedWorkload(32, 200);
const step = what === 'inference' ? seed.infer : seed.trainStep;
for (let i = 0; i < 3; i++) step();
total.clear();
const t0 = cpuUs();
for (let i = 0; i < steps; i++) step();
const stepMs = (cpuUs() - t0) / 1000 / steps;
const rows = [...total].sort((a, b) => b[1].all - a[1].all);
console.log(`${flavor}: ${stepMs.toFixed(1)} ms CPU per ${what}\n`);
console.log('| kernel | calls/step | ms/step | in the module | marshalling |');
console.log('|---|---|---|---|---|');
let kernelsMs = 0;
for (const [name, e] of rows) {
  const ms = e.all / 1000 / steps;
  kernelsMs += ms;
  const runMs = e.run / 1000 / steps;
  console.log(
    `| ${name} | ${(e.calls / steps).toFixed(0)} | ${ms.toFixed(2)} | ${runMs.toFixed(2)} | ${(ms - runMs).toFixed(2)} |`,
  );
}
console.log(`| (outside kernels) | | ${(stepMs - kernelsMs).toFixed(2)} | | |`);
