import { describe, expect, it } from 'vitest';
import { add, div, mul, sub } from '../src/ops/binary.js';
import { linear, matmul } from '../src/ops/matmul.js';
import { exp, log, relu, sigmoid, tanh } from '../src/ops/unary.js';
import { noGrad } from '../src/tensor/autograd.js';
import { ShapeError } from '../src/tensor/errors.js';
import { Generator } from '../src/tensor/random.js';
import { randn, uniform } from '../src/tensor/random-tensors.js';
import { tensor } from '../src/tensor/tensor.js';
import { gradcheck } from './helpers/gradcheck.js';

const gen = new Generator(7);
const r = (...shape: number[]) => randn(shape, { generator: gen });

describe('autograd engine', () => {
  it('accumulates gradients across backward calls and through shared inputs', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = mul(x, x); // dy/dx = 2x
    y.backward(tensor([1, 1, 1]));
    expect(Array.from(x.grad!.f32)).toEqual([2, 4, 6]);
    mul(x, 3).backward(tensor([1, 1, 1]));
    expect(Array.from(x.grad!.f32)).toEqual([5, 7, 9]);
  });

  it('handles a graph 50,000 nodes deep without recursion', () => {
    const x = tensor([1], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 50_000; i++) y = add(y, 1);
    y.backward();
    expect(x.grad!.item()).toBe(1);
    expect(y.item()).toBe(50_001);
  });

  it('records nothing under noGrad and detach cuts the graph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = noGrad(() => mul(x, 2));
    expect(y.requiresGrad).toBe(false);
    const z = mul(x.detach(), 2);
    expect(z.requiresGrad).toBe(false);
    expect(() => z.backward(tensor([1, 1]))).toThrow(/does not require a gradient/);
  });

  it('asks for a gradient argument on non-scalar outputs', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => mul(x, 2).backward()).toThrow(/non-scalar/);
  });
});

describe('elementwise ops', () => {
  it('broadcast as NumPy does', () => {
    const a = tensor([[1], [2]]);
    const b = tensor([10, 20, 30]);
    expect(add(a, b).tolist()).toEqual([
      [11, 21, 31],
      [12, 22, 32],
    ]);
    expect(() => add(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(ShapeError);
    expect(() => add(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(/\(2,\) and \(3,\)/);
  });

  it.each([
    ['add', add],
    ['sub', sub],
    ['mul', mul],
  ] as const)('%s has correct gradients with broadcasting', (_n, op) => {
    gradcheck(op, [r(3, 1, 4), r(2, 4)]);
    gradcheck(op, [r(5), r()]);
    gradcheck(op, [r(2, 3), r(2, 3)]);
  });

  it('div has correct gradients', () => {
    gradcheck(div, [r(3, 4), uniform([4], 0.5, 2, { generator: gen })]);
  });

  it.each([
    ['exp', exp],
    ['tanh', tanh],
    ['sigmoid', sigmoid],
    ['relu', relu],
  ] as const)('%s has correct gradients', (_n, op) => {
    gradcheck(op, [r(4, 5)]);
  });

  it('log has correct gradients', () => {
    gradcheck(log, [uniform([6], 0.5, 3, { generator: gen })]);
  });
});

describe('matmul and linear', () => {
  it('computes products and gradients (2-D, batched, shared)', () => {
    expect(matmul(tensor([[1, 2]]), tensor([[3], [4]])).tolist()).toEqual([[11]]);
    gradcheck(matmul, [r(3, 4), r(4, 5)]);
    gradcheck(matmul, [r(2, 3, 4), r(2, 4, 2)]);
    gradcheck(matmul, [r(2, 3, 4), r(4, 2)]);
  });

  it('linear equals x·Wᵀ + b and has correct gradients', () => {
    const x = tensor([[1, 2, 3]]);
    const w = tensor([
      [1, 0, 0],
      [0, 1, 1],
    ]);
    expect(linear(x, w, tensor([0.5, -1])).tolist()).toEqual([[1.5, 4]]);
    gradcheck(linear, [r(2, 3, 4), r(5, 4), r(5)]);
    gradcheck((x, w) => linear(x, w), [r(6, 4), r(3, 4)]);
  });

  it('rejects mismatched shapes with both shapes in the message', () => {
    expect(() => matmul(r(2, 3), r(4, 5))).toThrow(/a \(2, 3\) has 3 columns, b \(4, 5\) has 4 rows/);
    expect(() => linear(r(2, 3), r(5, 4))).toThrow(/must end in 4 features/);
    expect(() => matmul(r(3), r(3, 2))).toThrow(ShapeError);
  });

  it('gemm is exact on a large blocked product (all transpose cases)', async () => {
    const { kernels } = await import('../src/backend/registry.js');
    const m = 70;
    const n = 530;
    const k = 300;
    const a = r(m, k).f32;
    const b = r(k, n).f32;
    const ref = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let p = 0; p < k; p++)
        for (let j = 0; j < n; j++) ref[i * n + j]! += a[i * k + p]! * b[p * n + j]!;
    const at = new Float32Array(k * m);
    for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) at[p * m + i] = a[i * k + p]!;
    const bt = new Float32Array(n * k);
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bt[j * k + p] = b[p * n + j]!;
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const c = new Float32Array(m * n);
      kernels.gemm(ta, tb, m, n, k, ta ? at : a, 0, ta ? m : k, tb ? bt : b, 0, tb ? k : n, c, 0, n, false);
      let maxErr = 0;
      for (let i = 0; i < c.length; i++) maxErr = Math.max(maxErr, Math.abs(c[i]! - ref[i]!));
      expect(maxErr).toBeLessThan(1e-3);
    }
  });
});
