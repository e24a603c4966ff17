import { Tensor } from '../../tensor/tensor.js';

/**
 * Integrated gradients from the zero input: x ⊙ the mean of ∂f/∂x over α·x, α = 1/m, 2/m, …, 1
 * (a right Riemann sum of the path integral), so the attributions add up to about f(x) − f(0).
 * m = 1 is plain gradient × input. `f` maps a leaf shaped like x to a scalar tensor.
 */
export function integratedGradients(x: Tensor, m: number, f: (input: Tensor) => Tensor): Float64Array {
  const grad = new Float64Array(x.size);
  for (let step = 1; step <= m; step++) {
    const input = new Tensor(
      x.f32.map((v) => (v * step) / m),
      x.shape,
      { requiresGrad: true },
    );
    f(input).backward();
    input.grad!.f32.forEach((g, i) => {
      grad[i]! += g / m;
    });
  }
  return grad.map((g, i) => g * x.f32[i]!);
}

/** Sums (T, W) row-major attributions of one sample over each row's W values: one score per step. */
export function perStep(attributions: Float64Array, T: number): number[] {
  const W = attributions.length / T;
  return Array.from({ length: T }, (_, t) => {
    let s = 0;
    for (let w = 0; w < W; w++) s += attributions[t * W + w]!;
    return s;
  });
}
