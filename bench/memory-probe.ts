import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./memory.ts', import.meta.url));

/** A training loop's memory: VmRSS after setup and VmHWM after the steps, in KiB. */
export interface PeakMemory {
  baselineKiB: number;
  hwmKiB: number;
}

/** MiB the high-water mark rose above the post-setup RSS. */
export const peakAboveSetupMiB = (m: PeakMemory): number => (m.hwmKiB - m.baselineKiB) / 1024;

/**
 * Runs bench/memory.ts in a fresh Node process (with this process's loader flags, so it runs
 * under tsx too); null when it fails.
 */
export function kiokuMemory(backend: 'native' | 'js', threads: number, steps: number): PeakMemory | null {
  try {
    const out = execFileSync(
      process.execPath,
      [...process.execArgv, SCRIPT, backend, String(threads), String(steps)],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const m = JSON.parse(out.trim().split('\n').pop()!) as { baseline_kib: number; hwm_kib: number };
    return { baselineKiB: m.baseline_kib, hwmKiB: m.hwm_kib };
  } catch (err) {
    process.stderr.write(
      `bench: the kioku memory probe (${backend}) failed: ${(err as Error).message.split('\n')[0]}\n`,
    );
    return null;
  }
}
