import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PeakMemory } from './memory-probe.js';
import type { SweepConfig } from './sweep.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./torch_bench.py', import.meta.url));

/** What bench/torch_bench.py prints for one thread setting. */
export interface TorchResult {
  torch: string;
  threads: number;
  gemm: Record<string, number>;
  seed: { train_ms: number; infer_ms: number };
  large_train_ms: number;
  stream_us: number;
  /** By configKey of bench/sweep.ts. */
  sweep: Record<string, { train_ms: number; infer_ms: number }>;
  /** The seed workload's training memory, measured in a separate fresh process. */
  memory: PeakMemory | null;
}

/**
 * Runs the PyTorch side once per thread count (torch.set_num_threads and OPENBLAS_NUM_THREADS
 * together). OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed for these commands only: they
 * pin an older OpenBLAS kernel on this kind of machine. Returns [] when torch is unavailable.
 */
export function runTorch(
  threadCounts: readonly number[],
  reps: number,
  sweep: readonly SweepConfig[],
  memorySteps: number,
): TorchResult[] {
  if (!existsSync(PYTHON)) return [];
  const results: TorchResult[] = [];
  for (const threads of threadCounts) {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      OPENBLAS_NUM_THREADS: String(threads),
      OMP_NUM_THREADS: String(threads),
    };
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    const python = (args: string[]): string => {
      const out = execFileSync(PYTHON, [SCRIPT, '--threads', String(threads), ...args], {
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 1 << 24,
      });
      return out.trim().split('\n').pop()!;
    };
    try {
      const r = JSON.parse(python(['--reps', String(reps), '--sweep', JSON.stringify(sweep)])) as TorchResult;
      const m = JSON.parse(python(['--memory', String(memorySteps)])) as {
        baseline_kib: number;
        hwm_kib: number;
      };
      r.memory = { baselineKiB: m.baseline_kib, hwmKiB: m.hwm_kib };
      results.push(r);
    } catch (err) {
      process.stderr.write(
        `bench: PyTorch run with ${threads} thread(s) failed: ${(err as Error).message.split('\n')[0]}\n`,
      );
    }
  }
  return results;
}

/** The fastest setting for a metric (lower is better). */
export function bestOf(
  results: readonly TorchResult[],
  metric: (r: TorchResult) => number,
): { value: number; threads: number } | null {
  let best: { value: number; threads: number } | null = null;
  for (const r of results) {
    const v = metric(r);
    if (best === null || v < best.value) best = { value: v, threads: r.threads };
  }
  return best;
}
