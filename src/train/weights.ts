import type { Module } from '../nn/module.js';
import { StateDictError } from '../tensor/errors.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Copies saved weights into `module` after checking that every parameter gets a float tensor of
 * its exact shape and that none is left over; `where` starts every message. The same checks as
 * the model directory's `loadWeightsInto`, without its file-system module.
 */
export function loadWeights(module: Module, tensors: Record<string, Tensor>, where: string): void {
  const notFloat = module
    .namedParameters()
    .filter(([name]) => Object.hasOwn(tensors, name) && tensors[name]!.dtype !== 'float32')
    .map(([name]) => `${name} is ${tensors[name]!.dtype} ${formatShape(tensors[name]!.shape)}`);
  if (notFloat.length) {
    throw new StateDictError(`${where}: weights must be floating point: ${notFloat.join('; ')}`);
  }
  try {
    module.loadStateDict(tensors, { strict: true });
  } catch (e) {
    if (e instanceof StateDictError) throw new StateDictError(`${where}: ${e.message}`);
    throw e;
  }
}
