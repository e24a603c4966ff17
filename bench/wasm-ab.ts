/*
 * Interleaved A/B of WebAssembly module builds on a busy machine: `tsx bench/wasm-ab.ts [rounds]
 * a.wasm b.wasm …` runs bench/wasm-ab-one.ts in a fresh Node per module, module after module,
 * `rounds` times (default 3), and prints the median of every figure per module. A file whose name
 * contains "relaxed" runs with --experimental-wasm-relaxed-simd. For choosing kernel variants (the
 * micro-kernel's tile of isa/wasm_simd128.h): build them with different flags, then compare here.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

/** [m, k, n, A transposed]: the seed's products (input projection, per-step, dX, weight gradient). */
export const WASM_AB_GEMMS = [
  [6400, 128, 256, false],
  [32, 64, 256, false],
  [6400, 256, 128, false],
  [256, 6400, 128, true],
  [512, 512, 512, false],
] as const;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function main() {
  const args = process.argv.slice(2);
  const rounds = /^\d+$/.test(args[0] ?? '') ? Number(args.shift()) : 3;
  const root = fileURLToPath(new URL('..', import.meta.url));
  const seen = new Map<string, Record<string, number[]>>(args.map((f) => [f, {}]));
  const load0 = loadavg()[0]!;
  for (let r = 0; r < rounds; r++)
    for (const file of args) {
      const flags = file.includes('relaxed') ? ['--experimental-wasm-relaxed-simd'] : [];
      const out = execFileSync(
        process.execPath,
        [...flags, '--import', 'tsx', 'bench/wasm-ab-one.ts', file],
        {
          cwd: root,
          encoding: 'utf8',
        },
      );
      const figures = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
      const acc = seen.get(file)!;
      for (const [key, v] of Object.entries(figures)) (acc[key] ??= []).push(v);
      process.stderr.write(
        `round ${r + 1} ${file}: ${JSON.stringify(figures, (_, v) => (typeof v === 'number' ? +v.toFixed(1) : v))}\n`,
      );
    }
  const keys = Object.keys(seen.get(args[0]!)!);
  console.log(`| module | ${keys.join(' | ')} |`);
  console.log(`|---|${keys.map(() => '---').join('|')}|`);
  for (const [file, acc] of seen)
    console.log(`| ${file} | ${keys.map((k) => median(acc[k]!).toFixed(1)).join(' | ')} |`);
  console.log(
    `(GEMM in GFLOP/s, A transposed where marked T; ms for the seed; ${rounds} rounds; load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)})`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
