import { ValueError } from '../tensor/errors.js';
import { type BaseHyper, checkBoolean, checkNonNegative, Optimizer, type ParamsArg } from './optimizer.js';

export interface SGDHyper extends BaseHyper {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/** SGD options; `lr` is required, as in PyTorch. */
export type SGDOptions = Partial<SGDHyper> & { lr: number };

/**
 * Stochastic gradient descent with momentum, PyTorch 1.13's rule:
 * g ← g + wd·p; b ← g on the first step, then b ← μb + (1 − τ)g; g ← g + μb (Nesterov) or b;
 * p ← p − lr·g. Defaults: momentum 0, dampening 0, weightDecay 0, nesterov false.
 */
export class SGD extends Optimizer<SGDHyper> {
  constructor(params: ParamsArg<SGDHyper>, options: SGDOptions) {
    if (!options || options.lr === undefined) throw new ValueError('SGD: lr is required, got undefined');
    super('SGD', params, {
      lr: options.lr,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? 0,
      nesterov: options.nesterov ?? false,
      maximize: options.maximize ?? false,
    });
  }

  protected validate(h: SGDHyper): void {
    checkNonNegative(this.name, 'lr', h.lr);
    checkNonNegative(this.name, 'momentum', h.momentum);
    if (typeof h.dampening !== 'number' || !Number.isFinite(h.dampening)) {
      throw new ValueError(`${this.name}: dampening must be a finite number, got ${String(h.dampening)}`);
    }
    checkNonNegative(this.name, 'weightDecay', h.weightDecay);
    checkBoolean(this.name, 'nesterov', h.nesterov);
    checkBoolean(this.name, 'maximize', h.maximize);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new ValueError(
        `${this.name}: nesterov needs momentum > 0 and dampening 0, got momentum ${h.momentum} and dampening ${h.dampening}`,
      );
    }
  }

  step(): void {
    for (const g of this.paramGroups) {
      const { lr, momentum, dampening, weightDecay, nesterov } = g;
      const sign = g.maximize ? -1 : 1;
      for (const p of g.params) {
        if (p.grad === null) continue;
        const pd = p.f32;
        const gd = p.grad.f32;
        const n = pd.length;
        if (momentum === 0) {
          for (let i = 0; i < n; i++) pd[i] = pd[i]! - lr * (sign * gd[i]! + weightDecay * pd[i]!);
          continue;
        }
        const s = this.stateOf(p);
        let buf = s.momentumBuffer as Float32Array | undefined;
        const fresh = buf === undefined;
        if (buf === undefined) {
          buf = new Float32Array(n);
          s.momentumBuffer = buf;
        }
        for (let i = 0; i < n; i++) {
          const d = Math.fround(sign * gd[i]! + weightDecay * pd[i]!);
          const b = fresh ? d : Math.fround(momentum * buf[i]! + (1 - dampening) * d);
          buf[i] = b;
          pd[i] = pd[i]! - lr * (nesterov ? d + momentum * b : b);
        }
      }
    }
  }
}
