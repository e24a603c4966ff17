import { describe, expect, it } from 'vitest';
import { nativeBackend } from '../../src/backend/native/index.js';
import { kernelFor } from '../../src/backend/registry.js';
import { isasOf, withIsa } from '../helpers/backends.js';
import { expectClose, randomArray, seeded } from './compare.js';

// A streaming step's matrix-vector product reads weights whose rows start anywhere relative to a
// vector boundary; where they do, it reads whole aligned vectors and rotates its sums. Whatever the
// offset, the step must give the same bits (and the JS reference's values).
const { addon } = nativeBackend();
const E = 48;
const H = 16;
const G = 4 * H;

interface Step {
  out: Float32Array;
  cN: Float32Array;
}

/**
 * One batch-1 LSTM step with W_ih and W_hh placed `offsetIh` and `offsetHh` floats into larger
 * buffers; `inputs` features per step (E unless given).
 */
function step(
  which: 'js' | 'native',
  wIh: Float32Array,
  wHh: Float32Array,
  offsetIh: number,
  offsetHh = offsetIh,
  inputs = E,
): Step {
  const gen = seeded(7);
  const [x, h0, c0, bIh, bHh] = [inputs, H, H, G, G].map((n) => randomArray(gen, n)) as Float32Array[];
  const place = (w: Float32Array, offset: number) => {
    const buffer = new Float32Array(w.length + 16);
    buffer.set(w, offset);
    return buffer.subarray(offset, offset + w.length);
  };
  const out = new Float32Array(H);
  const cN = new Float32Array(H);
  const lstmForward = kernelFor('lstmForward', which)!;
  lstmForward(
    1,
    1,
    inputs,
    H,
    0,
    x!,
    place(wIh, offsetIh),
    place(wHh, offsetHh),
    null,
    bIh!,
    bHh!,
    h0!,
    c0!,
    null,
    false,
    out,
    new Float32Array(H),
    cN,
    new Float32Array(G),
    new Float32Array(H),
    null,
  );
  return { out, cN };
}

describe.skipIf(!addon)('native streaming step with weights at any alignment', () => {
  const gen = seeded(3);
  const wIh = randomArray(gen, G * E);
  const wHh = randomArray(gen, G * H);
  const want = step('js', wIh, wHh, 0);
  for (const isa of isasOf('native')) {
    it(`gives the same bits at every offset (${isa})`, () => {
      const steps = withIsa(isa, () =>
        Array.from({ length: 16 }, (_, offset) => step('native', wIh, wHh, offset)),
      );
      expectClose(steps[0]!.out, want.out);
      expectClose(steps[0]!.cN, want.cN);
      for (const s of steps.slice(1)) {
        expect(s.out).toEqual(steps[0]!.out);
        expect(s.cN).toEqual(steps[0]!.cN);
      }
    });
    // The two parts of the product at different offsets: its sums change frame between them.
    it(`gives the same bits with W_ih and W_hh at different offsets (${isa})`, () => {
      const base = withIsa(isa, () => step('native', wIh, wHh, 0));
      const pairs = [
        [0, 5],
        [5, 0],
        [3, 11],
        [15, 1],
        [8, 8],
      ] as const;
      for (const [offsetIh, offsetHh] of pairs) {
        const s = withIsa(isa, () => step('native', wIh, wHh, offsetIh, offsetHh));
        expect(s.out).toEqual(base.out);
        expect(s.cN).toEqual(base.cN);
      }
    });
    // No input features: the product's input part is empty, and is skipped (its rows and x may
    // point nowhere) without disturbing the frame of the recurrent part's sums.
    it(`gives the reference's values with an empty input at every offset (${isa})`, () => {
      const none = new Float32Array(0);
      const wanted = step('js', none, wHh, 0, 0, 0);
      const steps = withIsa(isa, () =>
        Array.from({ length: 16 }, (_, offset) => step('native', none, wHh, 0, offset, 0)),
      );
      expectClose(steps[0]!.out, wanted.out);
      expectClose(steps[0]!.cN, wanted.cN);
      for (const s of steps.slice(1)) {
        expect(s.out).toEqual(steps[0]!.out);
        expect(s.cN).toEqual(steps[0]!.cN);
      }
    });
  }
});
