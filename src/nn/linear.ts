import { linear } from '../ops/matmul.js';
import { ValueError } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { kaimingUniform_, uniform_ } from './init.js';
import { Module, Parameter } from './module.js';

export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: the global one). */
  generator?: Generator;
}

/**
 * Affine layer y = x·Wᵀ + b, PyTorch's `nn.Linear`.
 * x: (…, E) → y: (…, O); weight: (O, E), bias: (O).
 * Initialised as PyTorch: weight and bias from U(−1/√E, 1/√E).
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    checkSize('Linear', 'inFeatures', inFeatures);
    checkSize('Linear', 'outFeatures', outFeatures);
    const generator = options.generator ?? defaultGenerator;
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = this.registerParameter(
      'weight',
      new Parameter(new Float32Array(outFeatures * inFeatures), [outFeatures, inFeatures]),
    );
    kaimingUniform_(this.weight, Math.sqrt(5), generator);
    let bias: Parameter | null = null;
    if (options.bias ?? true) {
      bias = new Parameter(new Float32Array(outFeatures), [outFeatures]);
      const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
      uniform_(bias, -bound, bound, generator);
    }
    this.bias = this.registerParameter('bias', bias);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

/** Throws unless `value` is a non-negative integer. */
export function checkSize(what: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new ValueError(`${what}: ${name} must be a non-negative integer, got ${value}`);
  }
}
