/*
 * CPU time for the WebAssembly benchmarks. On a machine shared with other work, wall time counts
 * the time a run waits for a core, which changed the wasm figures by up to 1.6× between runs; a
 * single-threaded run's CPU time (user + system, all of the process's threads: V8's background
 * compiler and collector included) does not, though under heavy load it still moves by a fifth or
 * more: the virtual machine's CPU-second does not always do the same work (bench/wasm-spread.ts
 * shows a fixed scalar loop's CPU time spreading as much as the GEMM's within one process).
 */

/** CPU ms of one call of `fn`. */
export function cpuMs(fn: () => void): number {
  const t0 = process.cpuUsage();
  fn();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median CPU and wall ms of `fn` over `reps` runs after `warmup` untimed ones. */
export function medianTimes(fn: () => void, reps: number, warmup: number): { cpu: number; wall: number } {
  for (let i = 0; i < warmup; i++) fn();
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < reps; i++) {
    const w0 = performance.now();
    cpu.push(cpuMs(fn));
    wall.push(performance.now() - w0);
  }
  return { cpu: median(cpu), wall: median(wall) };
}

/** Median CPU ms of `fn` over `reps` runs after `warmup` untimed ones. */
export function medianCpuMs(fn: () => void, reps: number, warmup: number): number {
  return medianTimes(fn, reps, warmup).cpu;
}

/** The median of each figure over rounds of runs that each give the same figures. */
export function medianOfRounds<T>(rounds: T[]): T {
  const walk = (values: unknown[]): unknown => {
    const first = values[0];
    if (typeof first === 'number') return median(values as number[]);
    if (first === null || typeof first !== 'object') return first;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first))
      out[key] = walk(values.map((v) => (v as Record<string, unknown>)[key]).filter((v) => v !== undefined));
    return out;
  };
  return walk(rounds) as T;
}
