import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { embedding } from '../../src/ops/embedding.js';
import { max, mean, sum } from '../../src/ops/reduce.js';
import { gather, indexSelect } from '../../src/ops/shape.js';
import { logSoftmax, softmax } from '../../src/ops/softmax.js';
import { type Tensor, tensor } from '../../src/tensor/tensor.js';
import { describeEachBackend } from '../helpers/backends.js';

interface Encoded {
  shape: number[];
  dtype: 'float32' | 'int32';
  data: number[];
}

interface Case {
  inputs: Encoded[];
  out: Encoded;
  gOut: Encoded;
  grads: (Encoded | null)[];
  indices?: Encoded;
  index?: Encoded;
  paddingIdx?: number;
  axis?: number;
  keepDims?: boolean;
}

/** Written by scripts/fixtures_ops.py (PyTorch). */
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/ops/ops.json', import.meta.url), 'utf8')) as {
  cases: Record<string, Case>;
};

const decode = (e: Encoded): Tensor =>
  tensor(e.dtype === 'int32' ? Int32Array.from(e.data) : Float32Array.from(e.data), { shape: e.shape });

function expectClose(actual: Tensor, expected: Encoded, rtol: number, atol: number): void {
  expect(actual.shape).toEqual(expected.shape);
  const a = actual.f32;
  expected.data.forEach((v, i) => {
    if (Math.abs(a[i]! - v) > atol + rtol * Math.abs(v)) {
      expect.fail(`element ${i}: ${a[i]} vs PyTorch ${v}`);
    }
  });
}

const ops: Record<string, (x: Tensor, c: Case) => Tensor> = {
  embedding: (w, c) => embedding(w, decode(c.indices!)),
  embedding_padding: (w, c) => embedding(w, decode(c.indices!), c.paddingIdx),
  gather_axis1: (x, c) => gather(x, c.axis!, decode(c.index!)),
  indexSelect_axis0: (x, c) => indexSelect(x, c.axis!, decode(c.index!)),
  'softmax_axis-1': (x, c) => softmax(x, c.axis),
  softmax_axis1: (x, c) => softmax(x, c.axis),
  softmax_axis0: (x, c) => softmax(x, c.axis),
  'logSoftmax_axis-1': (x, c) => logSoftmax(x, c.axis),
  logSoftmax_axis1: (x, c) => logSoftmax(x, c.axis),
  logSoftmax_axis0: (x, c) => logSoftmax(x, c.axis),
  logSoftmax_large: (x, c) => logSoftmax(x, c.axis),
  sum_axis1_keep: (x, c) => sum(x, c.axis, c.keepDims),
  mean_all: (x) => mean(x),
  mean_axis0: (x, c) => mean(x, c.axis, c.keepDims),
  max_axis2: (x, c) => max(x, c.axis, c.keepDims),
};

describeEachBackend('parity with PyTorch', () => {
  it('covers every fixture case', () => {
    expect(Object.keys(ops).sort()).toEqual(Object.keys(fixture.cases).sort());
  });

  it.each(Object.keys(ops))('%s: forward and gradient', (name) => {
    const c = fixture.cases[name]!;
    const x = decode(c.inputs[0]!);
    x.requiresGrad = true;
    const y = ops[name]!(x, c);
    expectClose(y, c.out, 1e-5, 1e-6);
    y.backward(decode(c.gOut));
    expectClose(x.grad!, c.grads[0]!, 1e-4, 1e-5);
  });
});
