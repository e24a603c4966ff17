import type { SaveModelDirOptions } from '../../src/io/model-format.js';
import { full } from '../../src/tensor/tensor.js';

/** Version k of the crash tests' weights: every value equals k; the size changes with k, so a torn write shows. */
export function versionTensors(k: number) {
  return { w: full([64 + (k % 7) * 16, 1024], k), b: full([3], k) };
}

/** Version k of the crash tests' model directory: config, weights and training state all say k. */
export function versionOptions(k: number): SaveModelDirOptions {
  return {
    config: { architecture: { type: 'Tiny', version: k }, task: 'classification' },
    stateDict: versionTensors(k),
    trainingState: { state: { version: k }, tensors: { m: full([k % 5], k) } },
  };
}
