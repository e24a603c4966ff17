import { expect } from 'vitest';
import { Generator } from '../../src/tensor/random.js';

/** A Float32Array of n uniform values in [−1, 1) from a seeded generator. */
export function randomArray(gen: Generator, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = gen.uniform(-1, 1);
  return out;
}

export function seeded(seed: number): Generator {
  return new Generator(seed);
}

/** Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise, naming the first mismatch. */
export function expectClose(actual: Float32Array, expected: Float32Array, atol = 1e-5, rtol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e)))
      expect.fail(`element ${i}: got ${a}, expected ${e} (atol ${atol}, rtol ${rtol})`);
  }
}
