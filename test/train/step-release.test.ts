import { describe, expect, it } from 'vitest';
import { Embedding } from '../../src/nn/embedding.js';
import { Linear } from '../../src/nn/linear.js';
import { crossEntropy } from '../../src/nn/losses.js';
import { Module, Parameter } from '../../src/nn/module.js';
import { LSTM } from '../../src/nn/rnn.js';
import { mul } from '../../src/ops/binary.js';
import { sum } from '../../src/ops/reduce.js';
import { reshape } from '../../src/ops/shape.js';
import { Adam } from '../../src/optim/adam.js';
import { clipGradNorm } from '../../src/optim/clip.js';
import { KiokuError } from '../../src/tensor/errors.js';
import { activationPool } from '../../src/tensor/pool.js';
import { Generator } from '../../src/tensor/random.js';
import { randint, randn } from '../../src/tensor/random-tensors.js';
import { dropGradients, trainingStep } from '../../src/tensor/step.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { classificationTask, type LabelledSequences } from '../../src/train/tasks.js';
import { fit as fitModel } from '../../src/train/trainer.js';
import { describeEachBackend } from '../helpers/backends.js';

// Sizes where the embedding output (B·T·E), its transpose and the embedding gradient (V·E) are
// large enough (≥ 2^14 floats) to go through the pools.
const [V, E, H, B, T] = [300, 64, 16, 8, 32];

/** Embedding → LSTM (batch first, per-sample lengths) → Linear on h_n, the seed's classifier. */
class Classifier extends Module {
  readonly embedding: Embedding;
  readonly lstm: LSTM;
  readonly fc: Linear;
  constructor(generator: Generator) {
    super();
    this.embedding = this.registerModule('embedding', new Embedding(V, E, { generator }));
    this.lstm = this.registerModule(
      'lstm',
      new LSTM({ inputSize: E, hiddenSize: H, batchFirst: true, generator }),
    );
    this.fc = this.registerModule('fc', new Linear(H, 2, { generator }));
  }
  forward(inputs: Tensor, lengths?: Int32Array): Tensor {
    const [, [hN]] = this.lstm.forward(this.embedding.forward(inputs), null, { lengths });
    return this.fc.forward(reshape(hN, [B, H]));
  }
}

function batches(seed: number, count: number): LabelledSequences[] {
  const g = new Generator(seed);
  return Array.from({ length: count }, () => ({
    inputs: randint(0, V, [B, T], { generator: g }),
    lengths: Int32Array.from({ length: B }, () => 1 + Math.floor(g.random() * T)),
    labels: randint(0, 2, [B], { generator: g }),
  }));
}

const bits = (t: Tensor) => Array.from(new Uint32Array(t.f32.slice().buffer));
const weightBits = (m: Module) => m.parameters().map(bits);
const released = /released when its training step ended/;

describeEachBackend('training steps that free their tensors', () => {
  it('gives fit the same losses and weights, bit for bit, as the same steps run by hand', async () => {
    const data = batches(1, 3);
    const epochs = 2;

    const byHand = new Classifier(new Generator(7));
    const optHand = new Adam(byHand.parameters(), { lr: 1e-2 });
    const handLosses: number[] = [];
    for (let e = 0; e < epochs; e++) {
      for (const batch of data) {
        optHand.zeroGrad();
        const loss = crossEntropy(byHand.forward(batch.inputs, batch.lengths), batch.labels);
        handLosses.push(loss.item());
        loss.backward();
        clipGradNorm(byHand.parameters(), 1);
        optHand.step();
      }
    }

    const model = new Classifier(new Generator(7));
    const fitLosses: number[] = [];
    let lastGrads: number[][] = [];
    await fitModel(model, {
      task: classificationTask(),
      train: data,
      epochs,
      optimizer: new Adam(model.parameters(), { lr: 1e-2 }),
      loss: crossEntropy,
      clipGradNorm: 1,
      metrics: ['accuracy'],
      callbacks: {
        onBatchEnd: ({ loss }) => {
          fitLosses.push(loss);
          // Gradients stay readable after their step, until the next step drops them.
          lastGrads = model.parameters().map((p) => bits(p.grad!));
        },
      },
    });
    expect(fitLosses).toEqual(handLosses);
    expect(weightBits(model)).toEqual(weightBits(byHand));
    expect(lastGrads).toEqual(byHand.parameters().map((p) => bits(p.grad!)));
    // The inputs fit was given are the caller's: never released.
    expect(data.map((b) => Array.from(b.inputs.i32))).toEqual(
      batches(1, 3).map((b) => Array.from(b.inputs.i32)),
    );
  });

  it('reuses one step’s buffers in the next and releases the tensors over them', () => {
    const model = new Classifier(new Generator(3));
    const params = model.parameters();
    const opt = new Adam(params, { lr: 1e-2 });
    const [batch] = batches(2, 1);
    const step = () => {
      dropGradients(params, () => opt.zeroGrad());
      return trainingStep(() => {
        const emb = model.embedding.forward(batch!.inputs);
        const out = model.fc.forward(reshape(model.lstm.forward(emb, null)[1][0], [B, H]));
        const loss = crossEntropy(out, batch!.labels);
        loss.backward();
        opt.step();
        return { emb, loss, value: loss.item() };
      });
    };
    const first = step();
    const firstGrad = model.embedding.weight.grad!;
    const firstGradStorage = firstGrad.storage;
    expect(Number.isFinite(first.value)).toBe(true);
    // The embedding output (B·T·E floats) went back to the pool: reading it throws.
    expect(() => first.emb.data).toThrow(KiokuError);
    expect(() => first.emb.f32).toThrow(released);
    expect(() => first.emb.tolist()).toThrow(released);
    expect(() => first.emb.detach()).toThrow(released);
    // A scalar is too small to pool and stays readable, but its graph was freed.
    expect(first.loss.item()).toBe(first.value);
    expect(() => first.loss.backward()).toThrow(/graph behind this tensor was freed/);
    // Gradients stay readable until the next step drops them.
    expect(firstGrad.f32.length).toBe(V * E);

    // The step's outputs are back in the pool; the next step takes them instead of new ones.
    const pooled = activationPool.bytes;
    expect(pooled).toBeGreaterThanOrEqual(4 * B * T * E);
    const second = step();
    expect(activationPool.bytes).toBe(pooled);
    expect(() => second.emb.f32).toThrow(released);
    expect(() => firstGrad.f32).toThrow(released);
    expect(model.embedding.weight.grad!.storage).toBe(firstGradStorage);
  });

  it('never releases what a caller keeps: parameters, detached tensors, inputs, views of gradients', () => {
    const g = new Generator(4);
    const x = randn([B, T, E], { generator: g });
    const xBits = bits(x);
    const w = new Parameter(randn([E], { generator: g }).f32, [E]);
    const wBits = bits(w);
    let kept: Tensor | null = null;
    let keptBits: number[] = [];
    let made: Parameter | null = null;
    let madeBits: number[] = [];
    const step = () =>
      trainingStep(() => {
        const y = mul(x, w);
        // A detached tensor and a parameter built inside the step outlive it.
        kept ??= y.detach();
        if (keptBits.length === 0) keptBits = bits(kept);
        made ??= new Parameter(mul(x, 2).f32, [B, T, E]);
        if (madeBits.length === 0) madeBits = bits(made);
        sum(mul(y, made)).backward();
      });
    step();
    // A view of the gradient taken between steps may be read after the next step dropped it.
    const gradView = reshape(made!.grad!, [B * T * E]);
    const gradBits = bits(gradView);
    dropGradients([w, made!], () => {
      w.grad = null;
      made!.grad = null;
    });
    step();
    step();
    expect(bits(x)).toEqual(xBits);
    expect(bits(kept!)).toEqual(keptBits);
    expect(bits(made!)).toEqual(madeBits);
    expect(bits(gradView)).toEqual(gradBits);
    expect(bits(w)).toEqual(wBits);
  });

  it('says what happened when a tensor kept past its step is read', () => {
    const x = randn([B, T, E], { generator: new Generator(5) });
    const y = trainingStep(() => mul(x, 3));
    expect(() => y.data).toThrow(
      'tensor of shape (8, 32, 64) was released when its training step ended (fit reuses the memory of the tensors a step creates); keep a clone() or detach() made during the step instead',
    );
    // Outside a step, op outputs are ordinary tensors.
    const z = mul(x, 3);
    expect(z.f32[0]).toBe(Math.fround(x.f32[0]! * 3));
  });
});

describe('dropGradients', () => {
  it('leaves a gradient a parameter still holds', () => {
    const p = new Parameter(new Float32Array(1 << 14), [1 << 14]);
    sum(mul(p, p)).backward();
    const g = p.grad!;
    dropGradients([p], () => {});
    expect(p.grad).toBe(g);
    expect(g.f32.length).toBe(1 << 14);
  });
});
