/*
 * The FMA peak the benchmark reports GEMM against: bench/peak.cc, compiled here for the addon's
 * active instruction set (so the probe is part of the benchmark, not of the library), then run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeIsa } from '../src/backend/native/loader.js';

const FLAGS: Record<NativeIsa, string[]> = {
  avx512: ['-mavx512f', '-mavx2', '-mfma'],
  avx2: ['-mavx2', '-mfma'],
  neon: [],
  portable: ['-DKIOKU_ISA_SCALAR'],
};

/** A function giving the GFLOP/s of `threads` threads for `isa`; compiles the probe once. */
export function peakProbe(isa: NativeIsa): (threads: number, seconds: number) => number {
  const dir = mkdtempSync(join(tmpdir(), 'kioku-peak-'));
  const exe = join(dir, 'peak');
  const source = fileURLToPath(new URL('./peak.cc', import.meta.url));
  execFileSync(process.env.CXX ?? 'c++', ['-O3', '-std=c++17', '-pthread', ...FLAGS[isa], source, '-o', exe]);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return (threads, seconds) =>
    Number(execFileSync(exe, [String(threads), String(seconds)], { encoding: 'utf8' }));
}
