/*
 * Where the spread between WebAssembly benchmark runs comes from: `tsx bench/wasm-spread.ts
 * [samples] [module.wasm]` (add --experimental-wasm-relaxed-simd before --import tsx for the relaxed
 * build) times, sample after sample in one process, ten of kioku's GEMMs at the seed's input
 * projection (6400×128·128×256) on arrays already in linear memory, and a fixed scalar JS loop that
 * touches no memory, both in CPU time. Nothing in the module changes between samples (no memory
 * growth, no copies, nothing to collect, past tier-up), so what spread the GEMM shows that the loop
 * shows too is the machine's: on a shared virtual machine one CPU-second does not always do the
 * same work.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { detectFlavor, wasmUrl } from '../src/backend/wasm/features.js';
import { WasmInstance } from '../src/backend/wasm/instance.js';
import { requireWasmApi } from '../src/backend/wasm/wasm-api.js';
import { gemmInLinearMemory } from './wasm-micro.js';
import { cpuMs } from './wasm-time.js';

const [M, K, N] = [6400, 128, 256];
const FLOPS = 2 * M * N * K * 10;

let sink = 0;
/** A fixed amount of scalar work in registers (about 20 ms). */
function calibration(): void {
  let s = 0;
  for (let i = 0; i < 2e7; i++) s += (i & 7) * 0.5;
  sink += s;
}

function summary(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return `min ${s[0]!.toFixed(1)}, median ${at(0.5).toFixed(1)}, max ${s[s.length - 1]!.toFixed(1)} (max/min ${(s[s.length - 1]! / s[0]!).toFixed(2)})`;
}

function correlation(x: number[], y: number[]): number {
  const mean = (v: number[]) => v.reduce((p, q) => p + q, 0) / v.length;
  const [mx, my] = [mean(x), mean(y)];
  let [sxy, sxx, syy] = [0, 0, 0];
  x.forEach((xi, i) => {
    sxy += (xi - mx) * (y[i]! - my);
    sxx += (xi - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  });
  return sxy / Math.sqrt(sxx * syy);
}

function main() {
  const samples = Number(process.argv[2] ?? 30);
  const flavor = detectFlavor();
  if (!flavor) throw new Error('bench/wasm-spread.ts: this engine has no WebAssembly SIMD');
  const file = process.argv[3] ?? fileURLToPath(wasmUrl(flavor));
  const kioku = new WasmInstance(new (requireWasmApi().Module)(readFileSync(file)));
  const gen = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));
  const gemm = gemmInLinearMemory(kioku, M, K, N, gen(M * K, Math.sin), gen(K * N, Math.cos));
  const load0 = loadavg()[0]!;
  for (let i = 0; i < 20; i++) gemm();
  calibration();
  const gflops: number[] = [];
  const loopMs: number[] = [];
  for (let s = 0; s < samples; s++) {
    gflops.push(
      FLOPS /
        cpuMs(() => {
          for (let i = 0; i < 10; i++) gemm();
        }) /
        1e6,
    );
    loopMs.push(cpuMs(calibration));
  }
  console.log(`${flavor}, ${file}, ${samples} samples`);
  console.log(`GEMM in linear memory, GFLOP/s in CPU time: ${summary(gflops)}`);
  console.log(`the scalar loop, CPU ms: ${summary(loopMs)}`);
  const speed = loopMs.map((ms) => 1 / ms);
  console.log(`correlation of the two speeds sample by sample: ${correlation(gflops, speed).toFixed(2)}`);
  console.log(`load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}${sink > 0 ? '' : ' '}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
