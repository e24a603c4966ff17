import { allocate, allocateFloat32 } from './alloc.js';
import { defaultGenerator, type Generator } from './random.js';
import { checkShape, numel, type Shape } from './shape.js';
import { Tensor } from './tensor.js';

interface RandomOptions {
  generator?: Generator;
  requiresGrad?: boolean;
}

/** Samples from U(low, high). */
export function uniform(shape: Shape, low: number, high: number, options: RandomOptions = {}): Tensor {
  checkShape(shape, 'uniform');
  const g = options.generator ?? defaultGenerator;
  const data = allocateFloat32(numel(shape), shape, 'uniform');
  for (let i = 0; i < data.length; i++) data[i] = g.uniform(low, high);
  return new Tensor(data, shape, options);
}

/** Samples from U(0, 1). */
export function rand(shape: Shape, options: RandomOptions = {}): Tensor {
  return uniform(shape, 0, 1, options);
}

/** Samples from N(0, 1). */
export function randn(shape: Shape, options: RandomOptions = {}): Tensor {
  checkShape(shape, 'randn');
  const g = options.generator ?? defaultGenerator;
  const data = allocateFloat32(numel(shape), shape, 'randn');
  for (let i = 0; i < data.length; i++) data[i] = g.normal();
  return new Tensor(data, shape, options);
}

/** Integer samples from [low, high) as an int32 tensor. */
export function randint(
  low: number,
  high: number,
  shape: Shape,
  options: { generator?: Generator } = {},
): Tensor {
  checkShape(shape, 'randint');
  const g = options.generator ?? defaultGenerator;
  const data = allocate(numel(shape), 'int32', shape, 'randint');
  for (let i = 0; i < data.length; i++) data[i] = low + g.randint(high - low);
  return new Tensor(data, shape);
}
