import { batchify, lmChunk } from '../../data/lm-stream.js';
import type { Cell } from '../../nn/heads.js';
import { LanguageModel, type LmState } from '../../nn/language-model.js';
import { Adam } from '../../optim/adam.js';
import type { LmSize } from './sizing.js';
import { trainChunk } from './train.js';

/** Steps a probe takes: the first warms up (allocations, caches) and is not counted. */
const PROBE_STEPS = 2;

/** What a probe needs besides the size: the network's other settings and the training stream. */
export interface LmProbeSetup {
  vocabSize: number;
  numLayers: number;
  cell: Cell;
  dropout: number;
  /** Training token ids, at least {@link lmProbeTokens} of them. */
  train: Int32Array;
  batch: number;
  bptt: number;
}

/**
 * Seconds one training step of a network of size `s` takes on this machine now, load included:
 * a throwaway network trained on the first chunks of the training stream, the mean of the steps
 * after the first. Draws from the default generator: seed it again before the real network.
 */
export function lmStepSeconds(s: LmSize, p: LmProbeSetup): number {
  const model = new LanguageModel({
    vocabSize: p.vocabSize,
    embedDim: s.embed,
    hiddenSize: s.hidden,
    numLayers: p.numLayers,
    cell: p.cell,
    dropout: p.dropout,
    tieWeights: s.tieWeights,
  });
  const settings = { optimizer: new Adam(model.parameters(), { lr: 1e-3 }), clip: 1 };
  const stream = batchify(p.train.subarray(0, lmProbeTokens(p.batch, p.bptt)), p.batch);
  let state: LmState | null = null;
  let started = 0;
  for (let i = 0; i < PROBE_STEPS; i++) {
    if (i === 1) started = performance.now();
    state = trainChunk(model, lmChunk(stream, i * p.bptt, p.bptt), state, settings).state;
  }
  return (performance.now() - started) / 1000 / (PROBE_STEPS - 1);
}

/** Training tokens a probe reads: a shorter training part is not probed (its network is small anyway). */
export function lmProbeTokens(batch: number, bptt: number): number {
  return batch * (bptt * PROBE_STEPS + 1);
}
