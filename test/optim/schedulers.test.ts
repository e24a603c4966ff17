import { describe, expect, it } from 'vitest';
import {
  CosineAnnealingLR,
  ExponentialLR,
  LinearLR,
  LinearWarmup,
  type LRScheduler,
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
  type SchedulerStateDict,
  StepLR,
} from '../../src/optim/schedulers.js';
import { SGD } from '../../src/optim/sgd.js';
import { StateDictError, ValueError } from '../../src/tensor/errors.js';
import { tensor } from '../../src/tensor/tensor.js';
import { expectClose, loadFixture } from '../nn/fixture.js';

interface SchedCase {
  kind: 'stepLR' | 'exponentialLR' | 'cosineAnnealingLR' | 'linearWarmup' | 'reduceLROnPlateau';
  options: Record<string, number | string>;
  lr: number;
  lrs: number[];
  metrics?: number[];
}

const cases = loadFixture<SchedCase[]>('schedulers.json');
const optimizer = (lr = 0.1) => new SGD([tensor([0], { requiresGrad: true })], { lr });

function make(c: SchedCase, opt: SGD): LRScheduler {
  const o = c.options as never;
  switch (c.kind) {
    case 'stepLR':
      return new StepLR(opt, o);
    case 'exponentialLR':
      return new ExponentialLR(opt, o);
    case 'cosineAnnealingLR':
      return new CosineAnnealingLR(opt, o);
    case 'linearWarmup':
      return new LinearWarmup(opt, o);
    default:
      throw new Error(c.kind);
  }
}

describe('schedulers match PyTorch lr sequences', () => {
  for (const [n, c] of cases.entries()) {
    it(`${c.kind} #${n} ${JSON.stringify(c.options)}`, () => {
      const opt = optimizer(c.lr);
      if (c.kind === 'reduceLROnPlateau') {
        const s = new ReduceLROnPlateau(opt, c.options as ReduceLROnPlateauOptions);
        const lrs = c.metrics!.map((m) => {
          s.step(m);
          return opt.lr;
        });
        expectClose(lrs, c.lrs, 1e-9, 1e-15, 'lr');
        expect(s.getLastLr()).toEqual([opt.lr]);
        return;
      }
      const s = make(c, opt);
      const lrs = [opt.lr];
      for (let k = 0; k < 12; k++) {
        s.step();
        lrs.push(opt.lr);
      }
      expectClose(lrs, c.lrs, 1e-8, 1e-15, 'lr');
      expect(s.getLastLr()).toEqual([opt.lr]);
    });
  }
});

describe('scheduler stateDict round-trips', () => {
  for (const [n, c] of cases.entries()) {
    it(`${c.kind} #${n}: save mid-run, load into a fresh optimizer and scheduler, continue identically`, () => {
      const total = c.metrics?.length ?? 12;
      const mid = 5;
      const run = (resumeAt: number | null): number[] => {
        let opt = optimizer(c.lr);
        const plateau = c.kind === 'reduceLROnPlateau';
        let s: LRScheduler | ReduceLROnPlateau = plateau
          ? new ReduceLROnPlateau(opt, c.options as ReduceLROnPlateauOptions)
          : make(c, opt);
        const lrs: number[] = [];
        for (let k = 0; k < total; k++) {
          if (k === resumeAt) {
            const sd = JSON.parse(JSON.stringify(s.stateDict())) as SchedulerStateDict;
            opt = optimizer(c.lr);
            s = plateau ? new ReduceLROnPlateau(opt, c.options as ReduceLROnPlateauOptions) : make(c, opt);
            s.loadStateDict(sd);
          }
          if (s instanceof ReduceLROnPlateau) s.step(c.metrics![k]!);
          else s.step();
          lrs.push(opt.lr);
        }
        return lrs;
      };
      expect(run(mid)).toEqual(run(null));
    });
  }

  it('rejects malformed state', () => {
    const s = new StepLR(optimizer(), { stepSize: 2 });
    const sd = s.stateDict();
    expect(() => s.loadStateDict({ ...sd, lastEpoch: -3 })).toThrow(StateDictError);
    expect(() => s.loadStateDict({ ...sd, baseLrs: [0.1, 0.2] })).toThrow(/baseLrs must be a list of 1/);
    expect(() => s.loadStateDict({ ...sd, stepSize: 0 })).toThrow(
      /stepSize must be a positive integer, got 0/,
    );
    const p = new ReduceLROnPlateau(optimizer());
    expect(p.stateDict().best).toBeNull(); // ±Infinity is not JSON
    expect(() => p.loadStateDict({ ...p.stateDict(), mode: 'up' })).toThrow(StateDictError);
  });
});

describe('scheduler details', () => {
  it('LinearLR is the same class as LinearWarmup and the first scheduler sets initialLr', () => {
    expect(LinearLR).toBe(LinearWarmup);
    const opt = optimizer(0.2);
    new LinearWarmup(opt, { startFactor: 0.5, totalIters: 2 });
    expect(opt.lr).toBeCloseTo(0.1, 12);
    expect(opt.paramGroups[0]!.initialLr).toBe(0.2);
    const s = new StepLR(opt, { stepSize: 1, gamma: 0.5 });
    expect(s.baseLrs).toEqual([0.2]);
  });

  it('ReduceLROnPlateau honours per-group minLr', () => {
    const a = tensor([0], { requiresGrad: true });
    const b = tensor([0], { requiresGrad: true });
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 1 }], { lr: 0.1 });
    const s = new ReduceLROnPlateau(opt, { patience: 0, factor: 0.5, minLr: [0.08, 0.1] });
    for (const m of [1, 1, 1, 1]) s.step(m);
    expect(s.getLastLr()).toEqual([0.08, 0.125]);
    for (const m of [1, 1]) s.step(m);
    expect(s.getLastLr()).toEqual([0.08, 0.1]);
  });

  it('rejects bad options', () => {
    const opt = optimizer();
    expect(() => new StepLR(opt, { stepSize: 0 })).toThrow(/stepSize must be a positive integer, got 0/);
    expect(() => new StepLR(opt, { stepSize: 2, gamma: Number.NaN })).toThrow(ValueError);
    expect(() => new ExponentialLR(opt, { gamma: -1 })).toThrow(/gamma must be a finite number ≥ 0, got -1/);
    expect(() => new CosineAnnealingLR(opt, { tMax: 2.5 })).toThrow(/tMax must be a positive integer/);
    expect(() => new LinearWarmup(opt, { startFactor: 0 })).toThrow(/startFactor must be in \(0, 1\], got 0/);
    expect(() => new LinearWarmup(opt, { endFactor: 2 })).toThrow(/endFactor must be in \[0, 1\]/);
    expect(() => new ReduceLROnPlateau(opt, { factor: 1 })).toThrow(/factor must be in \[0, 1\), got 1/);
    expect(() => new ReduceLROnPlateau(opt, { mode: 'up' as 'min' })).toThrow(/mode must be 'min' or 'max'/);
    expect(() => new ReduceLROnPlateau(opt, { thresholdMode: 'x' as 'abs' })).toThrow(ValueError);
    expect(() => new ReduceLROnPlateau(opt, { patience: -1 })).toThrow(/patience must be an integer ≥ 0/);
    expect(() => new ReduceLROnPlateau(opt, { minLr: [0, 0] })).toThrow(/one value per group \(1\), got 2/);
    expect(() => new StepLR({} as SGD, { stepSize: 1 })).toThrow(/optimizer must be an Optimizer/);
    expect(() => new ReduceLROnPlateau(opt).step('1' as unknown as number)).toThrow(
      /metric must be a number/,
    );
  });
});
