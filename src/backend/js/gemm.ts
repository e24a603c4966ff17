import { KiokuError, ShapeError } from '../../tensor/errors.js';
import type { PackedB } from '../contract-spec.js';
import { type Kernels, registerKernel } from '../registry.js';

/** The JS backend's packing: the panels of op(B) in the order gemmPacked visits them. */
interface JsPackedB extends PackedB {
  readonly data: Float64Array;
}

/*
 * Goto/BLIS-style blocking: panels of B (KC×NC) and A (MC×KC) are packed into contiguous MR- and
 * NR-wide slivers so the 4×4 register-blocked micro-kernel streams both linearly.
 * The packs are float64, so the widening happens once while packing instead of in the inner loop
 * (V8 computes in doubles anyway), and they are module-level constants the micro-kernel reads
 * directly: optimized code then embeds their base address and length, so each read is a load
 * plus a compare against an immediate, with no map check or reload of the array's backing store
 * per iteration (about 15% faster than plain arrays of doubles passed as arguments, which beat
 * typed arrays passed as arguments). 4×4 needs the fewest instructions per multiply-add of the
 * tiles tried (2×4 … 8×2, 3×4, 2×6, 4×8): V8 has 16 xmm registers.
 */
const MR = 4;
const NR = 4;
const KC = 256;
const MC = 64;
const NC = 512;

const packA = new Float64Array(MC * KC);
const packB = new Float64Array(KC * NC);
// A partial tile at the right or bottom edge of C is computed here, then its valid part added to C.
const edgeTile = new Float32Array(MR * NR);

export const gemmJs: Kernels['gemm'] = function gemmJs(
  transA,
  transB,
  m,
  n,
  k,
  a,
  aOff,
  lda,
  b,
  bOff,
  ldb,
  c,
  cOff,
  ldc,
  accumulate,
) {
  if (m === 0 || n === 0) return;
  if (!accumulate) zeroRows(c, cOff, ldc, m, n);
  // B's element (p, j) lives at bOff + p·brs + j·bcs.
  const brs = transB ? 1 : ldb;
  const bcs = transB ? ldb : 1;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packPanelB(b, bOff + pc * brs + jc * bcs, brs, bcs, kc, nc, packB, 0);
      blockPanel(transA, m, nc, kc, a, aOff, lda, pc, c, cOff + jc, ldc);
    }
  }
};

/** Zeroes the m×n block of C at cOff (row stride ldc). */
function zeroRows(c: Float32Array, cOff: number, ldc: number, m: number, n: number): void {
  if (ldc === n) c.fill(0, cOff, cOff + m * n);
  else for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
}

const gemmPackBJs: Kernels['gemmPackB'] = function gemmPackBJs(transB, k, n, b, bOff, ldb) {
  const brs = transB ? 1 : ldb;
  const bcs = transB ? ldb : 1;
  // Panels in the order gemmPacked visits them, each kc × (nc rounded up to NR).
  const data = new Float64Array(k * Math.ceil(n / NR) * NR);
  let off = 0;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const ncPadded = Math.ceil(nc / NR) * NR;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packPanelB(b, bOff + pc * brs + jc * bcs, brs, bcs, kc, nc, data, off);
      off += kc * ncPadded;
    }
  }
  return { k, n, data };
};

const gemmPackedJs: Kernels['gemmPacked'] = function gemmPackedJs(
  transA,
  m,
  n,
  k,
  a,
  aOff,
  lda,
  b,
  c,
  cOff,
  ldc,
  accumulate,
) {
  if (b.k !== k || b.n !== n)
    throw new ShapeError(`gemmPacked: expected B packed as ${k}×${n}, got ${b.k}×${b.n}`);
  const data = (b as JsPackedB).data;
  if (!(data instanceof Float64Array)) throw new KiokuError('gemmPacked: B was packed by another backend');
  if (m === 0 || n === 0) return;
  if (!accumulate) zeroRows(c, cOff, ldc, m, n);
  let off = 0;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const ncPadded = Math.ceil(nc / NR) * NR;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      // A copy (memcpy) into the micro-kernel's constant panel costs far less than packing.
      packB.set(data.subarray(off, off + kc * ncPadded));
      blockPanel(transA, m, nc, kc, a, aOff, lda, pc, c, cOff + jc, ldc);
      off += kc * ncPadded;
    }
  }
};

/**
 * C[:, 0:nc] += op(A)[:, pc:pc+kc] · (the packed kc×nc panel of B in packB) for all m rows,
 * packing A MC rows at a time.
 */
function blockPanel(
  transA: boolean,
  m: number,
  nc: number,
  kc: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  pc: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
): void {
  // A's element (i, p) lives at aOff + i·ars + p·acs.
  const ars = transA ? 1 : lda;
  const acs = transA ? lda : 1;
  for (let ic = 0; ic < m; ic += MC) {
    const mc = Math.min(MC, m - ic);
    packPanelA(a, aOff + ic * ars + pc * acs, ars, acs, mc, kc);
    for (let jr = 0; jr < nc; jr += NR) {
      const nr = Math.min(NR, nc - jr);
      const bBase = jr * kc;
      for (let ir = 0; ir < mc; ir += MR) {
        const mr = Math.min(MR, mc - ir);
        const co = cOff + (ic + ir) * ldc + jr;
        if (mr === MR && nr === NR) {
          micro4x4(kc, ir * kc, bBase, c, co, ldc);
        } else {
          edgeTile.fill(0);
          micro4x4(kc, ir * kc, bBase, edgeTile, 0, NR);
          addEdge(c, co, ldc, mr, nr);
        }
      }
    }
  }
}

/**
 * Packs an mc×kc block of A into MR-row slivers: packA[(ir·kc + p)·MR + r]; short slivers are
 * zero-padded. The sliver's MR elements of one p are read together: adjacent in memory when A is
 * transposed (the weight-gradient products), MR short streams otherwise.
 */
function packPanelA(a: Float32Array, off: number, rs: number, cs: number, mc: number, kc: number): void {
  const pa = packA;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = Math.min(MR, mc - ir);
    let dst = ir * kc;
    let src = off + ir * rs;
    if (rows === MR) {
      for (let p = 0; p < kc; p++, dst += MR, src += cs) {
        pa[dst] = a[src]!;
        pa[dst + 1] = a[src + rs]!;
        pa[dst + 2] = a[src + 2 * rs]!;
        pa[dst + 3] = a[src + 3 * rs]!;
      }
    } else {
      for (let p = 0; p < kc; p++, dst += MR, src += cs) {
        for (let r = 0; r < MR; r++) pa[dst + r] = r < rows ? a[src + r * rs]! : 0;
      }
    }
  }
}

/** Packs a kc×nc block of B into NR-column slivers at pb[dst + (jr·kc + p)·NR + q]; short slivers are zero-padded. */
function packPanelB(
  b: Float32Array,
  off: number,
  rs: number,
  cs: number,
  kc: number,
  nc: number,
  pb: Float64Array,
  dst: number,
): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const base = dst + jr * kc;
    const cols = Math.min(NR, nc - jr);
    for (let p = 0; p < kc; p++) {
      const src = off + p * rs + jr * cs;
      const o = base + p * NR;
      for (let q = 0; q < NR; q++) pb[o + q] = q < cols ? b[src + q * cs]! : 0;
    }
  }
}

/**
 * C[cOff…] += the kc-long A sliver at packA[aBase] times the B sliver at packB[bBase], one MR×NR
 * tile summed in sixteen register accumulators. One store path for every call (the caller zeroes C
 * instead of asking for an overwrite, and stages edge tiles): an optimized kernel deoptimizes when
 * it first reaches a path that had not run before it was compiled, and V8 was seen to repeat that
 * deopt over a thousand times in a row.
 */
function micro4x4(
  kc: number,
  aBase: number,
  bBase: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
): void {
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
  // Index arithmetic in int32 (`| 0`) so V8 emits no overflow checks in the inner loop.
  let ai = aBase | 0;
  let bi = bBase | 0;
  const pa = packA;
  const pb = packB;
  for (let p = 0; p < kc; p++) {
    const a0 = pa[ai]!,
      a1 = pa[(ai + 1) | 0]!,
      a2 = pa[(ai + 2) | 0]!,
      a3 = pa[(ai + 3) | 0]!;
    const b0 = pb[bi]!,
      b1 = pb[(bi + 1) | 0]!,
      b2 = pb[(bi + 2) | 0]!,
      b3 = pb[(bi + 3) | 0]!;
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
    ai = (ai + MR) | 0;
    bi = (bi + NR) | 0;
  }
  addRow(c, cOff, c00, c01, c02, c03);
  addRow(c, cOff + ldc, c10, c11, c12, c13);
  addRow(c, cOff + 2 * ldc, c20, c21, c22, c23);
  addRow(c, cOff + 3 * ldc, c30, c31, c32, c33);
}

/** c[o…o+4) += [v0, v1, v2, v3]: one row of a tile's sums. */
function addRow(c: Float32Array, o: number, v0: number, v1: number, v2: number, v3: number): void {
  c[o]! += v0;
  c[o + 1]! += v1;
  c[o + 2]! += v2;
  c[o + 3]! += v3;
}

/** Adds the valid mr×nr corner of the edge tile into C. */
function addEdge(c: Float32Array, cOff: number, ldc: number, mr: number, nr: number): void {
  const e = edgeTile;
  for (let r = 0; r < mr; r++) {
    const o = cOff + r * ldc;
    for (let q = 0; q < nr; q++) c[o + q]! += e[r * NR + q]!;
  }
}

registerKernel('gemm', 'js', gemmJs);
registerKernel('gemmPackB', 'js', gemmPackBJs);
registerKernel('gemmPacked', 'js', gemmPackedJs);
