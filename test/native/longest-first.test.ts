import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeBackend } from '../../src/backend/native/index.js';
import { backend, setBackend } from '../../src/backend/registry.js';
import { GRU, LSTM, RNN } from '../../src/nn/rnn.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { randomArray, seeded } from './compare.js';

// A batch whose lengths never grow down the batch (longest first, as a server sorts its texts)
// lets the native driver skip the recurrent products of rows past their length (driver.h,
// lengthsNeverGrow). Each row must come out bit for bit as it does in the same batch in an
// order that skips nothing, in both directions, frozen or not.
const { addon } = nativeBackend();

type Layer = LSTM | GRU | RNN;

const T = 9;
const B = 8;
const E = 12;
/** Longest first, with ties, the full length and a single step. */
const SORTED = [9, 9, 7, 6, 6, 3, 2, 1];
/** Where each row of the sorted batch goes in the other order (its lengths then rise and fall). */
const SHUFFLE = [5, 0, 7, 2, 6, 1, 4, 3];

/** x (B, T, E) batch first, rows placed by `place` (row r at place[r]). */
function batch(data: Float32Array, place: number[]): Tensor {
  const out = new Float32Array(data.length);
  for (let r = 0; r < B; r++) out.set(data.subarray(r * T * E, (r + 1) * T * E), place[r]! * T * E);
  return new Tensor(out, [B, T, E]);
}

/** Each row's output (T·D·H values) and final states, in the sorted batch's row order. */
function rows(layer: Layer, x: Tensor, lengths: number[], place: number[]): Float32Array[] {
  return noGrad(() => {
    const [out, state] = layer.forward(x, null, { lengths: Int32Array.from(lengths) });
    const h = (Array.isArray(state) ? state[0] : state) as Tensor;
    const per = out.size / B;
    const hPer = h.shape[2]!;
    const L = h.shape[0]!;
    return place.map((p) => {
      const states = Array.from({ length: L }, (_, l) =>
        h.f32.subarray((l * B + p) * hPer, (l * B + p + 1) * hPer),
      );
      const row = new Float32Array(per + L * hPer);
      row.set(out.f32.subarray(p * per, (p + 1) * per));
      for (const [l, s] of states.entries()) row.set(s, per + l * hPer);
      return row;
    });
  });
}

const LAYERS: Array<{ name: string; make: () => Layer }> = [
  {
    name: 'LSTM',
    make: () => new LSTM({ inputSize: E, hiddenSize: 16, batchFirst: true, generator: new Generator(1) }),
  },
  {
    name: 'bidirectional two-layer GRU',
    make: () =>
      new GRU({
        inputSize: E,
        hiddenSize: 10,
        numLayers: 2,
        bidirectional: true,
        batchFirst: true,
        generator: new Generator(2),
      }),
  },
  {
    name: 'RNN',
    make: () => new RNN({ inputSize: E, hiddenSize: 14, batchFirst: true, generator: new Generator(3) }),
  },
];

describe.skipIf(!addon)('a batch longest first skips finished rows and changes no row', () => {
  let before: ReturnType<typeof backend>;
  beforeAll(() => {
    before = backend();
    setBackend('native');
  });
  afterAll(() => setBackend(before));

  for (const { name, make } of LAYERS) {
    for (const frozen of [false, true]) {
      it(`${name}${frozen ? ', frozen' : ''}`, () => {
        const layer = frozen ? make().freeze() : make();
        const data = randomArray(seeded(20), B * T * E);
        const identity = SORTED.map((_, r) => r);
        const shuffledLengths = new Array<number>(B);
        SORTED.forEach((n, r) => {
          shuffledLengths[SHUFFLE[r]!] = n;
        });
        const sorted = rows(layer, batch(data, identity), SORTED, identity);
        const shuffled = rows(layer, batch(data, SHUFFLE), shuffledLengths, SHUFFLE);
        for (let r = 0; r < B; r++)
          expect(Buffer.from(sorted[r]!.buffer).equals(Buffer.from(shuffled[r]!.buffer)), `row ${r}`).toBe(
            true,
          );
      });
    }
  }
});
