import { describe, expect, it } from 'vitest';
import { dropout } from '../../src/ops/dropout.js';
import { ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { full, tensor } from '../../src/tensor/tensor.js';

describe('dropout', () => {
  it('is the identity when not training or p = 0', () => {
    const x = tensor([1, 2, 3]);
    expect(dropout(x, 0.5, false)).toBe(x);
    expect(dropout(x, 0, true)).toBe(x);
  });

  it('zeroes about p of the elements and scales the rest by 1/(1-p)', () => {
    const x = full([10000], 2);
    const y = dropout(x, 0.25, true, new Generator(3));
    let zeros = 0;
    for (const v of y.f32) {
      if (v === 0) zeros++;
      else expect(v).toBeCloseTo(2 / 0.75, 6);
    }
    expect(zeros / 10000).toBeGreaterThan(0.23);
    expect(zeros / 10000).toBeLessThan(0.27);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const x = full([64], 1);
    const a = dropout(x, 0.5, true, new Generator(42)).tolist();
    const b = dropout(x, 0.5, true, new Generator(42)).tolist();
    const c = dropout(x, 0.5, true, new Generator(43)).tolist();
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('keeps element i exactly when the generator draws u ≥ p', () => {
    const ref = new Generator(9);
    const expected = Array.from({ length: 16 }, () => (ref.random() < 0.3 ? 0 : 1 / 0.7));
    const y = dropout(full([16], 1), 0.3, true, new Generator(9));
    expect(Array.from(y.f32)).toEqual(Array.from(Float32Array.from(expected)));
  });

  it('passes the gradient through the same mask', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8], { requiresGrad: true });
    const y = dropout(x, 0.5, true, new Generator(5));
    y.backward(full([8], 1));
    const g = x.grad!.f32;
    y.f32.forEach((v, i) => {
      expect(g[i]).toBeCloseTo(v === 0 ? 0 : 2, 6);
      expect(v).toBeCloseTo(v === 0 ? 0 : 2 * (i + 1), 5);
    });
  });

  it('gives zeros (and zero gradient) for p = 1', () => {
    const x = tensor([1, -2, 3], { requiresGrad: true });
    const y = dropout(x, 1, true, new Generator(1));
    expect(Array.from(y.f32, (v) => v + 0)).toEqual([0, 0, 0]);
    y.backward(tensor([1, 1, 1]));
    expect(x.grad!.tolist()).toEqual([0, 0, 0]);
  });

  it('rejects p outside [0, 1]', () => {
    expect(() => dropout(tensor([1]), 1.5, true)).toThrow(ValueError);
    expect(() => dropout(tensor([1]), -0.1, true)).toThrow(/p must be a probability in \[0, 1\], got -0.1/);
    expect(() => dropout(tensor([1]), Number.NaN, true)).toThrow(ValueError);
  });
});
