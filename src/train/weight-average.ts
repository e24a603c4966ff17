import type { Module } from '../nn/module.js';
import { ValueError } from '../tensor/errors.js';

/**
 * Averages a model's weights over its last epochs (stochastic weight averaging at a constant
 * learning rate, taken once per epoch): `record()` after each epoch keeps a copy of the weights,
 * `apply()` writes the mean of the last `count` copies into the model.
 */
export class EpochWeightAverage {
  private readonly snapshots: Array<Map<string, Float32Array>> = [];

  constructor(
    private readonly model: Module,
    readonly count: number,
  ) {
    if (!Number.isInteger(count) || count < 1) {
      throw new ValueError(`EpochWeightAverage: count must be an integer >= 1, got ${count}`);
    }
  }

  /** Keeps a copy of the model's current weights (only the last `count` are kept). */
  record(): void {
    const copy = new Map<string, Float32Array>();
    for (const [name, p] of this.model.namedParameters()) copy.set(name, Float32Array.from(p.f32));
    this.snapshots.push(copy);
    if (this.snapshots.length > this.count) this.snapshots.shift();
  }

  /** Epochs recorded and kept (at most `count`). */
  get recorded(): number {
    return this.snapshots.length;
  }

  /** Writes the mean of the kept copies into the model; nothing recorded leaves it as it is. */
  apply(): void {
    const n = this.snapshots.length;
    if (n === 0) return;
    for (const [name, p] of this.model.namedParameters()) {
      const out = p.f32;
      out.fill(0);
      for (const snap of this.snapshots) {
        const w = snap.get(name)!;
        for (let i = 0; i < out.length; i++) out[i] = out[i]! + w[i]! / n;
      }
    }
  }
}
