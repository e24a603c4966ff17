import { full } from '../../src/tensor/tensor.js';

/** Version k of the crash tests' weights: every value equals k; the size changes with k, so a torn write shows. */
export function versionTensors(k: number) {
  return { w: full([64 + (k % 7) * 16, 1024], k), b: full([3], k) };
}
