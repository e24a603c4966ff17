import { expect, it } from 'vitest';
import { GRU, LSTM, RNN } from '../../src/nn/rnn.js';
import { sum } from '../../src/ops/reduce.js';
import { slice } from '../../src/ops/shape.js';
import { Generator } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { gradientFlow, meanNorms } from '../../src/train/inspect/gradient-flow.js';
import type { RecurrentLayer } from '../../src/train/inspect/layer-weights.js';
import { describeEachBackend } from '../helpers/backends.js';
import { describeRelaxedWasm } from './wasm-relaxed.js';

const T = 6;
const B = 3;
const E = 2;
const H = 4;
const LENGTHS = [6, 3, 1];

function layers(numLayers: number, bidirectional: boolean): Array<[string, RecurrentLayer]> {
  const generator = new Generator(21);
  const o = { inputSize: E, hiddenSize: H, numLayers, bidirectional, generator };
  return [
    ['LSTM', new LSTM(o)],
    ['GRU', new GRU(o)],
    ['RNN', new RNN(o)],
  ];
}

/** Per (t, b) norms of a (T, B, K) gradient. */
function rowNorms(g: Float32Array, K: number): number[] {
  return Array.from({ length: T * B }, (_, i) => Math.hypot(...g.subarray(i * K, (i + 1) * K)));
}

function gradientFlowSuite(): void {
  for (const [name, layer] of layers(2, true)) {
    it(`${name}, 2 layers, bidirectional, ragged: ‖∂hN/∂x_t‖ equals the whole-sequence BPTT's`, () => {
      const x = randn([T, B, E], { generator: new Generator(4) });
      const flow = gradientFlow(layer, x, { lengths: LENGTHS });
      const leaf = new Tensor(x.f32.slice(), [T, B, E], { requiresGrad: true });
      const r = layer.forward(leaf, null, { lengths: LENGTHS });
      const hN = layer instanceof LSTM ? (r[1] as [Tensor, Tensor])[0] : (r[1] as Tensor);
      sum(slice(hN, 0, 2, 4)).backward();
      const want = rowNorms(leaf.grad!.f32, E);
      const got = Array.from(flow.input.f32);
      for (let i = 0; i < T * B; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
      for (let b = 0; b < B; b++) expect(flow.input.f32[(T - 1) * B + b]! > 0).toBe(LENGTHS[b] === T);
    });
  }

  for (const [name, layer] of layers(1, false)) {
    it(`${name}: ‖∂hN/∂h_t‖ equals the gradient of h0 of a run started from h_t`, () => {
      const x = randn([T, B, E], { generator: new Generator(8) });
      const flow = gradientFlow(layer, x);
      const hidden = flow.hidden[0]![0]!;
      for (let t = 0; t < T - 1; t++) {
        const head = new Tensor(x.f32.slice(0, (t + 1) * B * E), [t + 1, B, E]);
        const rest = new Tensor(x.f32.slice((t + 1) * B * E), [T - t - 1, B, E]);
        let h0: Tensor;
        let g: Float32Array;
        if (layer instanceof LSTM) {
          const [, [h, c]] = layer.forward(head);
          h0 = new Tensor(h.f32.slice(), h.shape, { requiresGrad: true });
          const [, [hN]] = layer.forward(rest, [h0, new Tensor(c.f32.slice(), c.shape)]);
          sum(hN).backward();
          g = h0.grad!.f32;
        } else {
          const [, h] = (layer as GRU).forward(head);
          h0 = new Tensor(h.f32.slice(), h.shape, { requiresGrad: true });
          const [, hN] = (layer as GRU).forward(rest, h0);
          sum(hN).backward();
          g = h0.grad!.f32;
        }
        for (let b = 0; b < B; b++) {
          expect(hidden.f32[t * B + b]).toBeCloseTo(Math.hypot(...g.subarray(b * H, (b + 1) * H)), 5);
        }
      }
      // The last step's hidden state is the target itself: ∂(Σ hN)/∂h_T = 1 per feature.
      for (let b = 0; b < B; b++) expect(hidden.f32[(T - 1) * B + b]).toBeCloseTo(Math.sqrt(H), 5);
    });
  }
}

describeEachBackend('gradientFlow', gradientFlowSuite);
describeRelaxedWasm('gradientFlow', gradientFlowSuite);

it('meanNorms averages each step over the samples that reach it', () => {
  const norms = new Tensor(Float32Array.from([1, 3, 2, 0]), [2, 2]);
  expect(Array.from(meanNorms(norms, Int32Array.from([2, 1])))).toEqual([2, 2]);
  expect(Array.from(meanNorms(norms))).toEqual([2, 1]);
});

it('leaves the parameters without gradients and rejects a target that is not a function', () => {
  const layer = new GRU({ inputSize: E, hiddenSize: H });
  gradientFlow(layer, randn([T, B, E]));
  for (const p of layer.parameters()) expect(p.grad).toBeNull();
  expect(() => gradientFlow(layer, randn([T, B, E]), { target: 3 as never })).toThrow(
    /target must be a function/,
  );
});
