/** Median wall time in ms of `fn` over `reps` runs after `warmup` untimed runs. */
export function medianMs(fn: () => void, reps: number, warmup = 2): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  return times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
}

/** Repetitions so that one measurement of `flops` work takes about `targetMs` at `gflops`. */
export function repsFor(flops: number, gflops: number, targetMs: number, min = 5, max = 200): number {
  const ms = flops / gflops / 1e6;
  return Math.max(min, Math.min(max, Math.round(targetMs / ms)));
}
