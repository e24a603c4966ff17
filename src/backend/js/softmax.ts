import { type Kernels, registerKernel } from '../registry.js';

const softmaxJs: Kernels['softmax'] = function softmaxJs(x, outer, dim, inner, log, out) {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * dim * inner + i;
      const end = base + dim * inner;
      let m = Number.NEGATIVE_INFINITY;
      for (let k = base; k < end; k += inner) if (x[k]! > m) m = x[k]!;
      let s = 0;
      if (log) {
        for (let k = base; k < end; k += inner) s += Math.exp(x[k]! - m);
        const lse = m + Math.log(s);
        for (let k = base; k < end; k += inner) out[k] = x[k]! - lse;
      } else {
        for (let k = base; k < end; k += inner) {
          const e = Math.exp(x[k]! - m);
          out[k] = e;
          s += e;
        }
        const inv = 1 / s;
        for (let k = base; k < end; k += inner) out[k]! *= inv;
      }
    }
  }
};

const softmaxBackwardJs: Kernels['softmaxBackward'] = function softmaxBackwardJs(
  y,
  g,
  outer,
  dim,
  inner,
  log,
  gx,
) {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * dim * inner + i;
      const end = base + dim * inner;
      let s = 0;
      if (log) {
        for (let k = base; k < end; k += inner) s += g[k]!;
        for (let k = base; k < end; k += inner) gx[k]! += g[k]! - Math.exp(y[k]!) * s;
      } else {
        for (let k = base; k < end; k += inner) s += g[k]! * y[k]!;
        for (let k = base; k < end; k += inner) gx[k]! += y[k]! * (g[k]! - s);
      }
    }
  }
};

registerKernel('softmax', 'js', softmaxJs);
registerKernel('softmaxBackward', 'js', softmaxBackwardJs);
