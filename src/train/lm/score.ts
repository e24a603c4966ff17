import { ValueError } from '../../tensor/errors.js';

/**
 * A language model's cross-entropy on a stream: the mean negative log-likelihood per token in
 * nats, the same in bits (bits per character for a character model), and the perplexity e^nats.
 */
export interface LmScore {
  nats: number;
  bits: number;
  perplexity: number;
  /** Tokens predicted. */
  tokens: number;
}

/** The score of a summed negative log-likelihood (nats) over `tokens` predictions. */
export function lmScore(totalNats: number, tokens: number): LmScore {
  if (!Number.isInteger(tokens) || tokens < 1) {
    throw new ValueError(`lmScore: tokens must be a positive integer, got ${tokens}`);
  }
  if (typeof totalNats !== 'number' || Number.isNaN(totalNats) || totalNats < 0) {
    throw new ValueError(`lmScore: totalNats must be a number ≥ 0, got ${totalNats}`);
  }
  const nats = totalNats / tokens;
  return { nats, bits: nats / Math.LN2, perplexity: Math.exp(nats), tokens };
}

const schedule: (fn: () => void) => void =
  typeof globalThis.setImmediate === 'function' ? globalThis.setImmediate : (fn) => setTimeout(fn, 0);

/** Lets timers, progress output and abort signals run between chunks. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => schedule(resolve));
