import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { GRU, LSTM, RNN } from '../../src/nn/rnn.js';
import { add, mul } from '../../src/ops/binary.js';
import { sum } from '../../src/ops/reduce.js';
import { transpose } from '../../src/ops/shape.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { describeEachBackend } from '../helpers/backends.js';

// PyTorch parity: fixtures/rnn/*.json, written by scripts/fixtures_rnn.py (torch 1.13), on every backend.

interface Run {
  lengths: number[] | null;
  output: number[];
  hN: number[];
  cN?: number[];
  grads: Record<string, number[]>;
}

interface Case {
  numLayers: number;
  bidirectional: boolean;
  x: number[];
  h0: number[];
  c0?: number[];
  params: Record<string, number[]>;
  gOutput: number[];
  gHN: number[];
  gCN?: number[];
  runs: Run[];
}

interface Fixture {
  kind: 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'lstm_proj' | 'gru';
  inputSize: number;
  hiddenSize: number;
  projSize: number;
  T: number;
  B: number;
  cases: Case[];
}

function load(kind: string): Fixture {
  return JSON.parse(readFileSync(new URL(`../../fixtures/rnn/${kind}.json`, import.meta.url), 'utf8'));
}

/** |a − e| ≤ tol·(|e| + scale), with scale the largest |e| of the array (relative to its magnitude). */
function expectClose(actual: ArrayLike<number>, expected: number[], tol: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tol * (Math.abs(e) + scale))) {
      expect.fail(`${what}[${i}]: got ${a}, expected ${e} (tolerance ${tol} relative)`);
    }
  }
}

const f32 = (v: number[], shape: number[], requiresGrad = false) =>
  new Tensor(Float32Array.from(v), shape, { requiresGrad });

function build(fx: Fixture, c: Case, batchFirst: boolean): RNN | LSTM | GRU {
  const common = {
    inputSize: fx.inputSize,
    hiddenSize: fx.hiddenSize,
    numLayers: c.numLayers,
    bidirectional: c.bidirectional,
    batchFirst,
  };
  switch (fx.kind) {
    case 'rnn_tanh':
      return new RNN({ ...common, nonlinearity: 'tanh' });
    case 'rnn_relu':
      return new RNN({ ...common, nonlinearity: 'relu' });
    case 'lstm':
      return new LSTM(common);
    case 'lstm_proj':
      return new LSTM({ ...common, projSize: fx.projSize });
    case 'gru':
      return new GRU(common);
  }
}

for (const kind of ['rnn_tanh', 'rnn_relu', 'lstm', 'lstm_proj', 'gru']) {
  const fx = load(kind);
  const { T, B, inputSize: E, hiddenSize: H } = fx;
  const R = fx.projSize || H;
  describeEachBackend(`${kind} matches PyTorch`, () => {
    for (const c of fx.cases) {
      const D = c.bidirectional ? 2 : 1;
      const LD = c.numLayers * D;
      for (const run of c.runs) {
        for (const batchFirst of [false, true]) {
          const name = `L=${c.numLayers} ${c.bidirectional ? 'bidirectional' : 'unidirectional'} ${batchFirst ? 'batchFirst' : 'time-major'} ${run.lengths ? `lengths [${run.lengths}]` : 'equal lengths'}`;
          it(name, () => {
            const m = build(fx, c, batchFirst);
            const sd = m.stateDict();
            expect(Object.keys(sd)).toEqual(Object.keys(c.params));
            m.loadStateDict(
              Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, f32(v, [...sd[k]!.shape])])),
            );
            const xTm = f32(c.x, [T, B, E], true);
            const x = batchFirst ? transpose(xTm, 0, 1) : xTm;
            const h0 = f32(c.h0, [LD, B, R], true);
            const c0 = c.c0 ? f32(c.c0, [LD, B, H], true) : null;
            const opts = { lengths: run.lengths };
            let output: Tensor;
            let hN: Tensor;
            let cN: Tensor | null = null;
            if (m instanceof LSTM) [output, [hN, cN]] = m.forward(x, [h0, c0!], opts);
            else [output, hN] = m.forward(x, h0, opts);
            const outTm = batchFirst ? transpose(output, 0, 1) : output;
            expect(outTm.shape).toEqual([T, B, D * R]);
            expect(hN.shape).toEqual([LD, B, R]);
            expectClose(outTm.f32, run.output, 1e-5, 'output');
            expectClose(hN.f32, run.hN, 1e-5, 'hN');
            if (cN) expectClose(cN.f32, run.cN!, 1e-5, 'cN');
            // PyTorch's loss: Σ output ⊙ gOutput + Σ hN ⊙ gHN (+ Σ cN ⊙ gCN), one backward.
            let loss = add(
              sum(mul(outTm, f32(c.gOutput, [T, B, D * R]))),
              sum(mul(hN, f32(c.gHN, [LD, B, R]))),
            );
            if (cN) loss = add(loss, sum(mul(cN, f32(c.gCN!, [LD, B, H]))));
            loss.backward();
            expectClose(xTm.grad!.f32, run.grads.x!, 1e-4, 'grad x');
            expectClose(h0.grad!.f32, run.grads.h0!, 1e-4, 'grad h0');
            if (c0) expectClose(c0.grad!.f32, run.grads.c0!, 1e-4, 'grad c0');
            for (const [k, p] of m.namedParameters())
              expectClose(p.grad!.f32, run.grads[k]!, 1e-4, `grad ${k}`);
          });
        }
      }
    }
  });
}
