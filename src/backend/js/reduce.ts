import { type Kernels, registerKernel } from '../registry.js';

const reduceSumJs: Kernels['reduceSum'] = function reduceSumJs(x, outer, dim, inner, scale, out) {
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
};

const reduceSumBackwardJs: Kernels['reduceSumBackward'] = function reduceSumBackwardJs(
  g,
  outer,
  dim,
  inner,
  scale,
  gx,
) {
  for (let o = 0; o < outer; o++) {
    const gb = o * inner;
    const base = o * dim * inner;
    for (let d = 0; d < dim; d++) {
      const row = base + d * inner;
      for (let i = 0; i < inner; i++) gx[row + i]! += g[gb + i]! * scale;
    }
  }
};

const reduceMaxJs: Kernels['reduceMax'] = function reduceMaxJs(
  x,
  outer,
  dim,
  inner,
  isMin,
  values,
  argIndex,
) {
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
};

const reduceMaxBackwardJs: Kernels['reduceMaxBackward'] = function reduceMaxBackwardJs(
  g,
  outer,
  dim,
  inner,
  argIndex,
  gx,
) {
  for (let o = 0; o < outer; o++) {
    const base = o * dim * inner;
    const gb = o * inner;
    for (let i = 0; i < inner; i++) gx[base + argIndex[gb + i]! * inner + i]! += g[gb + i]!;
  }
};

registerKernel('reduceSum', 'js', reduceSumJs);
registerKernel('reduceSumBackward', 'js', reduceSumBackwardJs);
registerKernel('reduceMax', 'js', reduceMaxJs);
registerKernel('reduceMaxBackward', 'js', reduceMaxBackwardJs);
