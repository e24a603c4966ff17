import { describe, expect, it } from 'vitest';
import {
  BCEWithLogitsLoss,
  bceWithLogitsLoss,
  CrossEntropyLoss,
  crossEntropy,
  HuberLoss,
  huberLoss,
  L1Loss,
  l1Loss,
  MSELoss,
  mseLoss,
  type Reduction,
} from '../../src/nn/losses.js';
import { DTypeError, IndexError, ShapeError, ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { rand, randn } from '../../src/tensor/random-tensors.js';
import { type Tensor, tensor } from '../../src/tensor/tensor.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { expectClose, loadFixture } from './fixture.js';

interface LossCase {
  kind: 'crossEntropy' | 'mse' | 'l1' | 'huber' | 'bceWithLogits';
  name: string;
  options: { reduction?: Reduction; labelSmoothing?: number; ignoreIndex?: number; delta?: number };
  xShape: number[];
  x: number[];
  targetShape: number[];
  target: number[];
  y: number[];
  yShape: number[];
  gOut: number[];
  gx: number[];
  gTarget?: number[];
  weight?: number[];
  posWeight?: number[];
}

function run(c: LossCase, x: Tensor, t: Tensor): Tensor {
  const weight = c.weight ? tensor(Float32Array.from(c.weight)) : null;
  switch (c.kind) {
    case 'crossEntropy':
      return crossEntropy(x, t, { ...c.options, weight });
    case 'mse':
      return mseLoss(x, t, c.options);
    case 'l1':
      return l1Loss(x, t, c.options);
    case 'huber':
      return huberLoss(x, t, c.options);
    case 'bceWithLogits':
      return bceWithLogitsLoss(x, t, {
        ...c.options,
        weight,
        posWeight: c.posWeight ? tensor(Float32Array.from(c.posWeight)) : null,
      });
  }
}

describe('losses match PyTorch', () => {
  for (const c of loadFixture<LossCase[]>('losses.json')) {
    it(`${c.kind} ${c.name}`, () => {
      const x = tensor(Float32Array.from(c.x), { shape: c.xShape, requiresGrad: true });
      const t =
        c.kind === 'crossEntropy'
          ? tensor(Int32Array.from(c.target), { shape: c.targetShape })
          : tensor(Float32Array.from(c.target), { shape: c.targetShape, requiresGrad: true });
      const y = run(c, x, t);
      expect(y.shape).toEqual(c.yShape);
      expectClose(y.f32, c.y, 1e-6, 1e-7, 'loss');
      y.backward(tensor(Float32Array.from(c.gOut), { shape: y.shape }));
      expectClose(x.grad!.f32, c.gx, 1e-5, 1e-7, 'input grad');
      if (c.gTarget) expectClose(t.grad!.f32, c.gTarget, 1e-5, 1e-7, 'target grad');
    });
  }
});

describe('loss gradients match finite differences', () => {
  const gen = new Generator(21);
  const x = () => randn([4, 3], { generator: gen });
  const reductions: Reduction[] = ['mean', 'sum', 'none'];
  for (const reduction of reductions) {
    it(`crossEntropy (${reduction}, weights, smoothing, ignored row, spatial)`, () => {
      const t = tensor([2, 0, -1, 1], { dtype: 'int32' });
      const weight = tensor([0.3, 1.5, 0.8]);
      gradcheck(
        (a) => crossEntropy(a, t, { reduction, weight, labelSmoothing: 0.15, ignoreIndex: -1 }),
        [x()],
      );
      const t3 = tensor(
        [
          [1, 0],
          [2, 2],
        ],
        { dtype: 'int32' },
      );
      gradcheck((a) => crossEntropy(a, t3, { reduction }), [randn([2, 3, 2], { generator: gen })]);
    });
    it(`mse, l1, huber (${reduction}) for input and target`, () => {
      gradcheck((a, b) => mseLoss(a, b, { reduction }), [x(), x()]);
      gradcheck((a, b) => l1Loss(a, b, { reduction }), [x(), x()]);
      gradcheck((a, b) => huberLoss(a, b, { reduction, delta: 0.7 }), [x(), x()]);
    });
    it(`bceWithLogitsLoss (${reduction}, weight, posWeight) for input and target`, () => {
      const opts = { reduction, weight: tensor([[1], [0.5], [2], [1]]), posWeight: [3, 0.5, 1] };
      gradcheck((a, b) => bceWithLogitsLoss(a, b, opts), [x(), rand([4, 3], { generator: gen })]);
    });
  }
});

describe('loss edge cases', () => {
  it('crossEntropy stays finite for huge logits and is 0-d by default', () => {
    const y = crossEntropy(tensor([[1e4, -1e4, 0]]), tensor([0], { dtype: 'int32' }));
    expect(y.shape).toEqual([]);
    expect(y.item()).toBe(0);
    expect(crossEntropy(tensor([[1e4, -1e4, 0]]), tensor([1], { dtype: 'int32' })).item()).toBeCloseTo(
      2e4,
      0,
    );
  });

  it('bceWithLogitsLoss stays finite at ±100', () => {
    const l = bceWithLogitsLoss(tensor([100, -100]), tensor([0, 1]), { reduction: 'none' });
    expectClose(l.f32, [100, 100], 1e-6, 0, 'bce');
  });

  it('mean over an empty batch is NaN, sum is 0 (as PyTorch)', () => {
    const x = tensor(new Float32Array(0), { shape: [0, 3] });
    const t = tensor(new Int32Array(0), { shape: [0] });
    expect(crossEntropy(x, t).item()).toBeNaN();
    expect(crossEntropy(x, t, { reduction: 'sum' }).item()).toBe(0);
    expect(mseLoss(x, x).item()).toBeNaN();
  });

  it('module forms use the options they were built with', () => {
    const x = tensor([
      [1, 2, 3],
      [0, 0, 4],
    ]);
    const t = tensor([2, 0], { dtype: 'int32' });
    const opts = { weight: [1, 2, 3], labelSmoothing: 0.1, reduction: 'sum' as const };
    expect(new CrossEntropyLoss(opts).forward(x, t).item()).toBe(crossEntropy(x, t, opts).item());
    const y = tensor([
      [0, 1, 1],
      [1, 0, 2],
    ]);
    expect(new MSELoss().forward(x, y).item()).toBeCloseTo((1 + 1 + 4 + 1 + 0 + 4) / 6, 6);
    expect(new L1Loss({ reduction: 'sum' }).forward(x, y).item()).toBeCloseTo(7, 6);
    expect(new HuberLoss({ delta: 1.5 }).forward(x, y).item()).toBeCloseTo(
      (0.5 + 0.5 + 1.5 * (2 - 0.75) + 0.5 + 0 + 1.5 * (2 - 0.75)) / 6,
      6,
    );
    expect(new BCEWithLogitsLoss({ reduction: 'none' }).forward(tensor([0]), tensor([1])).item()).toBeCloseTo(
      Math.log(2),
      6,
    );
  });
});

describe('loss argument errors', () => {
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  it('out-of-range targets name the position', () => {
    expect(() => crossEntropy(x, tensor([0, 3], { dtype: 'int32' }))).toThrow(IndexError);
    expect(() => crossEntropy(x, tensor([0, 3], { dtype: 'int32' }))).toThrow(
      /target 3 at position \(1,\) is out of range for 3 classes/,
    );
    expect(() =>
      crossEntropy(
        randn([2, 3, 2]),
        tensor(
          [
            [0, 1],
            [-2, 0],
          ],
          { dtype: 'int32' },
        ),
      ),
    ).toThrow(/target -2 at position \(1, 0\)/);
  });
  it('unknown reductions are ValueErrors', () => {
    const bad = { reduction: 'avg' as Reduction };
    expect(() => crossEntropy(x, tensor([0, 1], { dtype: 'int32' }), bad)).toThrow(ValueError);
    expect(() => mseLoss(x, x, bad)).toThrow(/reduction must be 'mean', 'sum' or 'none', got "avg"/);
    expect(() => new MSELoss(bad)).toThrow(ValueError);
    expect(() => new L1Loss(bad)).toThrow(ValueError);
    expect(() => new HuberLoss(bad)).toThrow(ValueError);
    expect(() => new BCEWithLogitsLoss(bad)).toThrow(ValueError);
    expect(() => new CrossEntropyLoss(bad)).toThrow(ValueError);
  });
  it('shapes, dtypes and options are checked', () => {
    expect(() => crossEntropy(x, tensor([0, 1]))).toThrow(DTypeError);
    expect(() => crossEntropy(x, tensor([0, 1, 2], { dtype: 'int32' }))).toThrow(ShapeError);
    expect(() => crossEntropy(x, tensor([0, 1], { dtype: 'int32' }), { weight: [1, 2] })).toThrow(
      /weight must have shape \(3,\)/,
    );
    expect(() => crossEntropy(x, tensor([0, 1], { dtype: 'int32' }), { labelSmoothing: 1.5 })).toThrow(
      ValueError,
    );
    expect(() => mseLoss(x, tensor([1, 2, 3]))).toThrow(
      /target shape \(3,\) must equal input shape \(2, 3\)/,
    );
    expect(() => huberLoss(x, x, { delta: 0 })).toThrow(/delta must be a finite number > 0, got 0/);
    expect(() => bceWithLogitsLoss(x, x, { posWeight: [1, 2] })).toThrow(ShapeError);
    expect(() => l1Loss(x, tensor([[1, 2, 3]], { dtype: 'int32' }))).toThrow(DTypeError);
  });
});
