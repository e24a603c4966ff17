import { readFileSync } from 'node:fs';
import type { Kernels } from '../../src/backend/contract.js';

/** One case of fixtures/kernels/kernels.txt (scripts/fixtures_kernels.py, PyTorch). */
export interface KernelCase {
  name: string;
  kind: 'lstm' | 'lstm_proj' | 'gru' | 'rnn_tanh' | 'rnn_relu' | 'gemm';
  dims: Record<string, number>;
  lengths: Int32Array | null;
  arrays: Record<string, Float32Array>;
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

type Recurrent = Pick<
  Kernels,
  'lstmForward' | 'lstmBackward' | 'gruForward' | 'gruBackward' | 'rnnForward' | 'rnnBackward'
>;

const zeros = (n: number) => new Float32Array(n);

/**
 * Runs a recurrent case's forward and backward on `k`; returns its outputs and gradients under
 * the fixture's names (out, hN, cN, dx, dh0, dc0, dWih, dWhh, dWhr, dbIh, dbHh). Gradients start
 * from `start(name, n)` (zeros by default), since the kernels add into them. Absent biases are null.
 */
export function runRecurrent(
  c: KernelCase,
  k: Recurrent,
  start: (name: string, n: number) => Float32Array = (_, n) => zeros(n),
): Record<string, Float32Array> {
  const { T, B, E, H, P, reverse } = c.dims as Record<string, number>;
  const a = c.arrays;
  const rev = reverse === 1;
  const R = P || H;
  const G = (c.kind.startsWith('lstm') ? 4 : c.kind === 'gru' ? 3 : 1) * H!;
  const r: Record<string, Float32Array> = {
    out: zeros(T! * B! * R!),
    hN: zeros(B! * R!),
    dx: start('dx', T! * B! * E!),
    dh0: start('dh0', B! * R!),
    dWih: start('dWih', G * E!),
    dWhh: start('dWhh', G * R!),
    dbIh: start('dbIh', G),
    dbHh: start('dbHh', G),
  };
  const [bIh, bHh] = [a.bIh ?? null, a.bHh ?? null];
  const L = c.lengths;
  if (c.kind.startsWith('lstm')) {
    Object.assign(r, { cN: zeros(B! * H!), dc0: start('dc0', B! * H!), dWhr: start('dWhr', P! * H!) });
    const [gates, cells, hidden] = [zeros(T! * B! * G), zeros(T! * B! * H!), P ? zeros(T! * B! * H!) : null];
    const wHr = a.wHr ?? null;
    k.lstmForward(
      T!,
      B!,
      E!,
      H!,
      P!,
      a.x!,
      a.wIh!,
      a.wHh!,
      wHr,
      bIh,
      bHh,
      a.h0!,
      a.c0!,
      L,
      rev,
      r.out!,
      r.hN!,
      r.cN!,
      gates,
      cells,
      hidden,
    );
    k.lstmBackward(
      T!,
      B!,
      E!,
      H!,
      P!,
      a.x!,
      a.wIh!,
      a.wHh!,
      wHr,
      a.h0!,
      a.c0!,
      L,
      rev,
      r.out!,
      gates,
      cells,
      hidden,
      a.dOut!,
      a.dhN!,
      a.dcN!,
      r.dx!,
      r.dh0!,
      r.dc0!,
      r.dWih!,
      r.dWhh!,
      P ? r.dWhr! : null,
      r.dbIh!,
      r.dbHh!,
    );
    if (!P) delete r.dWhr;
  } else if (c.kind === 'gru') {
    const gates = zeros(T! * B! * 4 * H!);
    k.gruForward(T!, B!, E!, H!, a.x!, a.wIh!, a.wHh!, bIh, bHh, a.h0!, L, rev, r.out!, r.hN!, gates);
    k.gruBackward(
      T!,
      B!,
      E!,
      H!,
      a.x!,
      a.wIh!,
      a.wHh!,
      a.h0!,
      L,
      rev,
      r.out!,
      gates,
      a.dOut!,
      a.dhN!,
      r.dx!,
      r.dh0!,
      r.dWih!,
      r.dWhh!,
      r.dbIh!,
      r.dbHh!,
    );
  } else {
    const relu = c.kind === 'rnn_relu';
    k.rnnForward(T!, B!, E!, H!, relu, a.x!, a.wIh!, a.wHh!, bIh, bHh, a.h0!, L, rev, r.out!, r.hN!);
    k.rnnBackward(
      T!,
      B!,
      E!,
      H!,
      relu,
      a.x!,
      a.wIh!,
      a.wHh!,
      a.h0!,
      L,
      rev,
      r.out!,
      a.dOut!,
      a.dhN!,
      r.dx!,
      r.dh0!,
      r.dWih!,
      r.dWhh!,
      r.dbIh!,
      r.dbHh!,
    );
  }
  return r;
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
