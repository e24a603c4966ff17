import { registerKernel } from '../registry.js';

declare module '../registry.js' {
  interface Kernels {
    /**
     * Row-major SGEMM: C(m×n) = [C +] op(A)(m×k) · op(B)(k×n), where op transposes when asked.
     * A is read as A[i·lda + p] (or A[p·lda + i] when transA), B as B[p·ldb + j] (or B[j·ldb + p]).
     */
    gemm(
      transA: boolean,
      transB: boolean,
      m: number,
      n: number,
      k: number,
      a: Float32Array,
      aOff: number,
      lda: number,
      b: Float32Array,
      bOff: number,
      ldb: number,
      c: Float32Array,
      cOff: number,
      ldc: number,
      accumulate: boolean,
    ): void;
  }
}

// Goto/BLIS-style blocking: panels of B (KC×NC) and A (MC×KC) are packed into contiguous
// MR- and NR-wide slivers so the 4×4 register-blocked micro-kernel streams both linearly.
const MR = 4;
const NR = 4;
const KC = 256;
const MC = 64;
const NC = 512;

let packA = new Float32Array(MC * KC);
let packB = new Float32Array(KC * NC);

export function gemmJs(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  b: Float32Array,
  bOff: number,
  ldb: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
  accumulate: boolean,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!accumulate) for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
    return;
  }
  if (packA.length < MC * KC) packA = new Float32Array(MC * KC);
  if (packB.length < KC * NC) packB = new Float32Array(KC * NC);
  // A's element (i, p) lives at aOff + i·ars + p·acs; likewise for B.
  const ars = transA ? 1 : lda;
  const acs = transA ? lda : 1;
  const brs = transB ? 1 : ldb;
  const bcs = transB ? ldb : 1;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packPanelB(b, bOff + pc * brs + jc * bcs, brs, bcs, kc, nc);
      const add = accumulate || pc > 0;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packPanelA(a, aOff + ic * ars + pc * acs, ars, acs, mc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            micro4x4(kc, ir * kc, jr * kc, c, cOff + (ic + ir) * ldc + jc + jr, ldc, mr, nr, add);
          }
        }
      }
    }
  }
}

/** Packs an mc×kc block of A into MR-row slivers: packA[(ir·kc + p)·MR + r]; short slivers are zero-padded. */
function packPanelA(a: Float32Array, off: number, rs: number, cs: number, mc: number, kc: number): void {
  const pa = packA;
  for (let ir = 0; ir < mc; ir += MR) {
    const base = ir * kc;
    const rows = Math.min(MR, mc - ir);
    for (let r = 0; r < MR; r++) {
      if (r < rows) {
        let src = off + (ir + r) * rs;
        for (let p = 0; p < kc; p++, src += cs) pa[base + p * MR + r] = a[src]!;
      } else {
        for (let p = 0; p < kc; p++) pa[base + p * MR + r] = 0;
      }
    }
  }
}

/** Packs a kc×nc block of B into NR-column slivers: packB[(jr·kc + p)·NR + c]. */
function packPanelB(b: Float32Array, off: number, rs: number, cs: number, kc: number, nc: number): void {
  const pb = packB;
  for (let jr = 0; jr < nc; jr += NR) {
    const base = jr * kc;
    const cols = Math.min(NR, nc - jr);
    for (let p = 0; p < kc; p++) {
      const src = off + p * rs + jr * cs;
      const dst = base + p * NR;
      for (let q = 0; q < NR; q++) pb[dst + q] = q < cols ? b[src + q * cs]! : 0;
    }
  }
}

function micro4x4(
  kc: number,
  aBase: number,
  bBase: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
  mr: number,
  nr: number,
  add: boolean,
): void {
  const pa = packA;
  const pb = packB;
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c03 = 0;
  let c10 = 0,
    c11 = 0,
    c12 = 0,
    c13 = 0;
  let c20 = 0,
    c21 = 0,
    c22 = 0,
    c23 = 0;
  let c30 = 0,
    c31 = 0,
    c32 = 0,
    c33 = 0;
  let ai = aBase;
  let bi = bBase;
  for (let p = 0; p < kc; p++, ai += 4, bi += 4) {
    const a0 = pa[ai]!,
      a1 = pa[ai + 1]!,
      a2 = pa[ai + 2]!,
      a3 = pa[ai + 3]!;
    const b0 = pb[bi]!,
      b1 = pb[bi + 1]!,
      b2 = pb[bi + 2]!,
      b3 = pb[bi + 3]!;
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    c20 += a2 * b0;
    c21 += a2 * b1;
    c22 += a2 * b2;
    c23 += a2 * b3;
    c30 += a3 * b0;
    c31 += a3 * b1;
    c32 += a3 * b2;
    c33 += a3 * b3;
  }
  if (mr === 4 && nr === 4) {
    store4(c, cOff, c00, c01, c02, c03, add);
    store4(c, cOff + ldc, c10, c11, c12, c13, add);
    store4(c, cOff + 2 * ldc, c20, c21, c22, c23, add);
    store4(c, cOff + 3 * ldc, c30, c31, c32, c33, add);
    return;
  }
  const acc = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  for (let r = 0; r < mr; r++) {
    for (let q = 0; q < nr; q++) {
      const idx = cOff + r * ldc + q;
      c[idx] = add ? c[idx]! + acc[r * 4 + q]! : acc[r * 4 + q]!;
    }
  }
}

function store4(
  c: Float32Array,
  o: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  add: boolean,
): void {
  if (add) {
    c[o]! += v0;
    c[o + 1]! += v1;
    c[o + 2]! += v2;
    c[o + 3]! += v3;
  } else {
    c[o] = v0;
    c[o + 1] = v1;
    c[o + 2] = v2;
    c[o + 3] = v3;
  }
}

registerKernel('gemm', 'js', gemmJs);
