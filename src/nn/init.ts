import { ValueError } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * In-place initialisers, PyTorch's `torch.nn.init`. Each fills a float32 tensor's data from a
 * seeded generator (the default one unless given) and returns the tensor.
 */

/** Fills `t` with samples of U(low, high). */
export function uniform_(t: Tensor, low = 0, high = 1, generator: Generator = defaultGenerator): Tensor {
  if (!Number.isFinite(low) || !Number.isFinite(high) || low > high) {
    throw new ValueError(`uniform_: need finite low ≤ high, got low=${low}, high=${high}`);
  }
  const d = t.f32;
  for (let i = 0; i < d.length; i++) d[i] = generator.uniform(low, high);
  return t;
}

/** Fills `t` with samples of N(mean, std²). */
export function normal_(t: Tensor, mean = 0, std = 1, generator: Generator = defaultGenerator): Tensor {
  if (!Number.isFinite(mean) || !Number.isFinite(std) || std < 0) {
    throw new ValueError(`normal_: need a finite mean and a finite std ≥ 0, got mean=${mean}, std=${std}`);
  }
  const d = t.f32;
  for (let i = 0; i < d.length; i++) d[i] = mean + std * generator.normal();
  return t;
}

/** Fills `t` with zeros. */
export function zeros_(t: Tensor): Tensor {
  t.f32.fill(0);
  return t;
}

/** PyTorch's `_calculate_fan_in_and_fan_out`: dim 1 is fan-in, dim 0 fan-out, the rest a receptive field. */
export function fanInAndFanOut(t: Tensor): [number, number] {
  if (t.ndim < 2) {
    throw new ValueError(
      `fanInAndFanOut: need a tensor with at least 2 dimensions, got shape ${formatShape(t.shape)}`,
    );
  }
  let receptive = 1;
  for (let i = 2; i < t.ndim; i++) receptive *= t.shape[i]!;
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

/**
 * He uniform initialisation with the leaky-ReLU gain √(2 / (1 + a²)) on fan-in:
 * U(−b, b) with b = gain·√(3 / fanIn). `a = √5` (Linear's default) gives b = 1/√fanIn.
 */
export function kaimingUniform_(t: Tensor, a = 0, generator: Generator = defaultGenerator): Tensor {
  if (!Number.isFinite(a)) throw new ValueError(`kaimingUniform_: a must be finite, got ${a}`);
  if (t.size === 0) return t;
  const [fanIn] = fanInAndFanOut(t);
  const gain = Math.sqrt(2 / (1 + a * a));
  const bound = gain * Math.sqrt(3 / fanIn);
  return uniform_(t, -bound, bound, generator);
}
