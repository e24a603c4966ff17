import { registerKernel } from '../registry.js';

declare module '../registry.js' {
  interface Kernels {
    /** x: (outer, dim, inner) → out: (outer, inner) = scale · Σ_dim x (accumulated in float64). */
    reduceSum(
      x: Float32Array,
      outer: number,
      dim: number,
      inner: number,
      scale: number,
      out: Float32Array,
    ): void;
    /** g: (outer, inner) → gx: (outer, dim, inner) += scale · g broadcast along dim. */
    reduceSumBackward(
      g: Float32Array,
      outer: number,
      dim: number,
      inner: number,
      scale: number,
      gx: Float32Array,
    ): void;
    /**
     * x: (outer, dim, inner), dim ≥ 1 → values, argIndex: (outer, inner). The first extreme wins
     * on ties; NaN propagates (its position is the arg), as in PyTorch.
     */
    reduceMax(
      x: Float32Array,
      outer: number,
      dim: number,
      inner: number,
      isMin: boolean,
      values: Float32Array,
      argIndex: Int32Array,
    ): void;
    /** gx[o, argIndex[o, i], i] += g[o, i]. */
    reduceMaxBackward(
      g: Float32Array,
      outer: number,
      dim: number,
      inner: number,
      argIndex: Int32Array,
      gx: Float32Array,
    ): void;
  }
}

function reduceSumJs(
  x: Float32Array,
  outer: number,
  dim: number,
  inner: number,
  scale: number,
  out: Float32Array,
): void {
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      let s = 0;
      const base = o * dim;
      for (let d = 0; d < dim; d++) s += x[base + d]!;
      out[o] = s * scale;
    }
    return;
  }
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    const base = o * dim * inner;
    for (let d = 0; d < dim; d++) {
      const row = base + d * inner;
      for (let i = 0; i < inner; i++) acc[i]! += x[row + i]!;
    }
    const ob = o * inner;
    for (let i = 0; i < inner; i++) out[ob + i] = acc[i]! * scale;
  }
}

function reduceSumBackwardJs(
  g: Float32Array,
  outer: number,
  dim: number,
  inner: number,
  scale: number,
  gx: Float32Array,
): void {
  for (let o = 0; o < outer; o++) {
    const gb = o * inner;
    const base = o * dim * inner;
    for (let d = 0; d < dim; d++) {
      const row = base + d * inner;
      for (let i = 0; i < inner; i++) gx[row + i]! += g[gb + i]! * scale;
    }
  }
}

function reduceMaxJs(
  x: Float32Array,
  outer: number,
  dim: number,
  inner: number,
  isMin: boolean,
  values: Float32Array,
  argIndex: Int32Array,
): void {
  const sign = isMin ? -1 : 1;
  for (let o = 0; o < outer; o++) {
    const base = o * dim * inner;
    for (let i = 0; i < inner; i++) {
      let best = x[base + i]! * sign;
      let arg = 0;
      if (!Number.isNaN(best)) {
        for (let d = 1; d < dim; d++) {
          const v = x[base + d * inner + i]! * sign;
          if (v > best) {
            best = v;
            arg = d;
          } else if (Number.isNaN(v)) {
            best = v;
            arg = d;
            break;
          }
        }
      }
      values[o * inner + i] = best * sign;
      argIndex[o * inner + i] = arg;
    }
  }
}

function reduceMaxBackwardJs(
  g: Float32Array,
  outer: number,
  dim: number,
  inner: number,
  argIndex: Int32Array,
  gx: Float32Array,
): void {
  for (let o = 0; o < outer; o++) {
    const base = o * dim * inner;
    const gb = o * inner;
    for (let i = 0; i < inner; i++) gx[base + argIndex[gb + i]! * inner + i]! += g[gb + i]!;
  }
}

registerKernel('reduceSum', 'js', reduceSumJs);
registerKernel('reduceSumBackward', 'js', reduceSumBackwardJs);
registerKernel('reduceMax', 'js', reduceMaxJs);
registerKernel('reduceMaxBackward', 'js', reduceMaxBackwardJs);
