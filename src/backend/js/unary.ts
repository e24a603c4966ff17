import { type KernelArgs, type Kernels, registerKernel } from '../registry.js';

/** The operations of the unary kernels. */
export type UnaryOp = KernelArgs<'unary'>[0];

const unaryJs: Kernels['unary'] = function unaryJs(op, x, out) {
  const n = x.length;
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -x[i]!;
      break;
    case 'exp':
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]!);
      break;
    case 'log':
      for (let i = 0; i < n; i++) out[i] = Math.log(x[i]!);
      break;
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]!);
      break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) out[i] = sigmoid(x[i]!);
      break;
    case 'relu':
      for (let i = 0; i < n; i++) out[i] = Math.max(x[i]!, 0); // NaN stays NaN, as in PyTorch
      break;
    case 'sqrt':
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]!);
      break;
    case 'abs':
      for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]!);
      break;
  }
};

/** Logistic function, stable for large |v|. */
export function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

const unaryBackwardJs: Kernels['unaryBackward'] = function unaryBackwardJs(op, x, y, g, gx) {
  const n = g.length;
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) gx[i]! -= g[i]!;
      break;
    case 'exp':
      for (let i = 0; i < n; i++) gx[i]! += g[i]! * y[i]!;
      break;
    case 'log':
      for (let i = 0; i < n; i++) gx[i]! += g[i]! / x[i]!;
      break;
    case 'tanh':
      for (let i = 0; i < n; i++) gx[i]! += g[i]! * (1 - y[i]! * y[i]!);
      break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) gx[i]! += g[i]! * y[i]! * (1 - y[i]!);
      break;
    case 'relu':
      for (let i = 0; i < n; i++) if (x[i]! > 0) gx[i]! += g[i]!;
      break;
    case 'sqrt':
      for (let i = 0; i < n; i++) gx[i]! += (0.5 * g[i]!) / y[i]!;
      break;
    case 'abs':
      for (let i = 0; i < n; i++) gx[i]! += x[i]! > 0 ? g[i]! : x[i]! < 0 ? -g[i]! : 0;
      break;
  }
};

registerKernel('unary', 'js', unaryJs);
registerKernel('unaryBackward', 'js', unaryBackwardJs);
