import { ValueError } from '../../tensor/errors.js';
import { type Kernels, registerKernel } from '../registry.js';

/*
 * Max and mean over each sample's valid steps of a batch-first (B, T, F) sequence, in one pass:
 * what a text classifier's pooling reads from a padded batch, without a mask tensor, a filled
 * copy or a strided reduction.
 */

function maxRow(
  x: Float32Array,
  base: number,
  F: number,
  len: number,
  out: Float32Array,
  o: number,
  arg: Int32Array | null,
): void {
  for (let f = 0; f < F; f++) {
    let best = len > 0 ? x[base + f]! : Number.NEGATIVE_INFINITY;
    let at = len > 0 ? 0 : -1;
    if (!Number.isNaN(best)) {
      for (let t = 1; t < len; t++) {
        const v = x[base + t * F + f]!;
        if (v > best || Number.isNaN(v)) {
          best = v;
          at = t;
          if (Number.isNaN(v)) break;
        }
      }
    }
    out[o + f] = best;
    if (arg) arg[o + f] = at;
  }
}

// Sums in float64, rounded to float32 once, then divided: the value sum(x·mask) / length gives.
function meanRow(x: Float32Array, base: number, F: number, len: number, out: Float32Array, o: number): void {
  for (let f = 0; f < F; f++) {
    let s = 0;
    for (let t = 0; t < len; t++) s += x[base + t * F + f]!;
    out[o + f] = Math.fround(s) / len;
  }
}

const maskedPoolJs: Kernels['maskedPool'] = function maskedPoolJs(x, B, T, F, lengths, mode, out, argIndex) {
  for (let b = 0; b < B; b++) {
    const len = lengths ? lengths[b]! : T;
    if (mode === 'max') maxRow(x, b * T * F, F, len, out, b * F, argIndex);
    else meanRow(x, b * T * F, F, len, out, b * F);
  }
  if (mode === 'mean') argIndex?.fill(-1, 0, B * F);
};

const maskedPoolBackwardJs: Kernels['maskedPoolBackward'] = function maskedPoolBackwardJs(
  g,
  B,
  T,
  F,
  lengths,
  mode,
  argIndex,
  gx,
) {
  for (let b = 0; b < B; b++) {
    const base = b * T * F;
    if (mode === 'max') {
      if (!argIndex)
        throw new ValueError('maskedPoolBackward: argIndex must be given for mode max, got null');
      for (let f = 0; f < F; f++) {
        const t = argIndex[b * F + f]!;
        if (t >= 0 && t < T) gx[base + t * F + f]! += g[b * F + f]!;
      }
      continue;
    }
    const len = lengths ? lengths[b]! : T;
    for (let t = 0; t < len; t++) {
      for (let f = 0; f < F; f++) gx[base + t * F + f]! += Math.fround(g[b * F + f]! / len);
    }
  }
};

registerKernel('maskedPool', 'js', maskedPoolJs);
registerKernel('maskedPoolBackward', 'js', maskedPoolBackwardJs);
