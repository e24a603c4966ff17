import type { Module } from '../../nn/module.js';
import { lengthOf } from '../batches.js';
import type { FitOptions, FitResult } from '../fit-types.js';
import { fit } from '../trainer.js';
import type { TrainedEvent, TrainingEvent } from './events.js';

export type Emit<E> = (event: E) => Promise<void>;

/** An event sink that awaits `onEvent`, or does nothing without one. */
export function emitter<E>(onEvent: ((event: E) => void | Promise<void>) | undefined): Emit<E> {
  return async (event) => {
    await onEvent?.(event);
  };
}

/** `fit` with its progress reported as events about `model` (the name). */
export async function fitWithEvents<B>(
  model: Module,
  name: string,
  options: FitOptions<B>,
  emit: Emit<TrainingEvent>,
): Promise<FitResult> {
  const batches = lengthOf(options.train);
  let started = 0;
  const result = await fit(model, {
    ...options,
    callbacks: {
      onEpochBegin: async (epoch) => {
        started = performance.now();
        await emit({ type: 'epoch-begin', model: name, epoch, epochs: options.epochs, batches });
      },
      onBatchEnd: (info) => emit({ type: 'batch', model: name, ...info }),
      onEpochEnd: ({ epoch, epochs, logs }) =>
        emit({
          type: 'epoch',
          model: name,
          epoch,
          epochs,
          seconds: (performance.now() - started) / 1000,
          logs: { ...logs },
        }),
    },
  });
  const trained: TrainedEvent = {
    type: 'trained',
    model: name,
    stopReason: result.stopReason,
    epochs: result.epochs,
    bestEpoch: result.bestEpoch,
    skippedBatches: result.skippedBatches,
  };
  await emit(trained);
  return result;
}
