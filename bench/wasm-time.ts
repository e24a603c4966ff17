/*
 * CPU time for the WebAssembly benchmarks. On a machine shared with other work, wall time counts
 * the time a run waits for a core, which changed the wasm figures by up to 1.6× between runs;
 * a single-threaded run's CPU time (user + system, all of the process's threads: V8's background
 * compiler and collector included) does not.
 */

/** CPU ms of one call of `fn`. */
export function cpuMs(fn: () => void): number {
  const t0 = process.cpuUsage();
  fn();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1000;
}

/** Median CPU ms of `fn` over `reps` runs after `warmup` untimed ones. */
export function medianCpuMs(fn: () => void, reps: number, warmup: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const times = Array.from({ length: reps }, () => cpuMs(fn)).sort((a, b) => a - b);
  const mid = reps >> 1;
  return reps % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
}

/** The median of each figure over rounds of runs that each give the same figures. */
export function medianOfRounds<T>(rounds: T[]): T {
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  };
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
