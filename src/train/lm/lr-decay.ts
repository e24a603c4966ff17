import type { OptimizerLike } from '../trainer.js';

/**
 * The cosine decay of `decayTo`: from `from` at progress 0 to `to` at progress 1, where progress
 * is whichever is further along, the steps or the time budget. On a machine whose speed changes
 * (other jobs come and go) the rate still reaches its floor when the time runs out.
 */
export function decayedLr(from: number, to: number, progress: number): number {
  const p = Math.min(1, Math.max(0, progress));
  return to + ((from - to) * (1 + Math.cos(Math.PI * p))) / 2;
}

type Groups = { paramGroups?: Array<{ lr?: unknown }> };

/** The optimizer's learning rate (its first group's), when it has one. */
export function lrOf(optimizer: OptimizerLike): number | undefined {
  const lr = (optimizer as Groups).paramGroups?.[0]?.lr;
  return typeof lr === 'number' ? lr : undefined;
}

/** Sets every group's learning rate. */
export function setLr(optimizer: OptimizerLike, lr: number): void {
  for (const g of (optimizer as Groups).paramGroups ?? []) g.lr = lr;
}
