import { IndexError, ValueError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/** A module with a one-tensor forward, the kind {@link Sequential} chains. */
export interface Layer extends Module {
  forward(x: Tensor): Tensor;
}

/**
 * Runs modules one after another, PyTorch's `nn.Sequential`; they are registered as
 * "0", "1", … so parameter names read `0.weight`, `2.bias`.
 */
export class Sequential extends Module {
  private readonly layers: Layer[];

  constructor(...modules: Layer[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module) || typeof m.forward !== 'function') {
        throw new ValueError(
          `Sequential: argument ${i} must be a Module with a forward method, got ${String(m)}`,
        );
      }
      this.registerModule(String(i), m);
    });
    this.layers = modules;
  }

  get length(): number {
    return this.layers.length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): Layer {
    const n = this.layers.length;
    if (!Number.isInteger(index) || index < -n || index >= n) {
      throw new IndexError(`Sequential.at: index must be an integer in [${-n}, ${n}), got ${index}`);
    }
    return this.layers[index < 0 ? index + n : index]!;
  }

  forward(x: Tensor): Tensor {
    for (const m of this.layers) x = m.forward(x);
    return x;
  }
}
