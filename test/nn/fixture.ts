import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

/** Reads fixtures/foundation/<name> (written by scripts/fixtures_foundation.py). */
export function loadFixture<T>(name: string): T {
  const url = new URL(`../../fixtures/foundation/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8'), (_k, v) =>
    v === 'nan' ? Number.NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v,
  ) as T;
}

/** Element-wise |a − e| ≤ atol + rtol·|e| (NaN matches NaN), failing with the first bad index. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: readonly number[],
  rtol: number,
  atol: number,
  what = '',
): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      expect.fail(`${what}[${i}]: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
    }
  }
}
