import '../backend/js/adam.js';
import { kernels } from '../backend/registry.js';
import type { Tensor } from '../tensor/tensor.js';
import { adamMoments } from './adam.js';
import {
  type BaseHyper,
  checkBetas,
  checkBoolean,
  checkNonNegative,
  Optimizer,
  type ParamsArg,
} from './optimizer.js';

export interface SparseAdamHyper extends BaseHyper {
  betas: readonly [number, number];
  eps: number;
  maximize: boolean;
  /** Rows updated lazily (true, the default) or the whole tensor as Adam (false). */
  sparse: boolean;
}

export type SparseAdamOptions = Partial<SparseAdamHyper>;

/**
 * Lazy Adam for embedding tables, PyTorch 1.13's `torch.optim.SparseAdam` over an
 * `nn.Embedding(sparse=True)`: only the rows of a parameter that have a gradient this step (the
 * tokens present in the batch) get their moments and weights updated; the rows of absent tokens
 * neither decay nor drift on stale momentum. Rows are read along the first dimension; a row whose
 * gradient is exactly zero counts as absent (PyTorch: absent from the sparse gradient's indices).
 * The gradient is dense, so finding the rows reads all of it: the step is no cheaper than Adam's
 * native one (BENCHMARKS.md, "Lazy Adam and random windows on the text defaults"). Groups with `sparse: false` take Adam's
 * dense step (`torch.optim.Adam`, no weight decay), so one optimizer trains a whole model:
 * `new SparseAdam([{ params: [embedding.weight] }, { params: rest, sparse: false }])`.
 * Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8.
 */
export class SparseAdam extends Optimizer<SparseAdamHyper> {
  constructor(params: ParamsArg<SparseAdamHyper>, options: SparseAdamOptions = {}) {
    super('SparseAdam', params, {
      lr: options.lr ?? 1e-3,
      betas: options.betas ?? [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      maximize: options.maximize ?? false,
      sparse: options.sparse ?? true,
    });
  }

  protected validate(h: SparseAdamHyper): void {
    const where = this.name;
    checkNonNegative(where, 'lr', h.lr);
    checkNonNegative(where, 'eps', h.eps);
    checkBetas(where, h.betas);
    checkBoolean(where, 'maximize', h.maximize);
    checkBoolean(where, 'sparse', h.sparse);
  }

  step(): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (p.grad === null) continue;
        const { m, v, step } = adamMoments(this.stateOf(p), p.size);
        if (g.sparse) sparseAdamRows(p, m, v, g, step);
        else {
          const [b1, b2] = g.betas;
          kernels.adamStep(p.f32, p.grad.f32, m, v, null, g.lr, b1, b2, g.eps, 0, false, g.maximize, step);
        }
      }
    }
  }
}

/**
 * PyTorch's sparse_adam on the rows of `p` with a non-zero gradient, rounded to float32 where
 * PyTorch's float32 tensor ops round: m += (g − m)(1 − β₁), v += (g² − v)(1 − β₂),
 * p += −lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε).
 */
function sparseAdamRows(p: Tensor, m: Float32Array, v: Float32Array, h: SparseAdamHyper, step: number): void {
  const w = p.f32;
  const grad = p.grad!.f32;
  // Sign bits dropped, an OR of a row's bits is zero only when every value is ±0.
  const bits = new Int32Array(grad.buffer, grad.byteOffset, grad.length);
  const width = p.ndim > 1 ? p.size / p.shape[0]! : 1;
  const keep1 = Math.fround(1 - h.betas[0]);
  const keep2 = Math.fround(1 - h.betas[1]);
  const eps = Math.fround(h.eps);
  const stepSize = Math.fround(-((h.lr * Math.sqrt(1 - h.betas[1] ** step)) / (1 - h.betas[0] ** step)));
  const sign = h.maximize ? -1 : 1;
  for (let base = 0; base < w.length; base += width) {
    let any = 0;
    for (let i = base; i < base + width; i++) any |= bits[i]!;
    if (any << 1 === 0) continue;
    for (let i = base; i < base + width; i++) {
      const g = sign * grad[i]!;
      const mOld = m[i]!;
      const vOld = v[i]!;
      const mi = Math.fround(mOld + Math.fround(Math.fround(g - mOld) * keep1));
      const vi = Math.fround(vOld + Math.fround(Math.fround(Math.fround(g * g) - vOld) * keep2));
      m[i] = mi;
      v[i] = vi;
      const denom = Math.fround(Math.fround(Math.sqrt(vi)) + eps);
      w[i] = Math.fround(w[i]! + Math.fround(Math.fround(stepSize * mi) / denom));
    }
  }
}
