/*
 * The seed's recurrent kernel in several module builds side by side in one process: `tsx
 * bench/wasm-recurrent-ab.ts [rounds] a.wasm b.wasm …` (add --experimental-wasm-relaxed-simd before
 * --import tsx for relaxed builds) calls each module's lstmForward export, marshalling included,
 * module after module in every round, as the seed's inference calls it (T 200, B 32, E 128, H 64,
 * no saved state, the input rows drawn from 5000 embedding rows so that about 3600 are distinct),
 * and prints the CPU-time medians, their ratios to the first module's, and each module's largest
 * difference from the first one's output. For gate-loop and exp variants built by
 * `scripts/build-wasm.sh --variant DIR`: on a busy machine one process sees the same load for all.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { CONTRACT } from '../src/backend/contract.js';
import { WasmInstance } from '../src/backend/wasm/instance.js';
import { wasmKernel } from '../src/backend/wasm/marshal.js';
import { requireWasmApi } from '../src/backend/wasm/wasm-api.js';
import { Generator } from '../src/tensor/random.js';
import { cpuMs } from './wasm-time.js';

const [T, B, E, H, VOCAB] = [200, 32, 128, 64, 5000];

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The seed's input sequence (time-major rows of an embedding table) and LSTM weights. */
function seedArguments() {
  const gen = new Generator(0);
  const rand = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => gen.uniform(-scale, scale));
  const table = rand(VOCAB * E, 1);
  const x = new Float32Array(T * B * E);
  for (let r = 0; r < T * B; r++) {
    const token = Math.floor(gen.uniform(0, VOCAB));
    x.set(table.subarray(token * E, (token + 1) * E), r * E);
  }
  const scale = 1 / Math.sqrt(H);
  return {
    x,
    wIh: rand(4 * H * E, scale),
    wHh: rand(4 * H * H, scale),
    bIh: rand(4 * H, scale),
    bHh: rand(4 * H, scale),
  };
}

function main() {
  const args = process.argv.slice(2);
  const rounds = /^\d+$/.test(args[0] ?? '') ? Number(args.shift()) : 30;
  const { x, wIh, wHh, bIh, bHh } = seedArguments();
  const zeros = new Float32Array(B * H);
  const [out, hN, cN] = [new Float32Array(T * B * H), new Float32Array(B * H), new Float32Array(B * H)];
  const calls = args.map((file) => {
    const instance = new WasmInstance(new (requireWasmApi().Module)(readFileSync(file)));
    const lstm = wasmKernel(instance, 'lstmForward', CONTRACT.lstmForward);
    return () =>
      lstm(
        T,
        B,
        E,
        H,
        0,
        x,
        wIh,
        wHh,
        null,
        bIh,
        bHh,
        zeros,
        zeros,
        null,
        false,
        out,
        hN,
        cN,
        null,
        null,
        null,
      );
  });
  const load0 = loadavg()[0]!;
  // Past V8's tier-up, and each module's output for the comparison.
  const outputs = calls.map((call) => {
    for (let i = 0; i < 5; i++) call();
    return out.slice();
  });
  const times: number[][] = calls.map(() => []);
  for (let r = 0; r < rounds; r++) for (const [i, call] of calls.entries()) times[i]!.push(cpuMs(call));
  const first = median(times[0]!);
  console.log('| module | lstmForward (ms CPU) | ratio | max abs difference from the first |');
  console.log('|---|---|---|---|');
  args.forEach((file, i) => {
    let diff = 0;
    for (let j = 0; j < out.length; j++) diff = Math.max(diff, Math.abs(outputs[i]![j]! - outputs[0]![j]!));
    const ms = median(times[i]!);
    console.log(`| ${file} | ${ms.toFixed(2)} | ${(ms / first).toFixed(3)} | ${diff.toExponential(1)} |`);
  });
  console.log(`(${rounds} rounds; load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)})`);
}

main();
