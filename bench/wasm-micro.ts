/*
 * Where kioku's WebAssembly GEMM loses against a bare register-blocked kernel: `tsx
 * bench/wasm-micro.ts [rounds] [module.wasm]` (add --experimental-wasm-relaxed-simd before --import
 * tsx for relaxed SIMD) builds bench/wasm-micro.cc with clang-19 (the same 2×16 tile, B packed once,
 * A in place, no edges, no libc) and times, interleaved round by round in CPU time, per shape:
 *   bare         the bare kernel alone (B packed beforehand), the tile inlined in the loop
 *   kiokuLike    the generic micro-kernel of simd_kernels.cc (64-bit indices, A by strides), called
 *                through a pointer once per tile as gemm/driver.cc's generic macro-kernel does
 *   call32       the same call per tile, with 32-bit indices
 *   bare+pack    bare, packing B on every call as kioku does
 *   kioku        kioku's gemm export on arrays already in linear memory (its whole C++ path)
 *   kioku+copies kioku's backend gemm from JS arrays (the marshal's checks and copies around it)
 * GFLOP/s, medians over rounds. The kioku module defaults to the committed build of this engine's flavor.
 * First it prints the 128-bit ceilings the table is measured against (bench/wasm-micro-peak.cc):
 * independent multiply-add chains in this engine's flavor, and natively with 128-bit AVX vectors, fused
 * and as a multiply then an add (what plain SIMD128 gets). The 60×128×48 shape keeps A and B in L2:
 * the micro-kernel with little memory traffic, for comparing tiles (build:wasm --variant).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTRACT } from '../src/backend/contract.js';
import { detectFlavor, wasmUrl } from '../src/backend/wasm/features.js';
import { WasmInstance } from '../src/backend/wasm/instance.js';
import { wasmKernel } from '../src/backend/wasm/marshal.js';
import { requireWasmApi } from '../src/backend/wasm/wasm-api.js';
import { Generator } from '../src/tensor/random.js';
import { medianCpuMs } from './wasm-time.js';

/** [m, k, n]: the seed's input projection, its per-step product, 512³. */
export const SHAPES = [
  [6400, 128, 256],
  [60, 128, 48],
  [32, 64, 256],
  [512, 512, 512],
] as const;

type BareExports = {
  memory: { buffer: ArrayBuffer };
  bare(m: number, n: number, k: number, a: number, pb: number, c: number, mc: number): void;
  kiokuLike(m: number, n: number, k: number, a: number, pb: number, c: number, mc: number): void;
  call32(m: number, n: number, k: number, a: number, pb: number, c: number, mc: number): void;
  pack(n: number, k: number, b: number, pb: number): void;
};

const root = fileURLToPath(new URL('..', import.meta.url));

/** Compiles bench/`source` to WebAssembly for this flavor and instantiates it (64 MiB of memory). */
function wasmModule<T>(source: string, relaxed: boolean): T {
  const dir = mkdtempSync(join(tmpdir(), 'kioku-micro-'));
  const out = join(dir, 'micro.wasm');
  execFileSync('clang++-19', [
    '--target=wasm32',
    '-nostdlib',
    '-O3',
    '-msimd128',
    ...(relaxed ? ['-mrelaxed-simd'] : []),
    '-Wl,--no-entry',
    '-Wl,--initial-memory=67108864',
    join(root, 'bench', source),
    '-o',
    out,
  ]);
  const api = requireWasmApi();
  const bytes = readFileSync(out);
  rmSync(dir, { recursive: true });
  return new api.Instance(new api.Module(bytes), {}).exports as unknown as T;
}

/** GFLOP/s of bench/wasm-micro-peak.cc's chains: in this engine's flavor, natively fused, natively unfused. */
function ceilings(relaxed: boolean): string {
  const { chains } = wasmModule<{ chains(iters: number): number }>('wasm-micro-peak.cc', relaxed);
  const iters = 1 << 22;
  chains(iters);
  const wasm = Math.max(
    ...[0, 1, 2, 3, 4].map(() => (96 * iters) / medianCpuMs(() => chains(iters), 1, 0) / 1e6),
  );
  const dir = mkdtempSync(join(tmpdir(), 'kioku-peak-'));
  // The native probe needs x86-64 with AVX2 and FMA; elsewhere it reports n/a.
  const native = (flags: string[]) => {
    const exe = join(dir, 'peak');
    const source = join(root, 'bench/wasm-micro-peak.cc');
    try {
      execFileSync('clang++-19', ['-O3', '-mavx2', '-mfma', ...flags, source, '-o', exe]);
      return Number(execFileSync(exe, { encoding: 'utf8' })).toFixed(1);
    } catch {
      return 'n/a';
    }
  };
  const [fused, unfused] = [native([]), native(['-DPEAK_MUL_ADD'])];
  rmSync(dir, { recursive: true });
  return `128-bit ceilings (GFLOP/s, CPU time): wasm ${relaxed ? 'relaxed madd' : 'mul+add'} ${wasm.toFixed(1)}, native FMA ${fused}, native mul+add ${unfused}`;
}

/**
 * C(m×n) = A(m×k)·B(k×n) by kioku's gemm export on copies of `a` and `b` made once in the
 * instance's linear memory: the module's whole C++ path without the marshal's checks and copies.
 * The arrays stay allocated (a benchmark's few shapes).
 */
export function gemmInLinearMemory(
  kioku: WasmInstance,
  m: number,
  k: number,
  n: number,
  a: Float32Array,
  b: Float32Array,
): () => void {
  const ka = kioku.exports.alloc(a.byteLength);
  const kb = kioku.exports.alloc(b.byteLength);
  const kc = kioku.exports.alloc(4 * m * n);
  const slots = kioku.exports.alloc(8 * 32);
  const { f32, f64 } = kioku.views();
  f32.set(a, ka >> 2);
  f32.set(b, kb >> 2);
  // The gemm entry's slots (native/src/wasm/linear_reader.h): an array is offset, length, type.
  const arr = (p: number, len: number) => [p, len, 0];
  f64.set(
    [0, 0, m, n, k, ...arr(ka, m * k), 0, k, ...arr(kb, k * n), 0, n, ...arr(kc, m * n), 0, n, 0],
    slots >> 3,
  );
  return () => kioku.run('gemm', slots);
}

const gen = new Generator(0);
const rand = (n: number) => Float32Array.from({ length: n }, () => gen.uniform(-1, 1));

/** The four timed calls at one shape, each returning nothing; arrays set up once. */
function variants(bare: BareExports, kioku: WasmInstance, m: number, k: number, n: number) {
  const [a, b, c] = [rand(m * k), rand(k * n), new Float32Array(m * n)];
  // The bare module: A at 1 MiB, then B, its packed copy and C, 64-byte aligned.
  const at = (bytes: number, prev: number) => prev + Math.ceil(bytes / 64) * 64;
  const pa = 1 << 20;
  const pbRaw = at(a.byteLength, pa);
  const pb = at(b.byteLength, pbRaw);
  const pc = at(b.byteLength, pb);
  const heap = new Float32Array(bare.memory.buffer);
  heap.set(a, pa >> 2);
  heap.set(b, pbRaw >> 2);
  bare.pack(n, k, pbRaw, pb);
  const gemm = wasmKernel(kioku, 'gemm', CONTRACT.gemm);
  const inMemory = gemmInLinearMemory(kioku, m, k, n, a, b);
  return {
    bare: () => bare.bare(m, n, k, pa, pb, pc, 32),
    kiokuLike: () => bare.kiokuLike(m, n, k, pa, pb, pc, 32),
    call32: () => bare.call32(m, n, k, pa, pb, pc, 32),
    'bare+pack': () => {
      bare.pack(n, k, pbRaw, pb);
      bare.bare(m, n, k, pa, pb, pc, 32);
    },
    kioku: inMemory,
    'kioku+copies': () => gemm(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n, false),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function main() {
  const args = process.argv.slice(2);
  const rounds = /^\d+$/.test(args[0] ?? '') ? Number(args.shift()) : 5;
  const flavor = detectFlavor();
  if (!flavor) throw new Error('bench/wasm-micro.ts: this engine has no WebAssembly SIMD');
  const file = args[0] ?? fileURLToPath(wasmUrl(flavor));
  const kioku = new WasmInstance(new (requireWasmApi().Module)(readFileSync(file)));
  const bare = wasmModule<BareExports>('wasm-micro.cc', flavor === 'relaxed');
  console.log(ceilings(flavor === 'relaxed'));
  const load0 = loadavg()[0]!;
  const table = SHAPES.map(([m, k, n]) => ({
    shape: `${m}x${k}x${n}`,
    flops: 2 * m * n * k,
    calls: variants(bare, kioku, m, k, n),
  }));
  const names = Object.keys(table[0]!.calls);
  const seen = table.map(() => names.map(() => [] as number[]));
  for (let r = 0; r < rounds; r++)
    table.forEach((row, i) => {
      const reps = Math.max(9, Math.min(400, Math.round(2e9 / row.flops)));
      names.forEach((name, j) => {
        const ms = medianCpuMs(row.calls[name as keyof typeof row.calls], reps, 5);
        seen[i]![j]!.push(row.flops / ms / 1e6);
      });
    });
  console.log(`${flavor}, ${file}\n`);
  console.log(`| shape | ${names.join(' | ')} |`);
  console.log(`|---|${names.map(() => '---').join('|')}|`);
  table.forEach((row, i) => {
    console.log(`| ${row.shape} | ${seen[i]!.map((xs) => median(xs).toFixed(1)).join(' | ')} |`);
  });
  console.log(
    `(GFLOP/s in CPU time, medians of ${rounds} interleaved rounds; load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)})`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
