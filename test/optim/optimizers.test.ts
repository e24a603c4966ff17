import { describe, expect, it } from 'vitest';
import { Adam, AdamW } from '../../src/optim/adam.js';
import type { Optimizer, OptimizerStateDict } from '../../src/optim/optimizer.js';
import { RMSprop } from '../../src/optim/rmsprop.js';
import { SGD } from '../../src/optim/sgd.js';
import { StateDictError, ValueError } from '../../src/tensor/errors.js';
import { Tensor, tensor } from '../../src/tensor/tensor.js';
import { describeEachBackend } from '../helpers/backends.js';
import { expectClose, loadFixture } from '../nn/fixture.js';

type Kind = 'sgd' | 'adam' | 'adamw' | 'rmsprop';
interface Step {
  grads: number[][];
  params: number[][];
  state: Array<Record<string, number | number[]>>;
}
interface OptimCase {
  kind: Kind;
  name: string;
  options: Record<string, unknown>;
  start: number[][];
  shapes: number[][];
  steps: Step[];
}

const cases = loadFixture<{ optimizers: OptimCase[] }>('optim.json').optimizers;

function make(kind: Kind, params: Tensor[], options: Record<string, unknown>): Optimizer {
  switch (kind) {
    case 'sgd':
      return new SGD(params, options as { lr: number });
    case 'adam':
      return new Adam(params, options);
    case 'adamw':
      return new AdamW(params, options);
    case 'rmsprop':
      return new RMSprop(params, options);
  }
}

function startParams(c: OptimCase): Tensor[] {
  return c.start.map((d, i) => tensor(Float32Array.from(d), { shape: c.shapes[i]!, requiresGrad: true }));
}

function setGrads(params: Tensor[], grads: number[][]): void {
  params.forEach((p, i) => {
    p.grad = new Tensor(Float32Array.from(grads[i]!), p.shape);
  });
}

function checkStep(c: OptimCase, k: number, params: Tensor[], opt: Optimizer): void {
  const step = c.steps[k]!;
  params.forEach((p, i) => {
    expectClose(p.f32, step.params[i]!, 1e-5, 1e-7, `step ${k + 1} param ${i}`);
  });
  const sd = opt.stateDict();
  step.state.forEach((expected, i) => {
    const got = sd.state[String(i)] ?? {};
    expect(Object.keys(got).sort(), `step ${k + 1} state keys of param ${i}`).toEqual(
      Object.keys(expected).sort(),
    );
    for (const [key, value] of Object.entries(expected)) {
      if (typeof value === 'number') expect(got[key]).toBe(value);
      else expectClose(got[key] as number[], value, 1e-5, 1e-9, `step ${k + 1} ${key} of param ${i}`);
    }
  });
}

describeEachBackend('optimizers match PyTorch over 5 steps', () => {
  for (const c of cases) {
    it(`${c.kind} ${c.name}`, () => {
      const params = startParams(c);
      const opt = make(c.kind, params, c.options);
      c.steps.forEach((step, k) => {
        opt.zeroGrad();
        expect(params[0]!.grad).toBeNull();
        setGrads(params, step.grads);
        opt.step();
        checkStep(c, k, params, opt);
      });
    });
  }
});

describe('optimizer stateDict round-trips', () => {
  for (const c of cases) {
    it(`${c.kind} ${c.name}: save after 2 steps, load into a fresh optimizer, continue`, () => {
      const params = startParams(c);
      const opt = make(c.kind, params, c.options);
      for (let k = 0; k < 2; k++) {
        setGrads(params, c.steps[k]!.grads);
        opt.step();
      }
      const saved = JSON.parse(JSON.stringify(opt.stateDict())) as OptimizerStateDict;
      const fresh = params.map((p) => tensor(p.f32.slice(), { shape: p.shape, requiresGrad: true }));
      // Different hyper-parameters at construction: the loaded ones must win.
      const resumed = make(c.kind, fresh, { ...c.options, lr: 0.5 });
      resumed.loadStateDict(saved);
      expect(resumed.lr).toBe(c.options.lr);
      for (let k = 2; k < 5; k++) {
        setGrads(params, c.steps[k]!.grads);
        opt.step();
        setGrads(fresh, c.steps[k]!.grads);
        resumed.step();
        checkStep(c, k, fresh, resumed);
      }
      fresh.forEach((p, i) => {
        expect(Array.from(p.f32)).toEqual(Array.from(params[i]!.f32));
      });
    });
  }

  it('rejects a state that does not fit', () => {
    const a = tensor([1, 2, 3], { requiresGrad: true });
    const b = tensor([1, 2], { requiresGrad: true });
    const opt = new Adam([a, b]);
    setGrads(
      [a, b],
      [
        [1, 1, 1],
        [1, 1],
      ],
    );
    opt.step();
    const sd = opt.stateDict();
    expect(() => new Adam([a]).loadStateDict(sd)).toThrow(/group 0 has 1 parameters, the saved group 2/);
    expect(() => new Adam([b, a]).loadStateDict(sd)).toThrow(StateDictError);
    expect(() => new Adam([b, a]).loadStateDict(sd)).toThrow(
      /"expAvg" of parameter 0 must have 2 values, got 3/,
    );
    const badLr = { ...sd, paramGroups: [{ ...sd.paramGroups[0]!, lr: -1 }] };
    expect(() => new Adam([a, b]).loadStateDict(badLr)).toThrow(/lr must be a finite number ≥ 0, got -1/);
    expect(() => new Adam([a, b]).loadStateDict({ state: {} } as unknown as OptimizerStateDict)).toThrow(
      StateDictError,
    );
  });
});

describe('optimizer behaviour', () => {
  it('skips parameters without a gradient and supports groups with their own lr', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3], { requiresGrad: true });
    const c = tensor([5], { requiresGrad: true });
    const opt = new SGD([{ params: [a, b] }, { params: [c], lr: 0.5 }], { lr: 0.1 });
    a.grad = tensor([1, -1]);
    c.grad = tensor([2]);
    opt.step();
    expectClose(a.f32, [0.9, 2.1], 1e-7, 0, 'a');
    expect(Array.from(b.f32)).toEqual([3]);
    expect(Array.from(c.f32)).toEqual([4]);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.5]);
    opt.lr = 0.01;
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.01, 0.01]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
  });

  it('Adam with weightDecay differs from AdamW with the same decay (L2 vs decoupled)', () => {
    const run = (ctor: typeof Adam | typeof AdamW): number => {
      const p = tensor([1], { requiresGrad: true });
      const opt = new ctor([p], { lr: 0.1, weightDecay: 0.5 });
      p.grad = tensor([0.1]);
      opt.step();
      return p.f32[0]!;
    };
    // Adam: g = 0.1 + 0.5 = 0.6, first step moves by lr·sign = 0.1. AdamW: 1·(1 − 0.05) − 0.1.
    expect(run(Adam)).toBeCloseTo(0.9, 6);
    expect(run(AdamW)).toBeCloseTo(0.85, 6);
  });
});

describe('optimizer argument errors', () => {
  const p = () => [tensor([1, 2], { requiresGrad: true })];
  it('rejects non-finite or negative learning rates, naming lr', () => {
    for (const lr of [Number.NaN, Infinity, -0.1]) {
      expect(() => new SGD(p(), { lr })).toThrow(ValueError);
      expect(() => new Adam(p(), { lr })).toThrow(/Adam: lr must be a finite number ≥ 0/);
      expect(() => new AdamW(p(), { lr })).toThrow(/AdamW: lr must be/);
      expect(() => new RMSprop(p(), { lr })).toThrow(/RMSprop: lr must be/);
    }
    const opt = new Adam(p());
    expect(() => {
      opt.lr = Number.NaN;
    }).toThrow(/lr must be a finite number ≥ 0, got NaN/);
  });
  it('rejects other bad hyper-parameters', () => {
    expect(() => new SGD(p(), {} as { lr: number })).toThrow(/lr is required/);
    expect(() => new SGD(p(), { lr: 0.1, nesterov: true })).toThrow(
      /nesterov needs momentum > 0 and dampening 0/,
    );
    expect(() => new SGD(p(), { lr: 0.1, momentum: -1 })).toThrow(/momentum must be/);
    expect(() => new Adam(p(), { betas: [0.9, 1] })).toThrow(/betas\[1\] must be in \[0, 1\), got 1/);
    expect(() => new Adam(p(), { eps: -1 })).toThrow(/eps must be/);
    expect(() => new AdamW(p(), { weightDecay: -1 })).toThrow(/weightDecay must be/);
    expect(() => new RMSprop(p(), { alpha: -0.5 })).toThrow(/alpha must be/);
    expect(() => new RMSprop(p(), { centered: 1 as unknown as boolean })).toThrow(
      /centered must be true or false/,
    );
    expect(() => new Adam([])).toThrow(/empty list/);
    const a = tensor([1], { requiresGrad: true });
    expect(() => new Adam([a, a])).toThrow(/appears more than once/);
    expect(() => new Adam([tensor([1], { dtype: 'int32' })])).toThrow(/must be a float32 Tensor/);
  });
});
