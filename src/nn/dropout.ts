import { dropout } from '../ops/dropout.js';
import { ValueError } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/**
 * Zeroes each element with probability p in training mode and scales the rest by 1/(1−p);
 * the identity in evaluation mode. PyTorch's `nn.Dropout`. x: (…) → (…).
 */
export class Dropout extends Module {
  readonly p: number;
  private readonly generator: Generator;

  constructor(p = 0.5, options: { generator?: Generator } = {}) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new ValueError(`Dropout: p must be a probability in [0, 1], got ${p}`);
    }
    this.p = p;
    this.generator = options.generator ?? defaultGenerator;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }
}
