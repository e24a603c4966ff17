import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kernels } from '../../src/backend/registry.js';
import { div, mul } from '../../src/ops/binary.js';
import { maskedFill, sequenceMask } from '../../src/ops/mask.js';
import { maskedPool } from '../../src/ops/masked-pool.js';
import { max, sum } from '../../src/ops/reduce.js';
import { unsqueeze } from '../../src/ops/shape.js';
import { ShapeError, ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import { Tensor, tensor } from '../../src/tensor/tensor.js';
import { describeEachBackend } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';

interface Encoded {
  shape: number[];
  data: number[];
}
interface Case {
  mode: 'max' | 'mean';
  lengths: number[] | null;
  x: Encoded;
  out: Encoded;
  gOut: Encoded;
  gx: Encoded;
}

/** Written by scripts/fixtures_masked_pool.py (PyTorch). */
const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/ops/masked-pool.json', import.meta.url), 'utf8'),
) as { cases: Record<string, Case> };

const decode = (e: Encoded): Tensor => new Tensor(Float32Array.from(e.data), e.shape);

function expectClose(actual: Tensor, expected: Encoded, rtol: number, atol: number): void {
  expect(actual.shape).toEqual(expected.shape);
  const a = actual.f32;
  expected.data.forEach((v, i) => {
    if (Math.abs(a[i]! - v) > atol + rtol * Math.abs(v)) expect.fail(`element ${i}: ${a[i]} vs PyTorch ${v}`);
  });
}

/** The composite ops the fused pooling replaces (what the text head computed before). */
function composite(x: Tensor, lengths: Int32Array, mode: 'max' | 'mean'): Tensor {
  const [b, t] = x.shape as [number, number, number];
  const mask = sequenceMask(lengths, t);
  if (mode === 'mean')
    return div(sum(mul(x, unsqueeze(mask, 2)), 1), new Tensor(Float32Array.from(lengths), [b, 1]));
  const invalid = new Tensor(
    mask.f32.map((v) => 1 - v),
    [b, t, 1],
  );
  return max(maskedFill(x, invalid, Number.NEGATIVE_INFINITY), 1);
}

const gen = new Generator(21);

describeEachBackend('maskedPool', () => {
  it.each(Object.keys(fixture.cases))('%s matches PyTorch, forward and gradient', (name) => {
    const c = fixture.cases[name]!;
    const x = decode(c.x);
    x.requiresGrad = true;
    const y = maskedPool(x, c.lengths ? Int32Array.from(c.lengths) : null, c.mode);
    expectClose(y, c.out, 1e-6, 1e-7);
    y.backward(decode(c.gOut));
    expectClose(x.grad!, c.gx, 1e-6, 1e-7);
  });

  it.each(['max', 'mean'] as const)('%s passes a gradient check', (mode) => {
    const lengths = Int32Array.from([2, 4, 1]);
    gradcheck((x) => maskedPool(x, lengths, mode), [randn([3, 4, 5], { generator: gen })]);
  });

  it.each(['max', 'mean'] as const)(
    '%s equals the masked composite bit for bit, ties and padding included',
    (mode) => {
      // Values on a coarse grid, so many steps tie for the maximum; padding holds large values
      // that must never win.
      const x = randn([5, 6, 7], { generator: gen });
      const d = x.f32;
      for (let i = 0; i < d.length; i++) d[i] = Math.round(d[i]! * 2) / 2;
      const lengths = Int32Array.from([6, 3, 1, 5, 2]);
      for (let b = 0; b < 5; b++) d.fill(100, (b * 6 + lengths[b]!) * 7, (b + 1) * 6 * 7);
      const g = randn([5, 7], { generator: gen });
      const x1 = new Tensor(d.slice(), x.shape, { requiresGrad: true });
      const x2 = new Tensor(d.slice(), x.shape, { requiresGrad: true });
      const fused = maskedPool(x1, lengths, mode);
      const reference = composite(x2, lengths, mode);
      expect(Array.from(fused.f32)).toEqual(Array.from(reference.f32));
      fused.backward(g);
      reference.backward(g);
      expect(Array.from(x1.grad!.f32)).toEqual(Array.from(x2.grad!.f32));
    },
  );

  it('propagates a NaN from its first step and pools an empty sample to −∞ or NaN', () => {
    const x = tensor(
      [
        [
          [1, 2],
          [Number.NaN, 5],
          [Number.NaN, 9],
        ],
        [
          [3, 4],
          [0, 0],
          [0, 0],
        ],
      ],
      { requiresGrad: true },
    );
    const lengths = Int32Array.from([3, 0]);
    const y = maskedPool(x, lengths, 'max');
    expect(y.tolist()).toEqual([
      [Number.NaN, 9],
      [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY],
    ]);
    y.backward(
      tensor([
        [1, 1],
        [1, 1],
      ]),
    );
    expect(x.grad!.tolist()).toEqual([
      [
        [0, 0],
        [1, 0],
        [0, 1],
      ],
      [
        [0, 0],
        [0, 0],
        [0, 0],
      ],
    ]);
    expect(Array.from(maskedPool(x, lengths, 'mean').f32.subarray(2))).toEqual([Number.NaN, Number.NaN]);
  });

  it('pools every step when lengths is null', () => {
    const x = randn([2, 3, 4], { generator: gen });
    const all = Int32Array.from([3, 3]);
    for (const mode of ['max', 'mean'] as const) {
      expect(Array.from(maskedPool(x, null, mode).f32)).toEqual(Array.from(maskedPool(x, all, mode).f32));
    }
  });

  it('refuses a max backward without argIndex, naming it', () => {
    const gx = new Float32Array(6);
    expect(() => kernels.maskedPoolBackward(new Float32Array(2), 1, 3, 2, null, 'max', null, gx)).toThrow(
      /argIndex must be given for mode max/,
    );
  });
});

describe('maskedPool arguments', () => {
  const x = randn([2, 3, 4], { generator: gen });
  it('names the bad argument', () => {
    expect(() => maskedPool(randn([2, 3]), null, 'max')).toThrow(ShapeError);
    expect(() => maskedPool(randn([2, 3]), null, 'max')).toThrow(
      /x must be a float32 \(B, T, F\) tensor, got float32 \(2, 3\)/,
    );
    expect(() => maskedPool(x, null, 'sum' as 'max')).toThrow(/mode must be 'max' or 'mean', got sum/);
    expect(() => maskedPool(x, Int32Array.from([1]), 'max')).toThrow(
      /lengths must be null or an Int32Array of 2 values.*got 1 values/,
    );
    expect(() => maskedPool(x, Int32Array.from([1, 4]), 'mean')).toThrow(ValueError);
    expect(() => maskedPool(x, Int32Array.from([1, 4]), 'mean')).toThrow(
      /lengths\[1\] must be in \[0, 3\], got 4/,
    );
  });
});
