import { registerKernel } from '../registry.js';

declare module '../registry.js' {
  interface Kernels {
    /**
     * x: (outer, dim, inner) → out, same shape: softmax (or log-softmax when `log`) along dim.
     * The slice maximum is subtracted first so large logits do not overflow.
     */
    softmax(
      x: Float32Array,
      outer: number,
      dim: number,
      inner: number,
      log: boolean,
      out: Float32Array,
    ): void;
    /**
     * y: the forward output, g: its gradient; gx += J(y)ᵀ g along dim:
     * softmax: y ⊙ (g − Σ g⊙y); log-softmax: g − exp(y) · Σ g.
     */
    softmaxBackward(
      y: Float32Array,
      g: Float32Array,
      outer: number,
      dim: number,
      inner: number,
      log: boolean,
      gx: Float32Array,
    ): void;
  }
}

function softmaxJs(
  x: Float32Array,
  outer: number,
  dim: number,
  inner: number,
  log: boolean,
  out: Float32Array,
): void {
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
}

function softmaxBackwardJs(
  y: Float32Array,
  g: Float32Array,
  outer: number,
  dim: number,
  inner: number,
  log: boolean,
  gx: Float32Array,
): void {
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
}

registerKernel('softmax', 'js', softmaxJs);
registerKernel('softmaxBackward', 'js', softmaxBackwardJs);
