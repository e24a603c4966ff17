import { ValueError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

export interface ClipGradNormOptions {
  /** Order p of the norm (any p > 0), or Infinity / 'inf' for the largest absolute value. Default 2. */
  normType?: number | 'inf';
  /** Throw when the total norm is NaN or infinite instead of scaling by it (default false). */
  errorIfNonfinite?: boolean;
}

function gradsOf(where: string, params: Iterable<Tensor>): Float32Array[] {
  const out: Float32Array[] = [];
  let i = 0;
  for (const p of params) {
    if (!(p instanceof Tensor))
      throw new ValueError(`${where}: parameter ${i} must be a Tensor, got ${String(p)}`);
    if (p.grad !== null) out.push(p.grad.f32);
    i++;
  }
  return out;
}

/**
 * Scales all gradients together so their global norm is at most `maxNorm`, PyTorch's
 * `clip_grad_norm_`: coefficient maxNorm / (total + 1e-6), applied only when below 1.
 * Parameters without a gradient are skipped. Returns the total norm before clipping.
 */
export function clipGradNorm(
  params: Iterable<Tensor>,
  maxNorm: number,
  options: ClipGradNormOptions = {},
): number {
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) {
    throw new ValueError(`clipGradNorm: maxNorm must be a number ≥ 0, got ${String(maxNorm)}`);
  }
  const raw = options.normType ?? 2;
  const p = raw === 'inf' ? Infinity : raw;
  if (typeof p !== 'number' || !(p > 0)) {
    throw new ValueError(`clipGradNorm: normType must be a number > 0 or 'inf', got ${String(raw)}`);
  }
  const grads = gradsOf('clipGradNorm', params);
  if (grads.length === 0) return 0;
  let total = 0;
  if (p === Infinity) {
    let nan = false;
    for (const g of grads) {
      for (let i = 0; i < g.length; i++) {
        const a = Math.abs(g[i]!);
        if (a > total) total = a;
        else if (Number.isNaN(a)) nan = true;
      }
    }
    if (nan) total = Number.NaN;
  } else {
    for (const g of grads) for (let i = 0; i < g.length; i++) total += Math.abs(g[i]!) ** p;
    total **= 1 / p;
  }
  if (options.errorIfNonfinite && !Number.isFinite(total)) {
    throw new ValueError(
      `clipGradNorm: the total norm of order ${p} of the gradients is ${total}, so it cannot be clipped; pass errorIfNonfinite: false to scale by it anyway`,
    );
  }
  const coef = maxNorm / (total + 1e-6);
  // `!(coef >= 1)` also scales by a NaN coefficient, as PyTorch does.
  if (!(coef >= 1)) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = g[i]! * coef;
  return total;
}

/** Clamps every gradient element to [−clipValue, clipValue], PyTorch's `clip_grad_value_`. */
export function clipGradValue(params: Iterable<Tensor>, clipValue: number): void {
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) {
    throw new ValueError(`clipGradValue: clipValue must be a number ≥ 0, got ${String(clipValue)}`);
  }
  for (const g of gradsOf('clipGradValue', params)) {
    for (let i = 0; i < g.length; i++) g[i] = Math.min(Math.max(g[i]!, -clipValue), clipValue);
  }
}
