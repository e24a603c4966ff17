import { batchify, lmChunks } from '../../data/lm-stream.js';
import { detachState, type LanguageModel, type LmState } from '../../nn/language-model.js';
import { crossEntropy } from '../../nn/losses.js';
import { reshape } from '../../ops/shape.js';
import { noGrad } from '../../tensor/autograd.js';
import { DTypeError, ValueError } from '../../tensor/errors.js';
import { trainingStep } from '../../tensor/step.js';
import { type LmScore, lmScore, yieldToEventLoop } from './score.js';

export interface LmEvaluateOptions {
  /** Parallel streams (default 10, PyTorch's eval_batch_size; fewer when the text is short). */
  batch?: number;
  /** Steps per forward call (default 128); the state is carried across, so it changes no result. */
  bptt?: number;
  signal?: AbortSignal;
}

function checkStream(where: string, ids: unknown): Int32Array {
  if (!(ids instanceof Int32Array)) {
    throw new DTypeError(`${where}: ids must be an Int32Array token stream, got ${typeof ids}`);
  }
  if (ids.length < 2) {
    throw new ValueError(
      `${where}: ids must hold at least 2 tokens (an input and its target), got ${ids.length}`,
    );
  }
  return ids;
}

/**
 * Cross-entropy of `model` on the stream `ids`, cut into `batch` streams read from a zero state,
 * in evaluation mode without gradients. Each stream's first token is context only, so
 * B·(⌊n/B⌋ − 1) tokens are predicted.
 */
export async function evaluateLanguageModel(
  model: LanguageModel,
  ids: Int32Array,
  options: LmEvaluateOptions = {},
): Promise<LmScore> {
  checkStream('evaluateLanguageModel', ids);
  const { bptt = 128, signal } = options;
  const batch = Math.max(1, Math.min(options.batch ?? 10, Math.floor(ids.length / 2)));
  const stream = batchify(ids, batch);
  const wasTraining = model.training;
  model.eval();
  let total = 0;
  let count = 0;
  let state: LmState | null = null;
  try {
    for (const chunk of lmChunks(stream, bptt)) {
      // A step of its own so the chunk's buffers are reused; the state is detached to survive it.
      trainingStep(() =>
        noGrad(() => {
          const [logits, next] = model.forward(chunk.inputs, state);
          const V = logits.shape[2]!;
          const n = chunk.targets.size;
          total += crossEntropy(reshape(logits, [n, V]), reshape(chunk.targets, [n]), {
            reduction: 'sum',
          }).item();
          count += n;
          state = detachState(next);
        }),
      );
      await yieldToEventLoop();
      if (signal?.aborted) break;
    }
  } finally {
    model.train(wasTraining);
  }
  return lmScore(total, count);
}
