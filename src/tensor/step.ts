import type { GradFn } from './autograd.js';
import { KiokuError } from './errors.js';
import {
  activationPool,
  beginStepRecord,
  endStepRecord,
  gradientPool,
  isOwned,
  releaseOwned,
} from './pool.js';
import type { Tensor, TypedArray } from './tensor.js';

/*
 * Training steps that free what they made, as PyTorch frees a graph after backward, so the next
 * step reuses the same buffers instead of leaving them to V8's collector. Only the trainer (and
 * the benchmark that mirrors it) runs its steps through here: it owns every tensor a step makes
 * (outputs, loss) and reads what it reports from them before the step ends. Code that calls
 * backward() itself keeps ordinary garbage-collected tensors.
 */

const FREED: GradFn<Tensor> = {
  name: 'freed',
  inputs: [],
  backward() {
    throw new KiokuError(
      'backward: the graph behind this tensor was freed when its training step ended; run the forward again',
    );
  },
};

/**
 * Runs `fn` (forward, loss, backward, optimizer step, and reading whatever it reports) as one
 * training step. When it returns or throws, the tensors it created have their graph freed, and
 * those over op output buffers are released: their buffers go back to the activation pool for
 * the next step, and reading them throws. A buffer that reached a detached tensor is kept.
 * Inside another step, `fn` simply runs as part of it.
 */
export function trainingStep<T>(fn: () => T): T {
  const record = beginStepRecord();
  if (record === null) return fn();
  try {
    return fn();
  } finally {
    endStepRecord(record);
    const kept = new Set<TypedArray>();
    for (const b of record.buffers) if (isOwned(b) && releaseOwned(b, activationPool)) kept.add(b);
    for (const t of record.tensors) {
      if (t.gradFn !== null) t.gradFn = FREED;
      if (kept.has(t.storage)) t.markReleased();
    }
  }
}

/**
 * Calls `zeroGrad` (which drops the parameters' gradients) and returns the buffers of the
 * gradients it dropped to the gradient pool, for the next backward to fill; the dropped tensors
 * are released. A gradient some parameter still holds, or one detached or viewed outside the
 * engine, is left alone.
 */
export function dropGradients(params: readonly Tensor[], zeroGrad: () => void): void {
  const before = params.map((p) => p.grad);
  zeroGrad();
  const still = new Set(params.map((p) => p.grad));
  for (const g of before) {
    if (g === null || still.has(g)) continue;
    const d = g.storage;
    if (isOwned(d) && releaseOwned(d, gradientPool)) g.markReleased();
  }
}
