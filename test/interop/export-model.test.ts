import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportModel } from '../../src/io/onnx/export-model.js';
import { writeOnnx } from '../../src/io/onnx/node.js';
import { importPytorchStateDict } from '../../src/io/pytorch.js';
import { importTfjs } from '../../src/io/tfjs.js';
import { TextClassifier } from '../../src/nn/heads.js';
import { GRU } from '../../src/nn/rnn.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { ValueError } from '../../src/tensor/errors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from './helpers.js';

const ort = await import('onnxruntime-node');

describe('exportModel writes each format into a directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'kioku-export-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const model = new TextClassifier({ vocabSize: 16, embedDim: 3, hiddenSize: 4 }).eval();
  const ids = new Tensor(Int32Array.of(3, 9, 4, 1, 12, 5, 0, 0), [2, 4]);
  const lengths = Int32Array.of(4, 2);
  const logits = noGrad(() => model.forward(ids, lengths));

  it('onnx: model.onnx that ONNX Runtime runs from disk', async () => {
    const dir = join(root, 'onnx');
    expect(await exportModel('onnx', model, dir, { opset: 15 })).toEqual(['model.onnx']);
    const session = await ort.InferenceSession.create(join(dir, 'model.onnx'), { logSeverityLevel: 3 });
    const out = await session.run({
      input_ids: new ort.Tensor('int32', ids.data as Int32Array, [2, 4]),
      lengths: new ort.Tensor('int32', lengths, [2]),
    });
    expectClose(out.logits!.data as Float32Array, logits.f32, 1e-5, 'logits');
    await writeOnnx(model, join(dir, 'copy.onnx'));
    expect(readFileSync(join(dir, 'copy.onnx')).length).toBeGreaterThan(0);
  });

  it('pytorch and tfjs: their files, holding the same weights', async () => {
    expect(await exportModel('pytorch', model, join(root, 'pt'))).toEqual(['model.safetensors', 'model.py']);
    const sd = importPytorchStateDict(readFileSync(join(root, 'pt', 'model.safetensors')));
    expect(sd['lstm.weight_hh_l0']!.f32).toEqual(model.rnn.stateDict().weight_hh_l0!.f32);
    expect(await exportModel('tfjs', model, join(root, 'tfjs'))).toEqual(['model.json', 'weights.bin']);
    const back = importTfjs(
      JSON.parse(readFileSync(join(root, 'tfjs', 'model.json'), 'utf8')),
      readFileSync(join(root, 'tfjs', 'weights.bin')),
    ) as TextClassifier;
    expectClose(noGrad(() => back.eval().forward(ids, lengths)).f32, logits.f32, 1e-6, 'logits');
  });

  it('bad arguments and inexpressible models write nothing', async () => {
    const dir = join(root, 'refused');
    await expect(exportModel('keras' as 'onnx', model, dir)).rejects.toThrow(
      /format must be one of onnx, pytorch, tfjs, got keras/,
    );
    await expect(exportModel('onnx', model, '')).rejects.toThrow(ValueError);
    await expect(exportModel('pytorch', model, dir, { opset: 17 })).rejects.toThrow(
      /opset applies to the onnx format only/,
    );
    await expect(exportModel('tfjs', new GRU({ inputSize: 2, hiddenSize: 2 }), dir)).rejects.toThrow(
      /reset_after/,
    );
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });
});
