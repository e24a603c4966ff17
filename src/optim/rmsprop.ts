import { type BaseHyper, checkBoolean, checkNonNegative, Optimizer, type ParamsArg } from './optimizer.js';

export interface RMSpropHyper extends BaseHyper {
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

export type RMSpropOptions = Partial<RMSpropHyper>;

/**
 * RMSprop, PyTorch 1.13's rule: g ← g + wd·p; s ← αs + (1 − α)g²; with `centered`,
 * a ← αa + (1 − α)g and d = √(s − a²) + ε, else d = √s + ε; then b ← μb + g/d, p ← p − lr·b
 * (momentum > 0) or p ← p − lr·g/d. Defaults: lr 1e-2, alpha 0.99, eps 1e-8, the rest 0/false.
 */
export class RMSprop extends Optimizer<RMSpropHyper> {
  constructor(params: ParamsArg<RMSpropHyper>, options: RMSpropOptions = {}) {
    super('RMSprop', params, {
      lr: options.lr ?? 1e-2,
      alpha: options.alpha ?? 0.99,
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      momentum: options.momentum ?? 0,
      centered: options.centered ?? false,
      maximize: options.maximize ?? false,
    });
  }

  protected validate(h: RMSpropHyper): void {
    checkNonNegative(this.name, 'lr', h.lr);
    checkNonNegative(this.name, 'alpha', h.alpha);
    checkNonNegative(this.name, 'eps', h.eps);
    checkNonNegative(this.name, 'weightDecay', h.weightDecay);
    checkNonNegative(this.name, 'momentum', h.momentum);
    checkBoolean(this.name, 'centered', h.centered);
    checkBoolean(this.name, 'maximize', h.maximize);
  }

  step(): void {
    for (const g of this.paramGroups) {
      const { lr, alpha, eps, weightDecay, momentum, centered } = g;
      const sign = g.maximize ? -1 : 1;
      for (const p of g.params) {
        if (p.grad === null) continue;
        const pd = p.f32;
        const gd = p.grad.f32;
        const n = pd.length;
        const s = this.stateOf(p);
        if (s.step === undefined) {
          s.step = 0;
          s.squareAvg = new Float32Array(n);
        }
        if (momentum > 0 && s.momentumBuffer === undefined) s.momentumBuffer = new Float32Array(n);
        if (centered && s.gradAvg === undefined) s.gradAvg = new Float32Array(n);
        s.step = (s.step as number) + 1;
        const sq = s.squareAvg as Float32Array;
        const ga = centered ? (s.gradAvg as Float32Array) : null;
        const buf = momentum > 0 ? (s.momentumBuffer as Float32Array) : null;
        for (let i = 0; i < n; i++) {
          const gi = sign * gd[i]! + weightDecay * pd[i]!;
          const si = Math.fround(alpha * sq[i]! + (1 - alpha) * gi * gi);
          sq[i] = si;
          let avg: number;
          if (ga) {
            const ai = Math.fround(alpha * ga[i]! + (1 - alpha) * gi);
            ga[i] = ai;
            avg = Math.sqrt(si - ai * ai) + eps;
          } else {
            avg = Math.sqrt(si) + eps;
          }
          if (buf) {
            const b = Math.fround(momentum * buf[i]! + gi / avg);
            buf[i] = b;
            pd[i] = pd[i]! - lr * b;
          } else {
            pd[i] = pd[i]! - (lr * gi) / avg;
          }
        }
      }
    }
  }
}
