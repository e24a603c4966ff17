import { type Kernels, registerKernel } from '../registry.js';

const maskedFillJs: Kernels['maskedFill'] = function maskedFillJs(x, mask, value, out) {
  const n = x.length;
  for (let i = 0; i < n; i++) out[i] = mask[i] !== 0 ? value : x[i]!;
};

const selectJs: Kernels['select'] = function selectJs(cond, a, b, out) {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = cond[i] !== 0 ? a[i]! : b[i]!;
};

const selectBackwardJs: Kernels['selectBackward'] = function selectBackwardJs(cond, g, ga, gb) {
  const n = g.length;
  if (ga) for (let i = 0; i < n; i++) if (cond[i] !== 0) ga[i]! += g[i]!;
  if (gb) for (let i = 0; i < n; i++) if (cond[i] === 0) gb[i]! += g[i]!;
};

registerKernel('maskedFill', 'js', maskedFillJs);
registerKernel('select', 'js', selectJs);
registerKernel('selectBackward', 'js', selectBackwardJs);
