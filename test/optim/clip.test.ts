import { describe, expect, it } from 'vitest';
import { clipGradNorm, clipGradValue } from '../../src/optim/clip.js';
import { ValueError } from '../../src/tensor/errors.js';
import { Tensor, tensor } from '../../src/tensor/tensor.js';
import { expectClose, loadFixture } from '../nn/fixture.js';

interface ClipCase {
  maxNorm?: number;
  normType?: number | 'inf';
  clipValue?: number;
  grads: number[][];
  shapes: number[][];
  total?: number;
  clipped: number[][];
}
const fx = loadFixture<{ clipGradNorm: ClipCase[]; clipGradValue: ClipCase }>('optim.json');

function paramsWithGrads(c: ClipCase): Tensor[] {
  return c.grads.map((g, i) => {
    const p = tensor(new Float32Array(g.length), { shape: c.shapes[i]!, requiresGrad: true });
    p.grad = new Tensor(Float32Array.from(g), p.shape);
    return p;
  });
}

describe('gradient clipping matches PyTorch', () => {
  for (const c of fx.clipGradNorm) {
    it(`clipGradNorm maxNorm ${c.maxNorm} normType ${c.normType}`, () => {
      const ps = paramsWithGrads(c);
      const total = clipGradNorm(ps, c.maxNorm!, { normType: c.normType! });
      expectClose([total], [c.total!], 1e-6, 0, 'total');
      ps.forEach((p, i) => {
        expectClose(p.grad!.f32, c.clipped[i]!, 1e-6, 1e-7, `grad ${i}`);
      });
    });
  }

  it('clipGradValue', () => {
    const c = fx.clipGradValue;
    const ps = paramsWithGrads(c);
    clipGradValue(ps, c.clipValue!);
    ps.forEach((p, i) => {
      expect(Array.from(p.grad!.f32)).toEqual(c.clipped[i]!.map(Math.fround));
    });
  });
});

describe('gradient clipping details', () => {
  it('skips parameters without gradients and returns 0 when none has one', () => {
    const a = tensor([0, 0], { requiresGrad: true });
    const b = tensor([0], { requiresGrad: true });
    b.grad = tensor([4]);
    expect(clipGradNorm([a, b], 2)).toBe(4);
    expect(b.grad.f32[0]).toBeCloseTo(2, 5);
    expect(clipGradNorm([a], 1)).toBe(0);
  });

  it('reports a non-finite norm when asked, and otherwise scales by it as PyTorch', () => {
    const p = tensor([0, 0], { requiresGrad: true });
    p.grad = tensor([Infinity, 1]);
    expect(() => clipGradNorm([p], 1, { errorIfNonfinite: true })).toThrow(
      /total norm of order 2.*is Infinity/,
    );
    expect(clipGradNorm([p], 1)).toBe(Infinity);
    expect(Number.isNaN(p.grad.f32[0])).toBe(true); // ∞·0
    expect(p.grad.f32[1]).toBe(0);
  });

  it('rejects bad arguments', () => {
    const p = tensor([1], { requiresGrad: true });
    expect(() => clipGradNorm([p], -1)).toThrow(/maxNorm must be a number ≥ 0, got -1/);
    expect(() => clipGradNorm([p], Number.NaN)).toThrow(ValueError);
    expect(() => clipGradNorm([p], 1, { normType: 0 })).toThrow(
      /normType must be a number > 0 or 'inf', got 0/,
    );
    expect(() => clipGradValue([p], -0.5)).toThrow(/clipValue must be a number ≥ 0/);
    expect(() => clipGradValue([{} as Tensor], 1)).toThrow(/parameter 0 must be a Tensor/);
  });
});
