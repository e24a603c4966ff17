import { describe, expect, it } from 'vitest';
import { add, mul } from '../src/ops/binary.js';
import { gruSequence, lstmSequence } from '../src/ops/recurrent.js';
import { sum } from '../src/ops/reduce.js';
import { transpose } from '../src/ops/shape.js';
import { noGrad } from '../src/tensor/autograd.js';
import { KiokuError } from '../src/tensor/errors.js';
import { BufferPool, gradientPool, savedStatePool, sizeClass } from '../src/tensor/pool.js';
import { Generator } from '../src/tensor/random.js';
import { randn } from '../src/tensor/random-tensors.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { describeEachBackend } from './helpers/backends.js';

const N = 1 << 14; // the smallest length the pool keeps

describe('BufferPool', () => {
  it('hands a released buffer out again, zero-filled', () => {
    const pool = new BufferPool();
    const a = pool.take(N);
    a.fill(7);
    expect(pool.release(a)).toBeGreaterThan(0);
    expect(pool.bytes).toBe(4 * N);
    const b = pool.take(N);
    expect(b).toBe(a);
    expect(b.every((v) => v === 0)).toBe(true);
    expect(pool.bytes).toBe(0);
  });

  it('keeps neither small buffers, views, nor the same buffer twice', () => {
    const pool = new BufferPool();
    expect(pool.release(new Float32Array(N - 1))).toBe(0);
    expect(pool.release(new Float32Array(2 * N).subarray(0, N))).toBe(0);
    const a = new Float32Array(N);
    expect(pool.release(a)).toBeGreaterThan(0);
    expect(pool.release(a)).toBe(0);
    expect(pool.bytes).toBe(4 * N);
    expect(pool.take(N)).toBe(a);
    expect(pool.take(N)).not.toBe(a);
  });

  it('gives a released buffer back intact unless someone took it since', () => {
    const pool = new BufferPool();
    const a = new Float32Array(N).fill(3);
    const first = pool.release(a);
    expect(pool.reclaim(a, first)).toBe(true);
    expect(a[N - 1]).toBe(3);
    expect(pool.bytes).toBe(0);
    const second = pool.release(a);
    expect(pool.take(N)).toBe(a);
    expect(pool.reclaim(a, second)).toBe(false);
    // Handed out and released again by its new owner: the old stamp no longer matches.
    const third = pool.release(a);
    expect(pool.reclaim(a, second)).toBe(false);
    expect(pool.reclaim(a, third)).toBe(true);
  });
});

describe('BufferPool size classes', () => {
  it('rounds a length up by at most an eighth, to one of 8 sizes per doubling', () => {
    const seen = new Set<number>();
    for (let n = N; n <= 4 * N; n += 37) {
      const c = sizeClass(n);
      expect(c).toBeGreaterThanOrEqual(n);
      expect(c).toBeLessThanOrEqual(n * 1.125);
      seen.add(c);
    }
    expect(seen.size).toBe(2 * 8 + 1);
    expect(sizeClass(N - 5)).toBe(N - 5);
    expect(sizeClass(3 * N)).toBe(3 * N);
  });

  it('serves a request with the buffer another length of its class left, as a view of the length asked', () => {
    const pool = new BufferPool();
    const a = pool.take(N + 100);
    expect(a.length).toBe(N + 100);
    expect(a.buffer.byteLength).toBe(4 * sizeClass(N + 100));
    a.fill(5);
    expect(pool.release(a)).toBeGreaterThan(0);
    const b = pool.take(N + 1000, false);
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(N + 1000);
    const c = pool.take(N + 1000);
    expect(c.buffer).not.toBe(a.buffer);
    expect(c.every((v) => v === 0)).toBe(true);
    expect(pool.release(b)).toBeGreaterThan(0);
    // zero-filled over the length asked
    const d = pool.take(N + 10);
    expect(d.buffer).toBe(a.buffer);
    expect(d.every((v) => v === 0)).toBe(true);
    // a view it did not hand out, starting a buffer longer than its class, is not kept
    expect(pool.release(new Float32Array(4 * N).subarray(0, N + 100))).toBe(0);
  });
});

function clearPools(): void {
  gradientPool.clear();
  savedStatePool.clear();
}

// T·B·4H and T·B·E, T·B·H are at least N, so gates, cells and the intermediate gradients pool.
const [B, T, E, H] = [4, 64, 64, 64];

function weights(g: Generator, G: number) {
  const w = (...shape: number[]) => {
    const t = randn(shape, { generator: g });
    t.requiresGrad = true;
    return t;
  };
  return { weightIh: w(G, E), weightHh: w(G, H), biasIh: w(G), biasHh: w(G) };
}

/** Batch-first x → transpose → LSTM; the loss reads the output and hN. */
function lstmStep(x: Tensor, w: ReturnType<typeof weights>) {
  const xT = transpose(x, 0, 1);
  const { output, hN, cN } = lstmSequence(xT, null, null, w, { lengths: [T, 40, 1, 63] });
  const loss = add(sum(mul(output, output)), sum(mul(hN, cN)));
  return { xT, output, hN, cN, loss };
}

const bits = (t: Tensor) => Array.from(new Uint32Array(t.f32.slice().buffer));
const grads = (ts: Tensor[]) => ts.map((t) => bits(t.grad!));

describeEachBackend('pooled buffers and autograd', (backend) => {
  it('never hands out a buffer a live tensor still references', () => {
    clearPools();
    const g = new Generator(5);
    const w = weights(g, 4 * H);
    const params = Object.values(w);
    const x1 = randn([B, T, E], { generator: g });
    const x2 = randn([B, T, E], { generator: g });
    x1.requiresGrad = true;
    x2.requiresGrad = true;

    // The reference for step 2: computed from an empty pool.
    const ref = lstmStep(x2, w);
    ref.loss.backward();
    const refGrads = grads([x2, ...params]);
    for (const p of [x2, ...params]) p.grad = null;
    clearPools();

    const s1 = lstmStep(x1, w);
    s1.loss.backward();
    // Gates (T·B·4H) and cells (T·B·H) wait for the next forward. The engine's T·B·H buffers
    // (E = H) for output², output, its part and xT were reused within the pass, two at a time,
    // and one of the two became x1's gradient. The JS kernel's BPTT scratch (the gates'
    // gradients, T·B·4H, and the previous states, T·B·H) waits there too.
    expect(savedStatePool.bytes).toBe(4 * T * B * 5 * H);
    const scratch = backend === 'js' ? 4 * T * B * 5 * H : 0;
    expect(gradientPool.bytes).toBe(4 * T * B * H + scratch);
    const kept = [s1.xT, s1.output, s1.hN, s1.cN].map(bits);
    for (const p of params) p.grad = null;

    const s2 = lstmStep(x2, w);
    s2.loss.backward();
    expect([s1.xT, s1.output, s1.hN, s1.cN].map(bits)).toEqual(kept);
    expect(bits(s2.output)).toEqual(bits(ref.output));
    expect(grads([x2, ...params])).toEqual(refGrads);
  });

  it('refuses a second backward once a later forward took the saved state', () => {
    clearPools();
    const g = new Generator(6);
    const w = weights(g, 4 * H);
    const x = randn([B, T, E], { generator: g });
    const first = lstmStep(x, w);
    first.loss.backward();
    const params = Object.values(w);
    const once = grads(params);
    const onceValues = params.map((p) => Array.from(p.grad!.f32));
    // Nothing ran in between: the saved state is taken back and the gradients add up again.
    first.loss.backward();
    for (const [i, p] of params.entries()) {
      const got = p.grad!.f32;
      for (let k = 0; k < got.length; k++) {
        const e = 2 * onceValues[i]![k]!;
        expect(Math.abs(got[k]! - e)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(e)));
      }
      p.grad = null;
    }
    const second = lstmStep(x, w);
    expect(() => first.loss.backward()).toThrow(KiokuError);
    expect(() => first.loss.backward()).toThrow(/reused by a later forward/);
    second.loss.backward();
    expect(grads(params)).toEqual(once);
    // A later forward and backward took the buffers and put them back holding their own state.
    const third = lstmStep(x, w);
    third.loss.backward();
    const fourth = lstmStep(x, w);
    fourth.loss.backward();
    expect(() => third.loss.backward()).toThrow(/reused by a later forward/);
  });

  it('keeps no saved state when nothing is recorded, forward after forward', () => {
    clearPools();
    const g = new Generator(7);
    const w = weights(g, 3 * H);
    const x = randn([T, B, E], { generator: g });
    const a = noGrad(() => gruSequence(x, null, w).output);
    // No gates are saved for a BPTT that will not run: the pool holds at most the JS kernel's
    // scratch for them (T·B·4H floats), handed back when it returned, and taken again next time.
    const held = savedStatePool.bytes;
    expect(held).toBe(backend === 'js' ? 4 * T * B * 4 * H : 0);
    const b = noGrad(() => gruSequence(x, null, w).output);
    expect(savedStatePool.bytes).toBe(held);
    expect(bits(b)).toEqual(bits(a));
  });
});
