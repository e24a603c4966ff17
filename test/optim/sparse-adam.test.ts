import { describe, expect, it } from 'vitest';
import { Adam } from '../../src/optim/adam.js';
import { SparseAdam } from '../../src/optim/sparse-adam.js';
import { ValueError } from '../../src/tensor/errors.js';
import { Tensor, tensor } from '../../src/tensor/tensor.js';
import { describeEachBackend } from '../helpers/backends.js';
import { expectClose, loadFixture } from '../nn/fixture.js';

interface SparseStep {
  rows: number[];
  grad: number[];
  param: number[];
  expAvg: number[];
  expAvgSq: number[];
  step: number;
}
interface SparseCase {
  name: string;
  options: Record<string, unknown>;
  shape: number[];
  start: number[];
  steps: SparseStep[];
}

const { cases } = loadFixture<{ cases: SparseCase[] }>('sparse-adam.json');

/** Rows of a flat (rows × width) array, for "absent rows stay as they were". */
const rowOf = (xs: ArrayLike<number>, r: number, width: number) =>
  Array.from(xs).slice(r * width, (r + 1) * width);

describeEachBackend('SparseAdam matches torch.optim.SparseAdam over nn.Embedding(sparse=True)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const p = tensor(Float32Array.from(c.start), { shape: c.shape, requiresGrad: true });
      const opt = new SparseAdam([p], c.options);
      const width = c.shape[1]!;
      c.steps.forEach((s, k) => {
        const before = Float32Array.from(p.f32);
        opt.zeroGrad();
        p.grad = new Tensor(Float32Array.from(s.grad), p.shape);
        opt.step();
        expectClose(p.f32, s.param, 1e-6, 1e-7, `step ${k + 1} param`);
        const st = opt.stateDict().state['0']!;
        expect(st.step).toBe(s.step);
        expectClose(st.expAvg as number[], s.expAvg, 1e-6, 1e-9, `step ${k + 1} expAvg`);
        expectClose(st.expAvgSq as number[], s.expAvgSq, 1e-6, 1e-12, `step ${k + 1} expAvgSq`);
        for (let r = 0; r < c.shape[0]!; r++) {
          if (s.rows.includes(r)) continue;
          expect(rowOf(p.f32, r, width), `step ${k + 1}: absent row ${r} unchanged`).toEqual(
            rowOf(before, r, width),
          );
        }
      });
    });
  }

  it('updates a sparse: false group as Adam does', () => {
    const start = Float32Array.from([0.5, -1, 2, 0.25]);
    const grads = [Float32Array.from([0.1, 0, -0.3, 0]), Float32Array.from([0, 0.2, 0.4, -0.1])];
    const a = tensor(Float32Array.from(start), { shape: [2, 2], requiresGrad: true });
    const b = tensor(Float32Array.from(start), { shape: [2, 2], requiresGrad: true });
    const sparse = new SparseAdam([{ params: [a], sparse: false }], { lr: 0.01 });
    const dense = new Adam([b], { lr: 0.01 });
    for (const g of grads) {
      a.grad = new Tensor(Float32Array.from(g), [2, 2]);
      b.grad = new Tensor(Float32Array.from(g), [2, 2]);
      sparse.step();
      dense.step();
    }
    expect(Array.from(a.f32)).toEqual(Array.from(b.f32));
  });
});

describe('SparseAdam validation', () => {
  const p = () => tensor(new Float32Array(4), { shape: [2, 2], requiresGrad: true });
  it('names the hyper-parameter that is wrong', () => {
    expect(() => new SparseAdam([p()], { lr: -1 })).toThrow(ValueError);
    expect(() => new SparseAdam([p()], { betas: [1, 0.9] })).toThrow(/betas\[0\] must be in \[0, 1\)/);
    expect(() => new SparseAdam([{ params: [p()], sparse: 1 as never }])).toThrow(
      /sparse must be true or false/,
    );
  });

  it('saves and restores its state', () => {
    const a = p();
    const opt = new SparseAdam([a], { lr: 0.1 });
    a.grad = new Tensor(Float32Array.from([1, 2, 0, 0]), [2, 2]);
    opt.step();
    const b = tensor(Float32Array.from(a.f32), { shape: [2, 2], requiresGrad: true });
    const copy = new SparseAdam([b], { lr: 0.1 });
    copy.loadStateDict(opt.stateDict());
    for (const [x, o] of [
      [a, opt],
      [b, copy],
    ] as const) {
      x.grad = new Tensor(Float32Array.from([0.5, 0.5, 0, 0]), [2, 2]);
      o.step();
    }
    expect(Array.from(b.f32)).toEqual(Array.from(a.f32));
    expect(a.f32[2]).toBe(0);
  });
});
