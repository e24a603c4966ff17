import {
  dims,
  f32,
  flag,
  i32,
  int,
  type KernelFn,
  kernel,
  lengths,
  matrix,
  nullable,
  num,
  oneOf,
  packed,
  typed,
} from './contract-spec.js';

/*
 * The kernel contract: every kernel, declared once. A kernel takes typed arrays, numbers and flags
 * in a fixed positional order (positional, because a batch-1 streaming step is a few µs and an
 * argument object would cost more than the step). Each backend implements the kernels it speeds
 * up; the JS kernels (src/backend/js/) implement all of them and are the reference.
 *
 * - TypeScript: `Kernels` (below) is derived from this table, so the JS kernels, the native
 *   registration and every call site are type-checked against it.
 * - Native: scripts/gen-native-contract.ts turns the entries marked `native` into
 *   native/src/generated/contract.h: one struct of named, typed fields per kernel, the visitor that
 *   fills it from the positional arguments, and the length checks. The C++ kernel receives the
 *   checked struct (`void lstmForward(const LstmForwardArgs& a)`); addon.cc binds them all with one
 *   generic N-API entry point. test/native/contract.test.ts fails when the header is stale.
 * - WebAssembly (next): the same generated struct and visitor, with a reader over linear memory
 *   instead of N-API. The JS side marshals by this table: for each argument in order, an int, num,
 *   flag or enum index becomes a number slot; an array is copied into the module's heap (roles 'in'
 *   and 'inout'), passed as (pointer, length) (null: pointer 0, length −1), and copied back after
 *   the call (roles 'out' and 'inout'). Lengths are checked by the same generated code.
 *
 * Shapes use DESIGN.md's letters: T time, B batch, E input, H hidden, G gate rows, R state size.
 */

// Sequences are time-major; `lengths` are per-sample valid lengths (right padding), null for all T.
const SEQ = 'x: (T, B, E), lengths: (B) in [0, T] or null, reverse runs each sample from its last step.';

// A recurrent backward whose input rows are an embedding's: x's row t·B + b is row tokens[t·B + b] of a
// (V, E) weight. The kernel then groups the rows by token (rows of one token are equal) and adds the
// input gradient straight into that weight's gradient, never forming dx.
const EMBEDDED =
  "tokens: (T, B) in [0, V) or null, the embedding rows x is made of; dEmbedding: (V, E), needs tokens, gets dEmbedding[tokens[t, b], :] += dx[t, b, :] (what embeddingBackward would add from dx), skipping rows whose token equals paddingIdx (−1: none) and steps past a sample's length.";
const EMBEDDED_INPUT = [
  int('V'),
  nullable({ ...i32('tokens', 'T * B'), max: 'V - 1' }),
  num('paddingIdx'),
  nullable(f32('dEmbedding', 'V * E', 'inout')),
] as const;

export const CONTRACT = {
  gemm: kernel({
    doc: 'Row-major SGEMM: C(m×n) = [C +] op(A)(m×k) · op(B)(k×n), op transposing when asked. A is read as A[aOff + i·lda + p] (A[aOff + p·lda + i] when transA), B likewise.',
    native: true,
    args: [
      flag('transA'),
      flag('transB'),
      int('m'),
      int('n'),
      int('k'),
      matrix(f32('a'), {
        offset: 'aOff',
        rows: 'transA ? k : m',
        cols: 'transA ? m : k',
        ld: 'lda',
        when: 'm > 0 && n > 0',
      }),
      int('aOff'),
      int('lda'),
      matrix(f32('b'), {
        offset: 'bOff',
        rows: 'transB ? n : k',
        cols: 'transB ? k : n',
        ld: 'ldb',
        when: 'm > 0 && n > 0',
      }),
      int('bOff'),
      int('ldb'),
      matrix(f32('c', '', 'inout'), { offset: 'cOff', rows: 'm', cols: 'n', ld: 'ldc', when: '' }),
      int('cOff'),
      int('ldc'),
      flag('accumulate'),
    ],
  }),
  gemmPackB: kernel({
    doc: 'Packs op(B) (k×n, read as in gemm) for gemmPacked. A backend that implements one of the two implements both: the packed layout is its own.',
    returns: 'packed',
    args: [flag('transB'), int('k'), int('n'), f32('b'), int('bOff'), int('ldb')],
  }),
  gemmPacked: kernel({
    doc: 'gemm with a right-hand side packed by gemmPackB.',
    args: [
      flag('transA'),
      int('m'),
      int('n'),
      int('k'),
      f32('a'),
      int('aOff'),
      int('lda'),
      packed('b'),
      f32('c', '', 'inout'),
      int('cOff'),
      int('ldc'),
      flag('accumulate'),
    ],
  }),

  binary: kernel({
    doc: 'out(outShape) = a ∘ b with NumPy broadcasting.',
    native: true,
    args: [
      oneOf('op', ['add', 'sub', 'mul', 'div']),
      f32('a', 'numel(aShape)'),
      dims('aShape'),
      f32('b', 'numel(bShape)'),
      dims('bShape'),
      f32('out', 'numel(outShape)', 'out'),
      dims('outShape'),
    ],
  }),
  sumToShape: kernel({
    doc: 'dst(dstShape) += src(srcShape) summed over the dimensions dst broadcasts along.',
    native: true,
    args: [
      f32('src', 'numel(srcShape)'),
      dims('srcShape'),
      f32('dst', 'numel(dstShape)', 'inout'),
      dims('dstShape'),
    ],
  }),
  unary: kernel({
    doc: 'out = f(x) elementwise; transcendental functions in double, rounded once.',
    native: true,
    args: [
      oneOf('op', ['neg', 'exp', 'log', 'tanh', 'sigmoid', 'relu', 'sqrt', 'abs']),
      f32('x'),
      f32('out', 'x.length', 'out'),
    ],
  }),
  unaryBackward: kernel({
    doc: 'gx += gOut · f′, f′ computed from the input x and/or the output y (whichever is cheaper).',
    native: true,
    args: [
      oneOf('op', ['neg', 'exp', 'log', 'tanh', 'sigmoid', 'relu', 'sqrt', 'abs']),
      f32('x', 'gOut.length'),
      f32('y', 'gOut.length'),
      f32('gOut'),
      f32('gx', 'gOut.length', 'inout'),
    ],
  }),
  pow: kernel({
    doc: 'out = x^p elementwise.',
    args: [f32('x'), num('p'), f32('out', 'x.length', 'out')],
  }),
  powBackward: kernel({
    doc: 'gx += g · p · x^(p−1) (zero when p = 0).',
    args: [f32('x'), num('p'), f32('g', 'x.length'), f32('gx', 'x.length', 'inout')],
  }),
  clamp: kernel({
    doc: 'out = min(max(x, lo), hi); ∓Infinity for an open side.',
    args: [f32('x'), num('lo'), num('hi'), f32('out', 'x.length', 'out')],
  }),
  clampBackward: kernel({
    doc: 'gx += g where lo ≤ x ≤ hi (PyTorch passes the gradient at the bounds).',
    args: [f32('x'), num('lo'), num('hi'), f32('g', 'x.length'), f32('gx', 'x.length', 'inout')],
  }),
  maskedFill: kernel({
    doc: 'out = mask ≠ 0 ? value : x.',
    args: [f32('x'), typed('mask', 'x.length'), num('value'), f32('out', 'x.length', 'out')],
  }),
  select: kernel({
    doc: 'out = cond ≠ 0 ? a : b.',
    args: [
      typed('cond', 'out.length'),
      f32('a', 'out.length'),
      f32('b', 'out.length'),
      f32('out', '', 'out'),
    ],
  }),
  selectBackward: kernel({
    doc: 'ga += cond ≠ 0 ? g : 0, gb += cond ≠ 0 ? 0 : g; either may be null (not needed).',
    args: [
      typed('cond', 'g.length'),
      f32('g'),
      nullable(f32('ga', 'g.length', 'inout')),
      nullable(f32('gb', 'g.length', 'inout')),
    ],
  }),

  softmax: kernel({
    doc: 'x: (outer, dim, inner) → out, same shape: softmax (log-softmax when `log`) along dim, the slice maximum subtracted first.',
    args: [
      f32('x', 'outer * dim * inner'),
      int('outer'),
      int('dim'),
      int('inner'),
      flag('log'),
      f32('out', 'outer * dim * inner', 'out'),
    ],
  }),
  softmaxBackward: kernel({
    doc: 'y: the forward output, g: its gradient; gx += J(y)ᵀ g along dim: softmax y ⊙ (g − Σ g⊙y), log-softmax g − exp(y) · Σ g.',
    args: [
      f32('y', 'outer * dim * inner'),
      f32('g', 'outer * dim * inner'),
      int('outer'),
      int('dim'),
      int('inner'),
      flag('log'),
      f32('gx', 'outer * dim * inner', 'inout'),
    ],
  }),
  reduceSum: kernel({
    doc: 'x: (outer, dim, inner) → out: (outer, inner) = scale · Σ_dim x (accumulated in float64).',
    args: [
      f32('x', 'outer * dim * inner'),
      int('outer'),
      int('dim'),
      int('inner'),
      num('scale'),
      f32('out', 'outer * inner', 'out'),
    ],
  }),
  reduceSumBackward: kernel({
    doc: 'g: (outer, inner) → gx: (outer, dim, inner) += scale · g broadcast along dim.',
    args: [
      f32('g', 'outer * inner'),
      int('outer'),
      int('dim'),
      int('inner'),
      num('scale'),
      f32('gx', 'outer * dim * inner', 'inout'),
    ],
  }),
  reduceMax: kernel({
    doc: 'x: (outer, dim, inner), dim ≥ 1 → values, argIndex: (outer, inner). The first extreme wins on ties; NaN propagates (its position is the arg), as in PyTorch.',
    args: [
      f32('x', 'outer * dim * inner'),
      int('outer'),
      int('dim', 1),
      int('inner'),
      flag('isMin'),
      f32('values', 'outer * inner', 'out'),
      i32('argIndex', 'outer * inner', 'out'),
    ],
  }),
  reduceMaxBackward: kernel({
    doc: 'gx[o, argIndex[o, i], i] += g[o, i].',
    args: [
      f32('g', 'outer * inner'),
      int('outer'),
      int('dim'),
      int('inner'),
      i32('argIndex', 'outer * inner'),
      f32('gx', 'outer * dim * inner', 'inout'),
    ],
  }),
  copyRows: kernel({
    doc: 'Strided block copy: dst[dOff + r·dStride + c] (+)= src[sOff + r·sStride + c] for r < rows, c < cols. Concat, split, slice and stack are this copy with different strides.',
    native: true,
    args: [
      matrix(typed('src'), { offset: 'sOff', rows: 'rows', cols: 'cols', ld: 'sStride', when: '' }),
      int('sOff'),
      int('sStride'),
      matrix(typed('dst', '', 'inout'), {
        offset: 'dOff',
        rows: 'rows',
        cols: 'cols',
        ld: 'dStride',
        when: '',
      }),
      int('dOff'),
      int('dStride'),
      int('rows'),
      int('cols'),
      flag('accumulate'),
    ],
  }),
  permute: kernel({
    doc: 'x: shape, out: (shape[perm[0]], …, shape[perm[r−1]]); out (+)= x with its axes reordered.',
    native: true,
    args: [
      typed('x', 'numel(shape)'),
      dims('shape'),
      dims('perm'),
      typed('out', 'numel(shape)', 'inout'),
      flag('accumulate'),
    ],
  }),
  indexSelect: kernel({
    doc: 'x: (outer, dim, inner), index: (K), out: (outer, K, inner). out[o, k, :] = x[o, index[k], :].',
    args: [
      typed('x', 'outer * dim * inner'),
      int('outer'),
      int('dim'),
      int('inner'),
      i32('index'),
      typed('out', 'outer * index.length * inner', 'out'),
    ],
  }),
  indexAdd: kernel({
    doc: 'g: (outer, K, inner), gx: (outer, dim, inner). gx[o, index[k], :] += g[o, k, :].',
    args: [
      f32('g', 'outer * index.length * inner'),
      int('outer'),
      int('dim'),
      int('inner'),
      i32('index'),
      f32('gx', 'outer * dim * inner', 'inout'),
    ],
  }),
  gather: kernel({
    doc: "PyTorch `gather` along `axis`: out and index share indexShape (same rank as xShape, each dim ≤ x's off the axis); out[…i_axis…] = x[…index[…]…].",
    args: [
      typed('x', 'numel(xShape)'),
      dims('xShape'),
      int('axis'),
      i32('index', 'numel(indexShape)'),
      dims('indexShape'),
      typed('out', 'numel(indexShape)', 'out'),
    ],
  }),
  scatterAdd: kernel({
    doc: 'The adjoint of gather: gx[…index[…]…] += g[…] (repeated targets accumulate).',
    args: [
      f32('g', 'numel(indexShape)'),
      dims('indexShape'),
      int('axis'),
      i32('index', 'numel(indexShape)'),
      f32('gx', 'numel(xShape)', 'inout'),
      dims('xShape'),
    ],
  }),
  broadcastTo: kernel({
    doc: 'dst(dstShape) = src(srcShape) repeated along the dimensions src broadcasts over.',
    args: [
      typed('src', 'numel(srcShape)'),
      dims('srcShape'),
      typed('dst', 'numel(dstShape)', 'out'),
      dims('dstShape'),
    ],
  }),

  embeddingForward: kernel({
    doc: 'weight: (V, e), indices: (N) each in [0, V), out: (N, e). out[n, :] = weight[indices[n], :].',
    native: true,
    args: [f32('weight'), int('e', 1), i32('indices'), f32('out', 'indices.length * e', 'out')],
  }),
  embeddingBackward: kernel({
    doc: 'gOut: (N, e), gWeight: (V, e). gWeight[indices[n], :] += gOut[n, :], skipping rows whose index equals paddingIdx (−1: none). Repeated indices accumulate.',
    native: true,
    args: [
      f32('gOut', 'indices.length * e'),
      int('e', 1),
      i32('indices'),
      num('paddingIdx'),
      f32('gWeight', '', 'inout'),
    ],
  }),
  adamStep: kernel({
    doc: "One Adam/AdamW update in place, PyTorch 1.13's single-tensor rule. param, grad, m, v, vmax: (n). `decoupled` applies weight decay as AdamW (param ·= 1 − lr·wd) instead of adding wd·param to the gradient; vmax (AMSGrad) is null when unused. `step` counts this update.",
    native: true,
    args: [
      f32('param', '', 'inout'),
      f32('grad', 'param.length'),
      f32('m', 'param.length', 'inout'),
      f32('v', 'param.length', 'inout'),
      nullable(f32('vmax', 'param.length', 'inout')),
      num('lr'),
      num('beta1'),
      num('beta2'),
      num('eps'),
      num('weightDecay'),
      flag('decoupled'),
      flag('maximize'),
      num('step'),
    ],
  }),

  rnnForward: kernel({
    doc: `Elman RNN, one layer and direction: h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), act tanh or relu. ${SEQ} out: (T, B, H), 0 past a sample's length, also what backward reads.`,
    native: true,
    args: [
      int('T'),
      int('B'),
      int('E'),
      int('H', 1),
      flag('relu'),
      f32('x', 'T * B * E'),
      f32('wIh', 'H * E'),
      f32('wHh', 'H * H'),
      nullable(f32('bIh', 'H')),
      nullable(f32('bHh', 'H')),
      f32('h0', 'B * H'),
      lengths('lengths', 'B', 'T'),
      flag('reverse'),
      f32('out', 'T * B * H', 'out'),
      f32('hN', 'B * H', 'out'),
    ],
  }),
  rnnBackward: kernel({
    doc: `BPTT for rnnForward: adds (+=) into every non-null gradient, from the upstream gradients of out and hN (null: zero). ${EMBEDDED}`,
    native: true,
    args: [
      int('T'),
      int('B'),
      int('E'),
      int('H', 1),
      flag('relu'),
      f32('x', 'T * B * E'),
      f32('wIh', 'H * E'),
      f32('wHh', 'H * H'),
      f32('h0', 'B * H'),
      lengths('lengths', 'B', 'T'),
      flag('reverse'),
      f32('out', 'T * B * H'),
      nullable(f32('dOut', 'T * B * H')),
      nullable(f32('dhN', 'B * H')),
      nullable(f32('dx', 'T * B * E', 'inout')),
      ...EMBEDDED_INPUT,
      nullable(f32('dh0', 'B * H', 'inout')),
      nullable(f32('dWih', 'H * E', 'inout')),
      nullable(f32('dWhh', 'H * H', 'inout')),
      nullable(f32('dbIh', 'H', 'inout')),
      nullable(f32('dbHh', 'H', 'inout')),
    ],
  }),
  lstmForward: kernel({
    doc: `LSTM, one layer and direction, gates packed i, f, g, o: c' = f ⊙ c + i ⊙ g, m = o ⊙ tanh(c'), h' = m (P = 0) or m·W_hrᵀ (projection to P < H). ${SEQ} Saved for backward: gates (T, B, G) the activated gates, cells (T, B, H) c after each step, hidden (T, B, H) m (only when P > 0); null for any of them when no backward will run (the backend then works in scratch of its own).`,
    native: true,
    sizes: { G: '4 * H', R: 'P > 0 ? P : H' },
    args: [
      int('T'),
      int('B'),
      int('E'),
      int('H', 1),
      int('P'),
      f32('x', 'T * B * E'),
      f32('wIh', 'G * E'),
      f32('wHh', 'G * R'),
      nullable(f32('wHr', 'P * H')),
      nullable(f32('bIh', 'G')),
      nullable(f32('bHh', 'G')),
      f32('h0', 'B * R'),
      f32('c0', 'B * H'),
      lengths('lengths', 'B', 'T'),
      flag('reverse'),
      f32('out', 'T * B * R', 'out'),
      f32('hN', 'B * R', 'out'),
      f32('cN', 'B * H', 'out'),
      nullable(f32('gates', 'T * B * G', 'out')),
      nullable(f32('cells', 'T * B * H', 'out')),
      nullable(f32('hidden', 'P > 0 ? T * B * H : 0', 'out')),
    ],
  }),
  lstmBackward: kernel({
    doc: `BPTT for lstmForward: adds (+=) into every non-null gradient, from the upstream gradients of out (T, B, R), hN (B, R) and cN (B, H) (null: zero). ${EMBEDDED}`,
    native: true,
    sizes: { G: '4 * H', R: 'P > 0 ? P : H' },
    args: [
      int('T'),
      int('B'),
      int('E'),
      int('H', 1),
      int('P'),
      f32('x', 'T * B * E'),
      f32('wIh', 'G * E'),
      f32('wHh', 'G * R'),
      nullable(f32('wHr', 'P * H')),
      f32('h0', 'B * R'),
      f32('c0', 'B * H'),
      lengths('lengths', 'B', 'T'),
      flag('reverse'),
      f32('out', 'T * B * R'),
      f32('gates', 'T * B * G'),
      f32('cells', 'T * B * H'),
      nullable(f32('hidden', 'P > 0 ? T * B * H : 0')),
      nullable(f32('dOut', 'T * B * R')),
      nullable(f32('dhN', 'B * R')),
      nullable(f32('dcN', 'B * H')),
      nullable(f32('dx', 'T * B * E', 'inout')),
      ...EMBEDDED_INPUT,
      nullable(f32('dh0', 'B * R', 'inout')),
      nullable(f32('dc0', 'B * H', 'inout')),
      nullable(f32('dWih', 'G * E', 'inout')),
      nullable(f32('dWhh', 'G * R', 'inout')),
      nullable(f32('dWhr', 'P * H', 'inout')),
      nullable(f32('dbIh', 'G', 'inout')),
      nullable(f32('dbHh', 'G', 'inout')),
    ],
  }),
  gruForward: kernel({
    doc: `GRU, one layer and direction, gates packed r, z, n: r = σ(W_ir x + b_ir + W_hr h + b_hr), z likewise, n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h. ${SEQ} Saved for backward: gates (T, B, 4H) r, z, n and W_hn h + b_hn of each step; null when no backward will run (the backend then works in scratch of its own).`,
    native: true,
    sizes: { G: '3 * H', S: '4 * H' },
    args: [
      int('T'),
      int('B'),
      int('E'),
      int('H', 1),
      f32('x', 'T * B * E'),
      f32('wIh', 'G * E'),
      f32('wHh', 'G * H'),
      nullable(f32('bIh', 'G')),
      nullable(f32('bHh', 'G')),
      f32('h0', 'B * H'),
      lengths('lengths', 'B', 'T'),
      flag('reverse'),
      f32('out', 'T * B * H', 'out'),
      f32('hN', 'B * H', 'out'),
      nullable(f32('gates', 'T * B * S', 'out')),
    ],
  }),
  gruBackward: kernel({
    doc: `BPTT for gruForward: adds (+=) into every non-null gradient, from the upstream gradients of out and hN (null: zero). ${EMBEDDED}`,
    native: true,
    sizes: { G: '3 * H', S: '4 * H' },
    args: [
      int('T'),
      int('B'),
      int('E'),
      int('H', 1),
      f32('x', 'T * B * E'),
      f32('wIh', 'G * E'),
      f32('wHh', 'G * H'),
      f32('h0', 'B * H'),
      lengths('lengths', 'B', 'T'),
      flag('reverse'),
      f32('out', 'T * B * H'),
      f32('gates', 'T * B * S'),
      nullable(f32('dOut', 'T * B * H')),
      nullable(f32('dhN', 'B * H')),
      nullable(f32('dx', 'T * B * E', 'inout')),
      ...EMBEDDED_INPUT,
      nullable(f32('dh0', 'B * H', 'inout')),
      nullable(f32('dWih', 'G * E', 'inout')),
      nullable(f32('dWhh', 'G * H', 'inout')),
      nullable(f32('dbIh', 'G', 'inout')),
      nullable(f32('dbHh', 'G', 'inout')),
    ],
  }),
  maskedPool: kernel({
    doc: "x: (B, T, F) batch-first, right-padded → out: (B, F), the max or mean over each sample's first lengths[b] steps (null: all T). Max: the first maximum wins, NaN propagates, argIndex (B, F) gets its step (null: not needed), no valid step gives −Infinity and step −1; mean: no valid step gives NaN, as 0/0, and argIndex is all −1.",
    native: true,
    args: [
      f32('x', 'B * T * F'),
      int('B'),
      int('T'),
      int('F'),
      lengths('lengths', 'B', 'T'),
      oneOf('mode', ['max', 'mean']),
      f32('out', 'B * F', 'out'),
      nullable(i32('argIndex', 'B * F', 'out')),
    ],
  }),
  maskedPoolBackward: kernel({
    doc: "g: (B, F), the gradient of maskedPool's out → gx: (B, T, F) +=: max, g at the step argIndex names (none outside [0, T), as −1); mean, g / lengths[b] at each valid step.",
    native: true,
    args: [
      f32('g', 'B * F'),
      int('B'),
      int('T'),
      int('F'),
      lengths('lengths', 'B', 'T'),
      oneOf('mode', ['max', 'mean']),
      nullable(i32('argIndex', 'B * F')),
      f32('gx', 'B * T * F', 'inout'),
    ],
  }),
} as const;

export type KernelName = keyof typeof CONTRACT;

/** Every kernel's function type, derived from {@link CONTRACT}. */
export type Kernels = { [K in KernelName]: KernelFn<(typeof CONTRACT)[K]> };

/** The positional arguments of kernel K. */
export type KernelArgs<K extends KernelName> = Parameters<Kernels[K]>;

export const KERNEL_NAMES = Object.keys(CONTRACT) as KernelName[];
