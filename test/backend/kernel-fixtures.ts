import { readFileSync } from 'node:fs';
import { CONTRACT, type KernelName, type Kernels } from '../../src/backend/contract.js';

/** One case of fixtures/kernels/kernels.txt (scripts/fixtures_kernels.py, PyTorch). */
export interface KernelCase {
  name: string;
  kind: 'lstm' | 'lstm_proj' | 'gru' | 'rnn_tanh' | 'rnn_relu' | 'gemm';
  dims: Record<string, number>;
  lengths: Int32Array | null;
  arrays: Record<string, Float32Array>;
  /**
   * x's rows as rows of a (V, E) embedding (row r is row tokens[r]; paddingIdx gets no gradient):
   * the backward then adds the input gradient into dEmbedding instead of dx.
   */
  embedded?: { tokens: Int32Array; V: number; paddingIdx: number };
}

/** Parses the fixture file: `case` header lines, `lengths`, `name count values…`, `end`. */
export function loadKernelCases(): KernelCase[] {
  const text = readFileSync(new URL('../../fixtures/kernels/kernels.txt', import.meta.url), 'utf8');
  const cases: KernelCase[] = [];
  let current: KernelCase | null = null;
  for (const line of text.split('\n')) {
    const [head, ...rest] = line.trim().split(/\s+/);
    if (!head || head.startsWith('#')) continue;
    if (head === 'case') {
      const dims: Record<string, number> = {};
      for (let i = 2; i + 1 < rest.length; i += 2) dims[rest[i]!] = Number(rest[i + 1]);
      current = { name: rest[0]!, kind: rest[1] as KernelCase['kind'], dims, lengths: null, arrays: {} };
    } else if (head === 'end') {
      cases.push(current!);
    } else if (head === 'lengths') {
      current!.lengths = Int32Array.from(rest.map(Number));
    } else {
      const values = rest.slice(1).map(Number);
      if (values.length !== Number(rest[0])) throw new Error(`kernels.txt: ${head} has a wrong count`);
      current!.arrays[head] = Float32Array.from(values);
    }
  }
  return cases;
}

const RECURRENT = [
  'lstmForward',
  'lstmBackward',
  'gruForward',
  'gruBackward',
  'rnnForward',
  'rnnBackward',
] as const;
type Recurrent = Pick<Kernels, (typeof RECURRENT)[number]>;

/** The kernels runRecurrent calls, each as `kernel(name)` gives it (one backend's, or with a fallback). */
export function recurrentKernels(kernel: <K extends KernelName>(name: K) => Kernels[K]): Recurrent {
  return Object.fromEntries(RECURRENT.map((n) => [n, kernel(n)])) as unknown as Recurrent;
}

const zeros = (n: number) => new Float32Array(n);

/** Calls kernel `name` with the values of `env` named as the contract names its arguments (absent: null). */
function invoke<K extends KernelName>(name: K, fn: Kernels[K], env: Record<string, unknown>): void {
  const args = CONTRACT[name].args.map((a) => env[a.name] ?? null);
  (fn as (...a: unknown[]) => void)(...args);
}

const PAIRS = {
  lstm: ['lstmForward', 'lstmBackward'],
  lstm_proj: ['lstmForward', 'lstmBackward'],
  gru: ['gruForward', 'gruBackward'],
  rnn_tanh: ['rnnForward', 'rnnBackward'],
  rnn_relu: ['rnnForward', 'rnnBackward'],
} as const;

/**
 * Runs a recurrent case's forward and backward on `k`; returns its outputs and gradients under
 * the fixture's names (out, hN, cN, dx or dEmbedding, dh0, dc0, dWih, dWhh, dWhr, dbIh, dbHh). Gradients start
 * from `start(name, n)` (zeros by default), since the kernels add into them.
 */
export function runRecurrent(
  c: KernelCase,
  k: Recurrent,
  start: (name: string, n: number) => Float32Array = (_, n) => zeros(n),
): Record<string, Float32Array> {
  const { T, B, E, H, P } = c.dims as Record<string, number>;
  const lstm = c.kind.startsWith('lstm');
  const [TB, R] = [T! * B!, P || H!];
  const G = (lstm ? 4 : c.kind === 'gru' ? 3 : 1) * H!;
  const results: Record<string, Float32Array> = {
    out: zeros(TB * R),
    hN: zeros(B! * R),
    ...(lstm ? { cN: zeros(B! * H!) } : {}),
  };
  const embedded = c.embedded;
  const grads: Array<[string, number]> = [
    embedded ? ['dEmbedding', embedded.V * E!] : ['dx', TB * E!],
    ['dh0', B! * R],
    ['dWih', G * E!],
    ['dWhh', G * R],
    ['dbIh', G],
    ['dbHh', G],
    ...(lstm ? ([['dc0', B! * H!]] as Array<[string, number]>) : []),
    ...(P ? ([['dWhr', P * H!]] as Array<[string, number]>) : []),
  ];
  for (const [name, n] of grads) results[name] = start(name, n);
  // What the forward saves for the backward: LSTM gates (G), cells and m; GRU gates (4H).
  const saved = {
    gates: zeros(TB * (lstm ? G : 4 * H!)),
    cells: zeros(TB * H!),
    hidden: P ? zeros(TB * H!) : null,
  };
  const env = {
    ...c.dims,
    ...c.arrays,
    ...results,
    ...saved,
    lengths: c.lengths,
    relu: c.kind === 'rnn_relu',
    V: embedded?.V ?? 0,
    tokens: embedded?.tokens ?? null,
    paddingIdx: embedded?.paddingIdx ?? -1,
  };
  Object.assign(env, { reverse: c.dims.reverse === 1 });
  const [forward, backward] = PAIRS[c.kind as keyof typeof PAIRS];
  invoke(forward, k[forward], env);
  invoke(backward, k[backward], env);
  return results;
}

/** A gemm case: C0 + op(A)·op(B), accumulated into a copy of C0. */
export function runGemm(c: KernelCase, gemm: Kernels['gemm']): Float32Array {
  const { m, n, k, transA, transB } = c.dims as Record<string, number>;
  const out = c.arrays.c0!.slice();
  const lda = transA ? m! : k!;
  const ldb = transB ? k! : n!;
  gemm(transA === 1, transB === 1, m!, n!, k!, c.arrays.a!, 0, lda, c.arrays.b!, 0, ldb, out, 0, n!, true);
  return out;
}
