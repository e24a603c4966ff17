import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../../src/io/onnx/index.js';
import { ModelProto } from '../../src/io/onnx/schema.js';
import { SequenceForecaster, TextClassifier } from '../../src/nn/heads.js';
import { GRU, LSTM, RNN } from '../../src/nn/rnn.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { ValueError } from '../../src/tensor/errors.js';
import { Generator, manualSeed } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from './helpers.js';

// onnxruntime-node is a development dependency: loaded here, never by the library.
const ort = await import('onnxruntime-node');

type Feeds = Record<string, InstanceType<typeof ort.Tensor>>;

async function runOnnx(bytes: Uint8Array, feeds: Feeds): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const out = await session.run(feeds);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

const TOL = 1e-5;

describe('ONNX export of recurrent layers runs in ONNX Runtime with kioku outputs', () => {
  const kinds = ['LSTM', 'GRU', 'RNN', 'RNN_RELU'] as const;
  for (const kind of kinds) {
    for (const numLayers of [1, 2]) {
      for (const bidirectional of [false, true]) {
        const batchFirst = numLayers === 2; // both layouts, across the grid
        const name = `${kind} layers=${numLayers} bidirectional=${bidirectional} batchFirst=${batchFirst}`;
        it(name, async () => {
          const generator = new Generator(numLayers * 10 + (bidirectional ? 1 : 0) + kind.length);
          const options = { inputSize: 3, hiddenSize: 5, numLayers, bidirectional, batchFirst, generator };
          const layer =
            kind === 'LSTM'
              ? new LSTM(options)
              : kind === 'GRU'
                ? new GRU(options)
                : new RNN({ ...options, nonlinearity: kind === 'RNN_RELU' ? 'relu' : 'tanh' });
          const [B, T] = [3, 6];
          const x = randn(batchFirst ? [B, T, 3] : [T, B, 3], { generator });
          const lengths = Int32Array.of(6, 2, 4); // ragged, unsorted
          const [y, state] = noGrad(() => layer.forward(x, null, { lengths }));
          const [hN, cN] = Array.isArray(state) ? state : [state, null];
          const out = await runOnnx(exportOnnx(layer), {
            X: new ort.Tensor('float32', x.f32, x.shape),
            sequence_lens: new ort.Tensor('int32', lengths, [B]),
          });
          expectClose(out.Y!, y.f32, TOL, 'Y');
          expectClose(out.Y_h!, (hN as Tensor).f32, TOL, 'Y_h');
          if (cN) expectClose(out.Y_c!, cN.f32, TOL, 'Y_c');
        });
      }
    }
  }

  it('layers without biases', async () => {
    const generator = new Generator(5);
    const layer = new GRU({ inputSize: 2, hiddenSize: 3, bias: false, generator });
    const x = randn([4, 2, 2], { generator });
    const [y, hN] = noGrad(() => layer.forward(x));
    const out = await runOnnx(exportOnnx(layer), {
      X: new ort.Tensor('float32', x.f32, x.shape),
      sequence_lens: new ort.Tensor('int32', Int32Array.of(4, 4), [2]),
    });
    expectClose(out.Y!, y.f32, TOL, 'Y');
    expectClose(out.Y_h!, hN.f32, TOL, 'Y_h');
  });

  it('batch and time are dynamic: one exported model runs two input sizes', async () => {
    const generator = new Generator(8);
    const layer = new LSTM({ inputSize: 2, hiddenSize: 3, generator });
    const session = await ort.InferenceSession.create(exportOnnx(layer), { logSeverityLevel: 3 });
    for (const [T, B] of [
      [3, 1],
      [7, 4],
    ] as const) {
      const x = randn([T, B, 2], { generator });
      const [y] = noGrad(() => layer.forward(x));
      const out = await session.run({
        X: new ort.Tensor('float32', x.f32, x.shape),
        sequence_lens: new ort.Tensor('int32', new Int32Array(B).fill(T), [B]),
      });
      expectClose(out.Y!.data as Float32Array, y.f32, TOL, `Y (T=${T}, B=${B})`);
    }
  });
});

describe('ONNX export of heads', () => {
  const ids = Int32Array.from({ length: 3 * 7 }, (_, i) => 1 + ((i * 7) % 29));
  const lengths = Int32Array.of(7, 3, 5);
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    for (const pooling of ['last', 'mean', 'max', 'max-mean'] as const) {
      it(`TextClassifier ${cell} pooling=${pooling}, 2 bidirectional layers, ragged lengths`, async () => {
        const model = new TextClassifier({
          vocabSize: 30,
          embedDim: 4,
          hiddenSize: 5,
          numLayers: 2,
          cell,
          bidirectional: true,
          pooling,
          numClasses: 3,
          dropout: 0.2,
        });
        model.eval();
        const logits = noGrad(() => model.forward(new Tensor(ids, [3, 7]), lengths));
        for (const opset of [14, 18, 21]) {
          const out = await runOnnx(exportOnnx(model, { opset }), {
            input_ids: new ort.Tensor('int32', ids, [3, 7]),
            lengths: new ort.Tensor('int32', lengths, [3]),
          });
          expectClose(out.logits!, logits.f32, TOL, `logits (opset ${opset})`);
        }
      });
    }
  }

  it('the seed classifier (unidirectional LSTM, last state)', async () => {
    const model = new TextClassifier({ vocabSize: 50, embedDim: 8, hiddenSize: 6 }).eval();
    const logits = noGrad(() => model.forward(new Tensor(ids, [3, 7]), lengths));
    const out = await runOnnx(exportOnnx(model), {
      input_ids: new ort.Tensor('int32', ids, [3, 7]),
      lengths: new ort.Tensor('int32', lengths, [3]),
    });
    expectClose(out.logits!, logits.f32, TOL, 'logits');
  });

  for (const pooling of ['last', 'max'] as const) {
    it(`TextClassifier with the bag-of-words path, pooling=${pooling}`, async () => {
      const model = new TextClassifier({
        vocabSize: 30,
        embedDim: 4,
        hiddenSize: 5,
        bidirectional: true,
        pooling,
        numClasses: 3,
        bagOfWords: true,
      }).eval();
      // The path starts at zero: give it weights that show in the logits.
      model.bag!.weight.f32.set(randn([30, 3], { generator: new Generator(5) }).f32);
      model.bag!.weight.f32.fill(0, 0, 3);
      const logits = noGrad(() => model.forward(new Tensor(ids, [3, 7]), lengths));
      const bagWeights = model.bag!.weight.f32.slice();
      model.bag!.weight.f32.fill(0);
      const deep = noGrad(() => model.forward(new Tensor(ids, [3, 7]), lengths));
      model.bag!.weight.f32.set(bagWeights);
      expect(Math.max(...logits.f32.map((v, i) => Math.abs(v - deep.f32[i]!)))).toBeGreaterThan(0.1);
      const out = await runOnnx(exportOnnx(model), {
        input_ids: new ort.Tensor('int32', ids, [3, 7]),
        lengths: new ort.Tensor('int32', lengths, [3]),
      });
      expectClose(out.logits!, logits.f32, TOL, 'logits');
    });
  }

  it('SequenceForecaster', async () => {
    const model = new SequenceForecaster({
      inputSize: 2,
      hiddenSize: 4,
      numLayers: 2,
      cell: 'gru',
      horizon: 3,
    }).eval();
    const x = randn([2, 5, 2], { generator: new Generator(3) });
    const pred = noGrad(() => model.forward(x));
    const out = await runOnnx(exportOnnx(model), { x: new ort.Tensor('float32', x.f32, x.shape) });
    expectClose(out.predictions!, pred.f32, TOL, 'predictions');
  });
});

describe('ONNX model structure', () => {
  it('records the opset, the IR version and named dynamic axes', () => {
    const layer = new LSTM({ inputSize: 2, hiddenSize: 3, batchFirst: true });
    const m = ModelProto.toObject(ModelProto.decode(exportOnnx(layer, { opset: 14 })), { longs: Number }) as {
      irVersion: number;
      opsetImport: Array<{ version: number }>;
      graph: {
        input: Array<{ name: string; type: { tensorType: { shape: { dim: unknown[] } } } }>;
        node: Array<{ opType: string }>;
      };
    };
    expect(m.irVersion).toBe(7);
    expect(m.opsetImport[0]!.version).toBe(14);
    expect(m.graph.input.map((i) => i.name)).toEqual(['X', 'sequence_lens']);
    expect(m.graph.input[0]!.type.tensorType.shape.dim).toEqual([
      { dimParam: 'batch' },
      { dimParam: 'time' },
      { dimValue: 2 },
    ]);
    expect(m.graph.node.map((n) => n.opType)).toEqual([
      'Transpose',
      'LSTM',
      'Transpose',
      'Reshape',
      'Transpose',
      'Identity',
      'Identity',
    ]);
  });
});

describe('ONNX export refuses what it cannot express', () => {
  it('an LSTM with projSize', () => {
    const layer = new LSTM({ inputSize: 2, hiddenSize: 4, projSize: 2 });
    expect(() => exportOnnx(layer)).toThrow(ValueError);
    expect(() => exportOnnx(layer)).toThrow(/projSize 2.*no projection/);
  });

  it('an opset outside [14, 21] and a non-model', () => {
    const layer = new GRU({ inputSize: 2, hiddenSize: 2 });
    expect(() => exportOnnx(layer, { opset: 13 })).toThrow(/opset must be an integer in \[14, 21\], got 13/);
    expect(() => exportOnnx({} as unknown as GRU)).toThrow(
      /model must be an RNN, LSTM, GRU, TextClassifier, SequenceForecaster or LanguageModel, got Object/,
    );
  });
});

describe('ONNX IR version', () => {
  // onnx/docs/Versioning.md: the IR version of the release that introduced each opset
  // (1.9: IR 7, opset 14; 1.10–1.13: IR 8, opsets 15–18; 1.14–1.15: IR 9, 19–20; 1.16: IR 10, 21).
  const VERSIONING: Record<number, number> = { 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };
  it('pairs each opset with the IR version of the ONNX release that introduced it', () => {
    const layer = new GRU({ inputSize: 2, hiddenSize: 2 });
    for (const [opset, ir] of Object.entries(VERSIONING)) {
      const m = ModelProto.toObject(ModelProto.decode(exportOnnx(layer, { opset: Number(opset) })), {
        longs: Number,
      }) as { irVersion: number; opsetImport: Array<{ version: number }> };
      expect([m.opsetImport[0]!.version, m.irVersion]).toEqual([Number(opset), ir]);
    }
  });

  it('the default export (opset 17) is IR 8, which ONNX 1.12 checkers accept', () => {
    const m = ModelProto.toObject(ModelProto.decode(exportOnnx(new LSTM({ inputSize: 2, hiddenSize: 2 }))), {
      longs: Number,
    }) as { irVersion: number; opsetImport: Array<{ version: number }> };
    expect([m.opsetImport[0]!.version, m.irVersion]).toEqual([17, 8]);
  });
});

describe('ONNX export of length-0 samples', () => {
  const lengths = Int32Array.of(5, 0, 3, 0);
  for (const kind of ['LSTM', 'GRU', 'RNN'] as const) {
    it(`${kind}, 2 bidirectional layers: output 0 and hN = h0 = 0, as kioku`, async () => {
      const generator = new Generator(40 + kind.length);
      const options = { inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, generator };
      const layer =
        kind === 'LSTM' ? new LSTM(options) : kind === 'GRU' ? new GRU(options) : new RNN(options);
      const x = randn([5, 4, 3], { generator });
      const [y, state] = noGrad(() => layer.forward(x, null, { lengths }));
      const [hN, cN] = Array.isArray(state) ? state : [state, null];
      const out = await runOnnx(exportOnnx(layer), {
        X: new ort.Tensor('float32', x.f32, x.shape),
        sequence_lens: new ort.Tensor('int32', lengths, [4]),
      });
      expectClose(out.Y!, y.f32, TOL, 'Y');
      expectClose(out.Y_h!, (hN as Tensor).f32, TOL, 'Y_h');
      if (cN) expectClose(out.Y_c!, cN.f32, TOL, 'Y_c');
      // samples 1 and 3 are empty: every step and the final states are exactly 0
      for (const b of [1, 3]) {
        for (let t = 0; t < 5; t++)
          expect(Array.from(out.Y!.subarray((t * 4 + b) * 8, (t * 4 + b + 1) * 8))).toEqual(Array(8).fill(0));
      }
    });
  }

  for (const pooling of ['last', 'mean', 'max', 'max-mean'] as const) {
    it(`TextClassifier pooling=${pooling}: an empty sample pools to 0 (logits = fc bias), not NaN`, async () => {
      const model = new TextClassifier({
        vocabSize: 20,
        embedDim: 4,
        hiddenSize: 5,
        pooling,
        numClasses: 3,
      }).eval();
      const ids = Int32Array.of(3, 7, 9, 2, 0, 0, 0, 0, 5, 1, 4, 0);
      const lens = Int32Array.of(4, 0, 3);
      const out = await runOnnx(exportOnnx(model), {
        input_ids: new ort.Tensor('int32', ids, [3, 4]),
        lengths: new ort.Tensor('int32', lens, [3]),
      });
      // kioku refuses a length of 0, so the non-empty samples are checked as a batch of two
      const kept = noGrad(() =>
        model.forward(new Tensor(Int32Array.of(3, 7, 9, 2, 5, 1, 4, 0), [2, 4]), Int32Array.of(4, 3)),
      );
      expectClose(out.logits!.subarray(0, 3), kept.f32.subarray(0, 3), TOL, 'logits[0]');
      expectClose(out.logits!.subarray(6, 9), kept.f32.subarray(3, 6), TOL, 'logits[2]');
      expectClose(out.logits!.subarray(3, 6), model.fc.bias!.f32, TOL, 'logits[1] (empty)');
    });
  }
});

describe('ONNX Runtime agreement on long batches', () => {
  // ONNX Runtime and kioku sum in different orders, so their float32 results drift apart as
  // sequences grow: within 1e-5 on small inputs, and within the README's relative tolerance,
  // |onnx − kioku| ≤ 1e-4·(1 + |kioku|), at batch 64 × 256 steps.
  const REL_TOL = 1e-4;
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    it(`TextClassifier ${cell}, bidirectional, batch 64 × 256 steps`, async () => {
      manualSeed(64);
      const model = new TextClassifier({
        vocabSize: 500,
        embedDim: 32,
        hiddenSize: 64,
        cell,
        bidirectional: true,
        pooling: 'max',
      }).eval();
      const [B, T] = [64, 256];
      const lengths = Int32Array.from({ length: B }, (_, b) => T - ((b * 37) % 200));
      const ids = new Int32Array(B * T);
      for (let b = 0; b < B; b++)
        for (let t = 0; t < lengths[b]!; t++) ids[b * T + t] = 1 + ((b * 131 + t * 17) % 499);
      const logits = noGrad(() => model.forward(new Tensor(ids, [B, T]), lengths));
      const out = await runOnnx(exportOnnx(model), {
        input_ids: new ort.Tensor('int32', ids, [B, T]),
        lengths: new ort.Tensor('int32', lengths, [B]),
      });
      expectClose(out.logits!, logits.f32, REL_TOL, 'logits');
    }, 60_000);
  }
});
