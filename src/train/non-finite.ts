import { KiokuError } from '../tensor/errors.js';

/**
 * A non-finite loss or gradient norm stopped training. No optimizer step was taken for the
 * batch, so the model and the last checkpoint hold the last good weights.
 */
export class NonFiniteError extends KiokuError {
  override name = 'NonFiniteError';
  readonly epoch: number;
  readonly batch: number;
  readonly quantity: 'loss' | 'gradient norm';
  readonly value: number;
  constructor(quantity: 'loss' | 'gradient norm', value: number, epoch: number, batch: number) {
    super(
      `fit: the ${quantity} became ${value} at epoch ${epoch}, batch ${batch}; training stopped with the ` +
        `weights of the last good batch (lower the learning rate, clip gradients, check the data for ` +
        `NaN/Infinity, or skip such batches with onNonFinite: 'skip')`,
    );
    this.quantity = quantity;
    this.value = value;
    this.epoch = epoch;
    this.batch = batch;
  }
}
