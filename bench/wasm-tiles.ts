/*
 * Kernel variants side by side in one process: `tsx bench/wasm-tiles.ts [rounds] a.wasm b.wasm …`
 * (add --experimental-wasm-relaxed-simd before --import tsx for relaxed builds) times kioku's gemm
 * export in each module's linear memory (bench/wasm-micro.ts's `kioku`: no marshalling), module
 * after module in every round, at bench/wasm-micro.ts's shapes, and prints GFLOP/s medians in CPU
 * time. For tiles built by `scripts/build-wasm.sh --variant DIR -DKIOKU_WASM_TILE_ROWS=… _VECS=…`:
 * on a busy machine, separate processes (bench/wasm-ab.ts) see different loads, one process the same.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { WasmInstance } from '../src/backend/wasm/instance.js';
import { requireWasmApi } from '../src/backend/wasm/wasm-api.js';
import { Generator } from '../src/tensor/random.js';
import { gemmInLinearMemory, SHAPES } from './wasm-micro.js';
import { medianCpuMs } from './wasm-time.js';

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function main() {
  const args = process.argv.slice(2);
  const rounds = /^\d+$/.test(args[0] ?? '') ? Number(args.shift()) : 5;
  const gen = new Generator(0);
  const rand = (n: number) => Float32Array.from({ length: n }, () => gen.uniform(-1, 1));
  const inputs = SHAPES.map(([m, k, n]) => [rand(m * k), rand(k * n)] as const);
  const calls = args.map((file) => {
    const kioku = new WasmInstance(new (requireWasmApi().Module)(readFileSync(file)));
    return SHAPES.map(([m, k, n], i) => gemmInLinearMemory(kioku, m, k, n, inputs[i]![0], inputs[i]![1]));
  });
  const seen = args.map(() => SHAPES.map(() => [] as number[]));
  const load0 = loadavg()[0]!;
  for (let r = 0; r < rounds; r++)
    SHAPES.forEach(([m, k, n], i) => {
      const flops = 2 * m * n * k;
      const reps = Math.max(9, Math.min(400, Math.round(2e9 / flops)));
      calls.forEach((byShape, j) => {
        seen[j]![i]!.push(flops / medianCpuMs(byShape[i]!, reps, 5) / 1e6);
      });
    });
  console.log(`| module | ${SHAPES.map(([m, k, n]) => `${m}x${k}x${n}`).join(' | ')} |`);
  console.log(`|---|${SHAPES.map(() => '---').join('|')}|`);
  args.forEach((file, j) => {
    console.log(`| ${file} | ${seen[j]!.map((xs) => median(xs).toFixed(1)).join(' | ')} |`);
  });
  console.log(
    `(GFLOP/s in CPU time, medians of ${rounds} interleaved rounds; load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)})`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
