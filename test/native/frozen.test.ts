import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freezeRecurrent } from '../../src/backend/frozen.js';
import { nativeBackend } from '../../src/backend/native/index.js';
import { backend, setBackend } from '../../src/backend/registry.js';
import { GRU, LSTM, RNN } from '../../src/nn/rnn.js';
import { sum } from '../../src/ops/reduce.js';
import { SGD } from '../../src/optim/sgd.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { withIsa } from '../helpers/backends.js';
import { randomArray, seeded } from './compare.js';

// A frozen layer (RecurrentBase.freeze) runs its inference forwards on the native backend's copy
// of its weights, W_ihᵀ and W_hhᵀ packed once (native/src/frozen_weights.h): every answer must be
// bit for bit the unfrozen layer's, the packs must serve the products that pack (and no others),
// and anything kioku does that writes the weights must drop the copy.
const { addon } = nativeBackend();

type Layer = LSTM | GRU | RNN;

/** x (T, B, E) with every row drawn, or (repeating) from a table of `distinct` rows. */
function input(gen: Generator, T: number, B: number, E: number, distinct = 0): Tensor {
  const data = randomArray(gen, T * B * E);
  if (distinct > 0)
    for (let r = distinct; r < T * B; r++)
      data.copyWithin(r * E, (r % distinct) * E, ((r % distinct) + 1) * E);
  return new Tensor(data, [T, B, E]);
}

/** The layer's hN and output under noGrad (lengths when given), as plain arrays. */
function run(layer: Layer, x: Tensor, lengths: number[] | null): Float32Array[] {
  return noGrad(() => {
    const opts = { lengths };
    if (layer instanceof LSTM) {
      const [out, [h, c]] = layer.forward(x, null, opts);
      return [out.f32.slice(), h.f32.slice(), c.f32.slice()];
    }
    const [out, h] = layer.forward(x, null, opts);
    return [out.f32.slice(), h.f32.slice()];
  });
}

const uses = () => addon!.info().frozenPackUses ?? 0;

function expectSame(a: Float32Array[], b: Float32Array[]): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++)
    expect(Buffer.from(a[i]!.buffer).equals(Buffer.from(b[i]!.buffer))).toBe(true);
}

// Each case takes a different path of the driver's forward (driver.h).
const CASES: Array<{
  name: string;
  make: () => Layer;
  T: number;
  B: number;
  lengths?: number[];
  distinct?: number;
}> = [
  {
    name: 'LSTM, lengths: one GEMM of input products, then the packed recurrent products',
    make: () => new LSTM({ inputSize: 16, hiddenSize: 32, generator: new Generator(1) }),
    T: 7,
    B: 6,
    lengths: [7, 3, 5, 7, 1, 6],
  },
  {
    name: 'LSTM, no lengths: input products per step',
    make: () => new LSTM({ inputSize: 16, hiddenSize: 32, generator: new Generator(2) }),
    T: 5,
    B: 8,
  },
  {
    name: 'LSTM, repeated input rows: the table of distinct rows',
    make: () => new LSTM({ inputSize: 16, hiddenSize: 24, generator: new Generator(3) }),
    T: 12,
    B: 8,
    distinct: 10,
  },
  {
    name: 'bidirectional two-layer LSTM with a projection',
    make: () =>
      new LSTM({
        inputSize: 12,
        hiddenSize: 20,
        numLayers: 2,
        bidirectional: true,
        projSize: 8,
        generator: new Generator(4),
      }),
    T: 6,
    B: 7,
    lengths: [6, 2, 6, 4, 5, 1, 3],
  },
  {
    name: 'GRU without biases',
    make: () => new GRU({ inputSize: 10, hiddenSize: 18, bias: false, generator: new Generator(5) }),
    T: 4,
    B: 9,
    lengths: [4, 4, 2, 1, 3, 4, 2, 1, 4],
  },
  {
    name: 'RNN (relu)',
    make: () => new RNN({ inputSize: 9, hiddenSize: 14, nonlinearity: 'relu', generator: new Generator(6) }),
    T: 5,
    B: 6,
  },
  {
    name: 'LSTM, a product too large for one thread: sgemmParallel packs W_ihᵀ itself',
    make: () => new LSTM({ inputSize: 96, hiddenSize: 128, generator: new Generator(7) }),
    T: 12,
    B: 24,
    lengths: Array.from({ length: 24 }, (_, b) => 12 - (b % 5)),
  },
];

describe.skipIf(!addon)('frozen recurrent weights on the native backend', () => {
  let before: ReturnType<typeof backend>;
  beforeAll(() => {
    before = backend();
    setBackend('native');
  });
  afterAll(() => setBackend(before));

  for (const c of CASES) {
    it(`${c.name}: bit-identical to the unfrozen layer, on every instruction set`, () => {
      const layer = c.make();
      const frozen = c.make().freeze();
      const x = input(seeded(10), c.T, c.B, layer.inputSize, c.distinct);
      // Every instruction set in turn, and back: the frozen packs are made again for each (and
      // the remembered products forgotten), as packing per call would make them.
      const isas = addon!.info().isas;
      for (const isa of [...isas, ...isas.slice(0, -1).reverse()]) {
        withIsa(isa, () => {
          const plain = run(layer, x, c.lengths ?? null);
          expectSame(run(frozen, x, c.lengths ?? null), plain);
          // Again: the input rows' products now come from those remembered.
          expectSame(run(frozen, x, c.lengths ?? null), plain);
        });
      }
    });
  }

  it("remembers input rows' products across calls, and stops where rows do not repeat", () => {
    const layer = new LSTM({ inputSize: 16, hiddenSize: 16, generator: new Generator(9) });
    const frozen = new LSTM({ inputSize: 16, hiddenSize: 16, generator: new Generator(9) }).freeze();
    const lengths = Array.from({ length: 50 }, (_, b) => 12 - (b % 7));
    // Rows from a small table (tokens) in some calls, all new in others: past 4096 rows with few
    // found, the table is dropped; every answer stays the unfrozen one.
    for (let call = 0; call < 12; call++) {
      const x = input(seeded(30 + call), 12, 50, 16, call % 3 === 0 ? 40 : 0);
      expectSame(run(frozen, x, lengths), run(layer, x, lengths));
    }
  });

  it('the packs serve every call that packs, and none that streams', () => {
    const layer = new LSTM({ inputSize: 16, hiddenSize: 32, generator: new Generator(8) }).freeze();
    const x = input(seeded(11), 7, 6, 16);
    const lengths = [7, 3, 5, 7, 1, 6];
    const start = uses();
    run(layer, x, lengths);
    // W_ihᵀ for the input products, W_hhᵀ for the recurrent ones.
    expect(uses() - start).toBe(2);
    run(layer, x, lengths);
    expect(uses() - start).toBe(4);
    // One step of one row streams the weights unpacked: nothing to serve.
    run(layer, input(seeded(12), 1, 1, 16), null);
    expect(uses() - start).toBe(4);
  });

  it('a frozen forward reads its copy, not the arrays it is passed', () => {
    const [G, E, H] = [16, 5, 4];
    const gen = seeded(13);
    const [wIh, wHh, bIh, bHh] = [
      randomArray(gen, G * E),
      randomArray(gen, G * H),
      randomArray(gen, G),
      randomArray(gen, G),
    ];
    const frozen = freezeRecurrent({ G, E, R: H, H, P: 0, wIh, wHh, bIh, bHh, wHr: null })!;
    expect(frozen.backend).toBe('native');
    const [T, B] = [3, 6];
    const x = randomArray(gen, T * B * E);
    const call = (f: (...a: never[]) => void, w: Float32Array[]) => {
      const out = new Float32Array(T * B * H);
      const args = [
        T,
        B,
        E,
        H,
        0,
        x,
        w[0],
        w[1],
        null,
        w[2],
        w[3],
        new Float32Array(B * H),
        new Float32Array(B * H),
      ];
      const rest = [null, false, out, new Float32Array(B * H), new Float32Array(B * H), null, null, null];
      (f as (...a: unknown[]) => void)(...args, ...rest);
      return out;
    };
    const expected = call(addon!.lstmForward as never, [wIh, wHh, bIh, bHh]);
    const zeros = [wIh, wHh, bIh, bHh].map((w) => new Float32Array(w.length));
    expectSame([call(frozen.lstmForward as never, zeros)], [expected]);
  });

  it("a frozen forward refuses another layer's shape, and anything but a handle", () => {
    const [G, E, H, T, B] = [16, 5, 4, 2, 3];
    const handle = addon!.freezeRecurrent!(
      G,
      E,
      H,
      H,
      0,
      new Float32Array(G * E),
      new Float32Array(G * H),
      null,
      null,
      null,
    );
    // A GRU of this H has 3·H = 12 gate rows, not 16.
    const gru = (h: unknown) =>
      addon!.frozen!.gruForward(
        ...[
          T,
          B,
          E,
          H,
          new Float32Array(T * B * E),
          new Float32Array(12 * E),
          new Float32Array(12 * H),
          null,
          null,
        ],
        ...[
          new Float32Array(B * H),
          null,
          false,
          new Float32Array(T * B * H),
          new Float32Array(B * H),
          null,
          h,
        ],
      );
    expect(() => gru(handle)).toThrow(/gruForward: the frozen weights are another layer's/);
    expect(() => gru({})).toThrow(/gruForward: the last argument must be what freezeRecurrent returned/);
  });

  it('loadStateDict, resetParameters and a gradient-recording forward drop the copy', () => {
    const make = (seed: number) => new LSTM({ inputSize: 8, hiddenSize: 12, generator: new Generator(seed) });
    const x = input(seeded(14), 6, 5, 8);
    const layer = make(20).freeze();
    const other = make(21);
    layer.loadStateDict(other.stateDict());
    expect(layer.frozen).toBe(false);
    layer.freeze();
    expectSame(run(layer, x, null), run(other, x, null));

    layer.resetParameters(new Generator(22));
    expect(layer.frozen).toBe(false);

    layer.freeze();
    const [out] = layer.forward(x);
    expect(layer.frozen).toBe(false);
    expect(out.requiresGrad).toBe(true);
  });

  it('an optimiser step cannot change a frozen layer: its parameters get no gradient', () => {
    const layer = new LSTM({ inputSize: 8, hiddenSize: 12, generator: new Generator(23) });
    const x = input(seeded(15), 4, 5, 8);
    const sgd = new SGD(layer.parameters(), { lr: 0.5 });
    // A graph recorded before the freeze, its backward after it.
    const [out] = layer.forward(x);
    layer.freeze();
    const frozenAnswer = run(layer, x, null);
    sum(out).backward();
    expect(layer.parameters().every((p) => p.grad === null)).toBe(true);
    sgd.step();
    expect(layer.frozen).toBe(true);
    expectSame(run(layer, x, null), frozenAnswer);
    layer.unfreeze();
    expectSame(run(layer, x, null), frozenAnswer);
  });

  it('unfreeze gives each parameter back the requiresGrad it had', () => {
    const layer = new LSTM({ inputSize: 4, hiddenSize: 6, generator: new Generator(26) });
    const fixed = layer.parameters()[0]!;
    fixed.requiresGrad = false;
    layer.freeze().freeze();
    expect(layer.parameters().some((p) => p.requiresGrad)).toBe(false);
    layer.forward(input(seeded(18), 3, 2, 4));
    expect(layer.frozen).toBe(false);
    expect(layer.parameters().map((p) => p.requiresGrad)).toEqual(layer.parameters().map((p) => p !== fixed));
  });

  it('freeze drops the gradients a step would apply', () => {
    const layer = new RNN({ inputSize: 4, hiddenSize: 6, generator: new Generator(24) });
    const x = input(seeded(16), 3, 2, 4);
    const before = run(layer, x, null);
    const [out] = layer.forward(x);
    sum(out).backward();
    const sgd = new SGD(layer.parameters(), { lr: 0.5 });
    layer.freeze();
    sgd.step();
    expectSame(run(layer, x, null), before);
    // The weights themselves, not only the frozen copy, are as they were.
    layer.unfreeze();
    expectSame(run(layer, x, null), before);
  });
});

describe('frozen recurrent weights on the JS backend', () => {
  it('freeze keeps nothing there, and the answers are the same', () => {
    const before = backend();
    setBackend('js');
    try {
      const layer = new GRU({ inputSize: 6, hiddenSize: 8, generator: new Generator(25) });
      const x = input(seeded(17), 5, 3, 6);
      const plain = run(layer, x, null);
      expect(
        freezeRecurrent({
          G: 24,
          E: 6,
          R: 8,
          H: 8,
          P: 0,
          wIh: new Float32Array(144),
          wHh: new Float32Array(192),
          bIh: null,
          bHh: null,
          wHr: null,
        }),
      ).toBeNull();
      layer.freeze();
      expect(layer.frozen).toBe(true);
      expectSame(run(layer, x, null), plain);
    } finally {
      setBackend(before);
    }
  });
});
