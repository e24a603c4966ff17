import { mul } from '../ops/binary.js';
import { maskedFill, sequenceMask } from '../ops/mask.js';
import { sum } from '../ops/reduce.js';
import { reshape, unsqueeze } from '../ops/shape.js';
import { softmax } from '../ops/softmax.js';
import { tanh } from '../ops/unary.js';
import { ShapeError, ValueError } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

/**
 * Attention pooling over the valid time steps of a right-padded batch (additive attention,
 * Bahdanau et al., 2015, as a summary: Yang et al., 2016):
 *
 *   u_t = tanh(x_t·Wᵀ + b)   s_t = u_t·vᵀ   a = softmax over t < length of s   y = Σ_t a_t·x_t
 *
 * x: (B, T, F), lengths (B) in [1, T] → y: (B, F); the weights a: (B, T) are 0 past each length.
 * Sub-modules: `proj` (F → A, with bias) and `score` (A → 1, no bias).
 */
export interface AttentionPoolingOptions {
  /** Features per step F. */
  inputSize: number;
  /** Width A of the scoring layer (default F). */
  attentionSize?: number;
  generator?: Generator;
}

export class AttentionPooling extends Module {
  readonly inputSize: number;
  readonly attentionSize: number;
  readonly proj: Linear;
  readonly score: Linear;

  constructor(options: AttentionPoolingOptions) {
    super();
    const where = 'AttentionPooling';
    if (typeof options !== 'object' || options === null) {
      throw new ValueError(`${where}: expected an options object with inputSize, got ${String(options)}`);
    }
    const { inputSize, attentionSize = inputSize, generator = defaultGenerator } = options;
    for (const [name, v] of [
      ['inputSize', inputSize],
      ['attentionSize', attentionSize],
    ] as const) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
        throw new ValueError(`${where}: ${name} must be a positive integer, got ${String(v)}`);
      }
    }
    this.inputSize = inputSize;
    this.attentionSize = attentionSize;
    this.proj = this.registerModule('proj', new Linear(inputSize, attentionSize, { generator }));
    this.score = this.registerModule('score', new Linear(attentionSize, 1, { bias: false, generator }));
  }

  /** The attention weights (B, T): a softmax over each sample's valid steps, 0 elsewhere. */
  weights(x: Tensor, lengths?: Int32Array): Tensor {
    const [b, t] = this.check(x, lengths);
    const s = reshape(this.score.forward(tanh(this.proj.forward(x))), [b, t]);
    if (lengths === undefined) return softmax(s, 1);
    const valid = sequenceMask(lengths, t).f32;
    const invalid = new Tensor(
      valid.map((v) => 1 - v),
      [b, t],
    );
    return softmax(maskedFill(s, invalid, Number.NEGATIVE_INFINITY), 1);
  }

  /** x (B, T, F), lengths (B) → the weighted sums (B, F). */
  forward(x: Tensor, lengths?: Int32Array): Tensor {
    return sum(mul(x, unsqueeze(this.weights(x, lengths), 2)), 1);
  }

  private check(x: Tensor, lengths: Int32Array | undefined): [number, number] {
    const where = 'AttentionPooling';
    if (!(x instanceof Tensor) || x.ndim !== 3 || x.shape[2] !== this.inputSize) {
      throw new ShapeError(
        `${where}: x must be (B, T, ${this.inputSize}), got ${x instanceof Tensor ? formatShape(x.shape) : typeof x}`,
      );
    }
    const [b, t] = x.shape as [number, number, number];
    if (lengths === undefined) return [b, t];
    if (!(lengths instanceof Int32Array) || lengths.length !== b) {
      throw new ShapeError(
        `${where}: lengths must be an Int32Array of ${b} values (one per sample), got ${lengths?.length}`,
      );
    }
    lengths.forEach((n, i) => {
      if (n < 1 || n > t) throw new ValueError(`${where}: lengths[${i}] must be in [1, ${t}], got ${n}`);
    });
    return [b, t];
  }
}
