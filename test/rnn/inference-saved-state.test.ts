import { expect, it } from 'vitest';
import { gruSequence, lstmSequence, type SequenceOptions } from '../../src/ops/recurrent.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Generator } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { describeEachBackend } from '../helpers/backends.js';

// A recurrent forward that records no gradient passes null for the state BPTT would read (gates,
// cells, hidden) and the backend works in scratch of its own: its outputs must be the very bits a
// forward that saves that state gives, in every shape the kernels treat apart (one step of one
// sample, small and GEMM-sized batches, lengths, reverse, a projection).

interface Case {
  kind: 'lstm' | 'gru';
  T: number;
  B: number;
  E: number;
  H: number;
  P?: number;
  options?: SequenceOptions;
  /** x's rows drawn from this many distinct rows, as an embedding's are. */
  tokens?: number;
}

const CASES: Case[] = [
  { kind: 'lstm', T: 1, B: 1, E: 8, H: 16 },
  { kind: 'lstm', T: 9, B: 3, E: 5, H: 12, options: { lengths: [9, 4, 0], reverse: true } },
  { kind: 'lstm', T: 20, B: 32, E: 24, H: 32 },
  { kind: 'lstm', T: 20, B: 32, E: 24, H: 32, tokens: 9 },
  { kind: 'lstm', T: 12, B: 8, E: 16, H: 12, options: { lengths: [12, 5, 0, 12, 3, 9, 1, 12] }, tokens: 4 },
  { kind: 'lstm', T: 7, B: 6, E: 5, H: 12, P: 5, options: { lengths: [7, 2, 5, 0, 7, 1] } },
  { kind: 'gru', T: 1, B: 2, E: 8, H: 16 },
  { kind: 'gru', T: 12, B: 5, E: 7, H: 10, options: { lengths: [12, 3, 0, 8, 11], reverse: true } },
  { kind: 'gru', T: 20, B: 32, E: 24, H: 32 },
  { kind: 'gru', T: 20, B: 32, E: 24, H: 32, tokens: 9 },
];

const bits = (t: Tensor) => Array.from(new Uint32Array(t.f32.slice().buffer));

/** The case's weights and inputs, each a leaf that requires a gradient when `grad` is set. */
function inputs(c: Case, grad: boolean) {
  const g = new Generator(c.T * 1000 + c.B * 10 + c.H);
  const t = (...shape: number[]) => {
    const v = randn(shape, { generator: g });
    v.requiresGrad = grad;
    return v;
  };
  const G = (c.kind === 'lstm' ? 4 : 3) * c.H;
  const R = c.P || c.H;
  return {
    x: c.tokens ? tokenRows(t(c.tokens, c.E), c.T * c.B, [c.T, c.B, c.E], grad) : t(c.T, c.B, c.E),
    h0: t(c.B, R),
    c0: t(c.B, c.H),
    w: {
      weightIh: t(G, c.E),
      weightHh: t(G, R),
      biasIh: t(G),
      biasHh: t(G),
      weightHr: c.P ? t(c.P, c.H) : null,
    },
  };
}

/** `rows` rows, each a copy of one row of `table` (tokens in a fixed order), shaped `shape`. */
function tokenRows(table: Tensor, rows: number, shape: number[], grad: boolean): Tensor {
  const [V, E] = table.shape as [number, number];
  const data = new Float32Array(rows * E);
  for (let r = 0; r < rows; r++) {
    const token = (r * 5 + (r >> 3)) % V;
    data.set(table.f32.subarray(token * E, (token + 1) * E), r * E);
  }
  const x = new Tensor(data, shape);
  x.requiresGrad = grad;
  return x;
}

function forward(c: Case, grad: boolean): Tensor[] {
  const i = inputs(c, grad);
  if (c.kind === 'gru') {
    const r = gruSequence(i.x, i.h0, i.w, c.options);
    return [r.output, r.hN];
  }
  const r = lstmSequence(i.x, i.h0, i.c0, i.w, c.options);
  return [r.output, r.hN, r.cN];
}

describeEachBackend('a forward without a recorded gradient', () => {
  for (const c of CASES) {
    const label = `${c.kind} T ${c.T} B ${c.B} H ${c.H}${c.P ? ` P ${c.P}` : ''}${c.options?.lengths ? ' lengths' : ''}${c.options?.reverse ? ' reverse' : ''}${c.tokens ? ` ${c.tokens} distinct input rows` : ''}`;
    it(`gives the bits of one that saves state for BPTT: ${label}`, () => {
      const saving = forward(c, true);
      expect(saving[0]!.requiresGrad).toBe(true);
      const expected = saving.map(bits);
      const underNoGrad = noGrad(() => forward(c, true));
      const withoutLeaves = forward(c, false);
      expect(underNoGrad[0]!.requiresGrad).toBe(false);
      expect(withoutLeaves[0]!.requiresGrad).toBe(false);
      expect(underNoGrad.map(bits)).toEqual(expected);
      expect(withoutLeaves.map(bits)).toEqual(expected);
    });
  }
});
