import '../backend/js/adam.js';
import { kernels } from '../backend/registry.js';
import {
  type BaseHyper,
  checkBetas,
  checkBoolean,
  checkNonNegative,
  Optimizer,
  type ParamState,
  type ParamsArg,
} from './optimizer.js';

export interface AdamHyper extends BaseHyper {
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

export type AdamOptions = Partial<AdamHyper>;

/**
 * A parameter's Adam moments (expAvg, expAvgSq), zero at its first step, and its step count,
 * counted up by this step: the state Adam, AdamW and SparseAdam keep, under PyTorch's names.
 */
export function adamMoments(s: ParamState, size: number): { m: Float32Array; v: Float32Array; step: number } {
  if (s.step === undefined) {
    s.step = 0;
    s.expAvg = new Float32Array(size);
    s.expAvgSq = new Float32Array(size);
  }
  s.step = (s.step as number) + 1;
  return { m: s.expAvg as Float32Array, v: s.expAvgSq as Float32Array, step: s.step };
}

/** Adam and AdamW share state and kernel; they differ only in how weight decay enters. */
abstract class AdamBase extends Optimizer<AdamHyper> {
  private readonly decoupled: boolean;

  protected constructor(name: string, decoupled: boolean, params: ParamsArg<AdamHyper>, defaults: AdamHyper) {
    super(name, params, defaults);
    this.decoupled = decoupled;
  }

  protected validate(h: AdamHyper): void {
    validateAdam(this.name, h);
  }

  step(): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (p.grad === null) continue;
        const s = this.stateOf(p);
        const { m, v, step } = adamMoments(s, p.size);
        if (g.amsgrad && s.maxExpAvgSq === undefined) s.maxExpAvgSq = new Float32Array(p.size);
        kernels.adamStep(
          p.f32,
          p.grad.f32,
          m,
          v,
          g.amsgrad ? (s.maxExpAvgSq as Float32Array) : null,
          g.lr,
          g.betas[0],
          g.betas[1],
          g.eps,
          g.weightDecay,
          this.decoupled,
          g.maximize,
          step,
        );
      }
    }
  }
}

/**
 * Adam (Kingma & Ba), PyTorch 1.13's update: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
 * p ← p − lr/(1−β₁ᵗ) · m / (√v̂/√(1−β₂ᵗ) + ε), v̂ = v or its running max (AMSGrad).
 * `weightDecay` adds wd·p to the gradient (L2); see {@link AdamW} for decoupled decay.
 * Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0.
 */
export class Adam extends AdamBase {
  constructor(params: ParamsArg<AdamHyper>, options: AdamOptions = {}) {
    super('Adam', false, params, adamDefaults(options, 0));
  }
}

/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, p ← p·(1 − lr·wd) before the
 * Adam update. PyTorch 1.13's rule; defaults as Adam but weightDecay 1e-2.
 */
export class AdamW extends AdamBase {
  constructor(params: ParamsArg<AdamHyper>, options: AdamOptions = {}) {
    super('AdamW', true, params, adamDefaults(options, 1e-2));
  }
}

function adamDefaults(o: AdamOptions, weightDecay: number): AdamHyper {
  return {
    lr: o.lr ?? 1e-3,
    betas: o.betas ?? [0.9, 0.999],
    eps: o.eps ?? 1e-8,
    weightDecay: o.weightDecay ?? weightDecay,
    amsgrad: o.amsgrad ?? false,
    maximize: o.maximize ?? false,
  };
}

function validateAdam(where: string, h: AdamHyper): void {
  checkNonNegative(where, 'lr', h.lr);
  checkNonNegative(where, 'eps', h.eps);
  checkBetas(where, h.betas);
  checkNonNegative(where, 'weightDecay', h.weightDecay);
  checkBoolean(where, 'amsgrad', h.amsgrad);
  checkBoolean(where, 'maximize', h.maximize);
}
