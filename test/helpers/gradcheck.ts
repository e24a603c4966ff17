import { expect } from 'vitest';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  seed?: number;
}

/**
 * Finite-difference check of every float input's gradient. The scalar objective is
 * L = Σ w ⊙ f(inputs) with fixed random weights w, evaluated in float64 from the float32
 * outputs; central differences are compared with the analytic gradient of the backward pass.
 */
export function gradcheck(
  fn: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): void {
  const eps = options.eps ?? 1e-3;
  const atol = options.atol ?? 2e-3;
  const rtol = options.rtol ?? 1e-2;
  const gen = new Generator(options.seed ?? 1234);
  for (const x of inputs) if (x.dtype === 'float32') x.requiresGrad = true;
  const y = fn(...inputs);
  const w = new Float32Array(y.size);
  for (let i = 0; i < w.length; i++) w[i] = gen.uniform(-1, 1);
  for (const x of inputs) x.grad = null;
  y.backward(new Tensor(w, y.shape));
  const objective = (): number => {
    const out = fn(...inputs).data;
    let s = 0;
    for (let i = 0; i < out.length; i++) s += w[i]! * out[i]!;
    return s;
  };
  inputs.forEach((x, n) => {
    if (x.dtype !== 'float32') return;
    const d = x.f32;
    const analytic = x.grad?.f32 ?? new Float32Array(d.length);
    for (let i = 0; i < d.length; i++) {
      const orig = d[i]!;
      d[i] = orig + eps;
      const up = objective();
      d[i] = orig - eps;
      const down = objective();
      d[i] = orig;
      const numeric = (up - down) / (2 * eps);
      const a = analytic[i]!;
      if (Math.abs(a - numeric) > atol + rtol * Math.abs(numeric)) {
        expect.fail(`input ${n}, element ${i}: analytic ${a} vs numeric ${numeric}`);
      }
    }
  });
}
