import { expect, it } from 'vitest';
import type { BackendName } from '../../src/backend/registry.js';
import { GRU, LSTM, RNN } from '../../src/nn/rnn.js';
import { Generator } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { type RecurrentLayer, type TraceOptions, traceRecurrent } from '../../src/train/inspect/trace.js';
import { describeEachBackend, isasOf, withIsa } from '../helpers/backends.js';
import { referenceTrace } from './cell-reference.js';
import { describeRelaxedWasm } from './wasm-relaxed.js';

const T = 7;
const B = 3;
const E = 3;
const H = 5;
const LENGTHS = [7, 4, 1];

function layers(): Array<[string, RecurrentLayer]> {
  const generator = new Generator(11);
  const common = { inputSize: E, hiddenSize: H, numLayers: 2, bidirectional: true, generator };
  return [
    ['LSTM, 2 layers, bidirectional', new LSTM(common)],
    ['GRU, 2 layers, bidirectional', new GRU(common)],
    ['tanh RNN, 2 layers, bidirectional', new RNN(common)],
    ['relu RNN, 2 layers, bidirectional', new RNN({ ...common, nonlinearity: 'relu' })],
    ['LSTM with projSize 3', new LSTM({ inputSize: E, hiddenSize: H, projSize: 3, generator })],
  ];
}

/** Rows x[t][b] of the time-major input. */
function rows(x: Tensor): number[][][] {
  const d = x.f32;
  return Array.from({ length: T }, (_, t) =>
    Array.from({ length: B }, (_, b) => Array.from(d.subarray((t * B + b) * E, (t * B + b + 1) * E))),
  );
}

function checkAgainstReference(layer: RecurrentLayer, x: Tensor, options: TraceOptions): number {
  const trace = traceRecurrent(layer, x, { lengths: LENGTHS, ...options });
  const ref = referenceTrace(layer, rows(x), LENGTHS);
  let compared = 0;
  trace.layers.forEach((dirs, l) => {
    dirs.forEach((dir, d) => {
      const named: Array<[string, Tensor]> = [...Object.entries(dir.gates), ['hidden', dir.hidden]] as Array<
        [string, Tensor]
      >;
      if (dir.cell) named.push(['cell', dir.cell]);
      for (const [name, tensor] of named) {
        const width = tensor.shape[2]!;
        expect(tensor.shape).toEqual([trace.steps.length, B, width]);
        trace.steps.forEach((t, k) => {
          for (let b = 0; b < B; b++) {
            const got = Array.from(tensor.f32.subarray((k * B + b) * width, (k * B + b + 1) * width));
            const want = ref[l]![d]![t]![b]?.[name] ?? new Array(width).fill(0);
            for (let j = 0; j < width; j++) expect(got[j]).toBeCloseTo(want[j]!, 5);
            compared += width;
          }
        });
      }
    });
  });
  return compared;
}

function traceSuite(backend: BackendName): void {
  for (const isa of isasOf(backend)) {
    const suffix = isa ? ` (${isa})` : '';
    for (const [name, layer] of layers()) {
      const x = randn([T, B, E], { generator: new Generator(5) });
      it(`${name}: every step, whole sequence at once${suffix}`, () => {
        withIsa(isa, () => expect(checkAgainstReference(layer, x, {})).toBeGreaterThan(0));
      });
      it(`${name}: spans of 3 steps, steps 1, 3, 5 kept${suffix}`, () => {
        withIsa(isa, () => {
          const trace = traceRecurrent(layer, x, { lengths: LENGTHS, chunk: 3, start: 1, end: 6, stride: 2 });
          expect(Array.from(trace.steps)).toEqual([1, 3, 5]);
          expect(checkAgainstReference(layer, x, { chunk: 3, start: 1, end: 6, stride: 2 })).toBeGreaterThan(
            0,
          );
        });
      });
    }
  }
}

describeEachBackend('traceRecurrent equals the unfused cell reference', traceSuite);
describeRelaxedWasm('traceRecurrent equals the unfused cell reference', traceSuite);

it('reads a batch-first input as (B, T, E) and reports (K, B, H)', () => {
  const generator = new Generator(3);
  const timeMajor = new GRU({ inputSize: E, hiddenSize: H, generator });
  const batchFirst = new GRU({ inputSize: E, hiddenSize: H, batchFirst: true });
  batchFirst.loadStateDict(timeMajor.stateDict());
  const x = randn([T, B, E], { generator });
  const xb = randn([B, T, E]);
  for (let t = 0; t < T; t++)
    for (let b = 0; b < B; b++)
      xb.f32.set(x.f32.subarray((t * B + b) * E, (t * B + b + 1) * E), (b * T + t) * E);
  const a = traceRecurrent(timeMajor, x, { lengths: LENGTHS });
  const c = traceRecurrent(batchFirst, xb, { lengths: LENGTHS });
  expect(Array.from(c.layers[0]![0]!.gates.z!.f32)).toEqual(Array.from(a.layers[0]![0]!.gates.z!.f32));
});

it('rejects bad options with a sentence naming them', () => {
  const layer = new LSTM({ inputSize: E, hiddenSize: H });
  const x = randn([T, B, E]);
  expect(() => traceRecurrent(layer, x, { stride: 0 })).toThrow(/stride must be a positive integer, got 0/);
  expect(() => traceRecurrent(layer, x, { start: 5, end: 3 })).toThrow(
    /0 ≤ start < end ≤ T = 7, got start 5, end 3/,
  );
  expect(() => traceRecurrent(layer, x, { lengths: [1, 2] })).toThrow(/one length per sample \(3\), got 2/);
  expect(() => traceRecurrent(layer, randn([T, B, 4]))).toThrow(/must have 3 features/);
});
