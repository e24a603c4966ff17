import { describe, expect, it } from 'vitest';
import { add, mul } from '../../src/ops/binary.js';
import {
  gruSequence,
  type LstmWeights,
  lstmSequence,
  rnnSequence,
  type SequenceOptions,
} from '../../src/ops/recurrent.js';
import { sum } from '../../src/ops/reduce.js';
import { concat, reshape } from '../../src/ops/shape.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { describeEachBackend } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { type Kind, referenceSequence } from './reference.js';

// The fused sequence ops against the unfused cell-by-cell oracle, and finite differences.

const GATES: Record<Kind, number> = { rnn_tanh: 1, rnn_relu: 1, lstm: 4, gru: 3 };

interface Setup {
  kind: Kind;
  T: number;
  B: number;
  E: number;
  H: number;
  P: number;
  bias: boolean;
}

interface Data {
  x: Float32Array;
  h0: Float32Array;
  c0: Float32Array;
  w: Record<string, Float32Array>;
  gOut: Float32Array;
  gH: Float32Array;
  gC: Float32Array;
}

function randomData(s: Setup, seed: number): Data {
  const g = new Generator(seed);
  const r = (n: number, scale = 1) => Float32Array.from({ length: n }, () => g.uniform(-scale, scale));
  const G = GATES[s.kind] * s.H;
  const R = s.P || s.H;
  const w: Record<string, Float32Array> = { weightIh: r(G * s.E, 0.6), weightHh: r(G * R, 0.6) };
  if (s.bias) {
    w.biasIh = r(G, 0.5);
    w.biasHh = r(G, 0.5);
  }
  if (s.P) w.weightHr = r(s.P * s.H, 0.6);
  return {
    x: r(s.T * s.B * s.E),
    h0: r(s.B * R, 0.8),
    c0: r(s.B * s.H, 0.8),
    w,
    gOut: r(s.T * s.B * R),
    gH: r(s.B * R),
    gC: r(s.B * s.H),
  };
}

interface Leaves {
  x: Tensor;
  h0: Tensor;
  c0: Tensor;
  w: LstmWeights;
  all: Record<string, Tensor>;
}

function leaves(s: Setup, d: Data): Leaves {
  const G = GATES[s.kind] * s.H;
  const R = s.P || s.H;
  const t = (v: Float32Array, shape: number[]) => new Tensor(v.slice(), shape, { requiresGrad: true });
  const shapes: Record<string, number[]> = {
    weightIh: [G, s.E],
    weightHh: [G, R],
    biasIh: [G],
    biasHh: [G],
    weightHr: [s.P, s.H],
  };
  const all: Record<string, Tensor> = {
    x: t(d.x, [s.T, s.B, s.E]),
    h0: t(d.h0, [s.B, R]),
    c0: t(d.c0, [s.B, s.H]),
  };
  for (const [k, v] of Object.entries(d.w)) all[k] = t(v, shapes[k]!);
  const w: LstmWeights = {
    weightIh: all.weightIh!,
    weightHh: all.weightHh!,
    biasIh: all.biasIh ?? null,
    biasHh: all.biasHh ?? null,
    weightHr: all.weightHr ?? null,
  };
  return { x: all.x!, h0: all.h0!, c0: all.c0!, w, all };
}

function fused(
  kind: Kind,
  l: Leaves,
  options: SequenceOptions,
): { output: Tensor; hN: Tensor; cN: Tensor | null } {
  if (kind === 'lstm') return lstmSequence(l.x, l.h0, l.c0, l.w, options);
  if (kind === 'gru') return { ...gruSequence(l.x, l.h0, l.w, options), cN: null };
  const nonlinearity = kind === 'rnn_relu' ? 'relu' : 'tanh';
  return { ...rnnSequence(l.x, l.h0, l.w, { ...options, nonlinearity }), cN: null };
}

function expectClose(a: ArrayLike<number>, e: ArrayLike<number>, tol: number, what: string): void {
  expect(a.length, what).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    if (!(Math.abs(a[i]! - e[i]!) <= tol * (1 + Math.abs(e[i]!)))) {
      expect.fail(`${what}[${i}]: fused ${a[i]} vs reference ${e[i]}`);
    }
  }
}

const c = (v: Float32Array, shape: number[]) => new Tensor(v, shape);

const cases: Array<[Setup, number[] | null, boolean]> = [];
for (const kind of ['rnn_tanh', 'rnn_relu', 'lstm', 'gru'] as Kind[]) {
  for (const reverse of [false, true]) {
    cases.push([{ kind, T: 6, B: 4, E: 3, H: 4, P: 0, bias: true }, null, reverse]);
    cases.push([{ kind, T: 6, B: 4, E: 3, H: 4, P: 0, bias: true }, [6, 3, 0, 1], reverse]);
    cases.push([{ kind, T: 5, B: 3, E: 2, H: 3, P: 0, bias: false }, [2, 5, 4], reverse]);
  }
}
for (const reverse of [false, true]) {
  cases.push([{ kind: 'lstm', T: 6, B: 4, E: 3, H: 4, P: 2, bias: true }, [6, 3, 0, 1], reverse]);
  // Batches above 4 take the GEMM path for the per-step products.
  cases.push([{ kind: 'lstm', T: 5, B: 7, E: 3, H: 4, P: 2, bias: true }, [5, 3, 0, 1, 5, 2, 4], reverse]);
  for (const kind of ['rnn_relu', 'lstm', 'gru'] as Kind[]) {
    cases.push([{ kind, T: 5, B: 6, E: 3, H: 4, P: 0, bias: true }, [5, 3, 0, 1, 4, 2], reverse]);
  }
}

describeEachBackend('fused sequence ops match the unfused reference', () => {
  cases.forEach(([s, lengths, reverse], n) => {
    const label = `${s.kind}${s.P ? ` proj ${s.P}` : ''}${s.bias ? '' : ' no bias'}, ${lengths ? `lengths [${lengths}]` : 'full length'}${reverse ? ', reverse' : ''}`;
    it(label, () => {
      const d = randomData(s, 100 + n);
      const R = s.P || s.H;
      const lstm = s.kind === 'lstm';

      const a = leaves(s, d);
      const f = fused(s.kind, a, { lengths, reverse });
      let lossF = add(sum(mul(f.output, c(d.gOut, [s.T, s.B, R]))), sum(mul(f.hN, c(d.gH, [s.B, R]))));
      if (f.cN) lossF = add(lossF, sum(mul(f.cN, c(d.gC, [s.B, s.H]))));
      lossF.backward();

      const b = leaves(s, d);
      const ref = referenceSequence(s.kind, b.x, b.h0, lstm ? b.c0 : null, b.w, lengths, reverse);
      let lossR: Tensor | null = null;
      const acc = (t: Tensor) => (lossR = lossR ? add(lossR, t) : t);
      const refOut = new Float32Array(s.T * s.B * R);
      for (let t = 0; t < s.T; t++) {
        for (let bb = 0; bb < s.B; bb++) {
          const o = ref.outputs[t]![bb];
          if (!o) continue;
          const off = (t * s.B + bb) * R;
          refOut.set(o.f32, off);
          acc(sum(mul(o, c(d.gOut.slice(off, off + R), [1, R]))));
        }
      }
      for (let bb = 0; bb < s.B; bb++) {
        acc(sum(mul(ref.hN[bb]!, c(d.gH.slice(bb * R, (bb + 1) * R), [1, R]))));
        if (lstm) acc(sum(mul(ref.cN[bb]!, c(d.gC.slice(bb * s.H, (bb + 1) * s.H), [1, s.H]))));
      }
      (lossR as Tensor | null)!.backward();

      expectClose(f.output.f32, refOut, 1e-5, 'output');
      expectClose(f.hN.f32, concat(ref.hN, 0).f32, 1e-5, 'hN');
      if (f.cN) expectClose(f.cN.f32, concat(ref.cN, 0).f32, 1e-5, 'cN');
      for (const [k, t] of Object.entries(a.all)) {
        if (k === 'c0' && !lstm) continue;
        expectClose(t.grad!.f32, b.all[k]!.grad!.f32, 1e-4, `grad ${k}`);
      }
    });
  });
});

describeEachBackend('fused sequence ops pass finite-difference checks', () => {
  const tiny = (kind: Kind, P = 0): Setup => ({ kind, T: 3, B: 3, E: 2, H: 3, P, bias: true });
  const variants: Array<[Setup, number[] | null, boolean]> = [
    [tiny('rnn_tanh'), [3, 1, 2], false],
    [tiny('rnn_relu'), null, true],
    [tiny('lstm'), [3, 0, 2], true],
    [tiny('lstm', 2), [2, 3, 1], false],
    [tiny('gru'), [3, 1, 2], true],
    [tiny('gru'), null, false],
  ];
  variants.forEach(([s, lengths, reverse], n) => {
    it(`${s.kind}${s.P ? ' proj' : ''}${lengths ? ` lengths [${lengths}]` : ''}${reverse ? ' reverse' : ''}`, () => {
      const l = leaves(s, randomData(s, 7 + n));
      const names = Object.keys(l.all).filter((k) => k !== 'c0' || s.kind === 'lstm');
      const inputs = names.map((k) => l.all[k]!);
      gradcheck(
        (...xs: Tensor[]) => {
          const m = Object.fromEntries(names.map((k, i) => [k, xs[i]!]));
          const w: LstmWeights = {
            weightIh: m.weightIh!,
            weightHh: m.weightHh!,
            biasIh: m.biasIh ?? null,
            biasHh: m.biasHh ?? null,
            weightHr: m.weightHr ?? null,
          };
          const r = fused(s.kind, { x: m.x!, h0: m.h0!, c0: m.c0 ?? l.c0, w, all: m }, { lengths, reverse });
          const parts = [r.output, r.hN, ...(r.cN ? [r.cN] : [])].map((t) => reshape(t, [-1]));
          return concat(parts, 0);
        },
        inputs,
        { eps: 1e-3, atol: 2e-3, rtol: 1e-2 },
      );
    });
  });
});

describe('fused op validation', () => {
  const s: Setup = { kind: 'lstm', T: 3, B: 2, E: 3, H: 2, P: 0, bias: true };
  const l = leaves(s, randomData(s, 1));
  it('names the argument and the shapes', () => {
    expect(() => lstmSequence(reshape(l.x, [6, 3]), null, null, l.w)).toThrow(
      /x must be a 3-D time-major tensor \(T, B, E\), got \(6, 3\)/,
    );
    expect(() => lstmSequence(l.x, reshape(l.h0, [4]), null, l.w)).toThrow(
      /h0 must have shape \(2, 2\), got \(4,\)/,
    );
    expect(() => gruSequence(l.x, null, l.w)).toThrow(
      /weightHh must be 2-D with a positive multiple of 3 rows/,
    );
    expect(() => rnnSequence(l.x, null, { weightIh: l.w.weightIh, weightHh: l.h0 })).toThrow(
      /weightIh must have shape \(2, 3\), got \(8, 3\)/,
    );
    expect(() => lstmSequence(l.x, null, null, l.w, { lengths: [3, 4] })).toThrow(
      /entry 1 is 4, outside \[0, 3\]/,
    );
    expect(() => rnnSequence(l.x, null, l.w, { nonlinearity: 'gelu' as 'tanh' })).toThrow(/nonlinearity/);
  });
});
