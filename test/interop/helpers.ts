import { expect } from 'vitest';

/** Fails at the first element where |a − e| > tol·(1 + |e|), naming it. */
export function expectClose(a: ArrayLike<number>, e: ArrayLike<number>, tol: number, what = 'value'): void {
  expect(a.length, `${what} length`).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    if (!(Math.abs(a[i]! - e[i]!) <= tol * (1 + Math.abs(e[i]!))))
      expect.fail(`${what}[${i}]: ${a[i]} vs ${e[i]}`);
  }
}
