import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONFIG_FILE,
  MODEL_FORMAT_VERSION,
  type ModelConfigInput,
  ModelDirError,
  OPTIMIZER_FILE,
  TRAINING_STATE_FILE,
  validateModelConfig,
  WEIGHTS_FILE,
} from '../../src/io/model-config.js';
import { loadModelDir, saveModelDir } from '../../src/io/model-dir-node.js';
import { loadWeightsInto } from '../../src/io/model-format.js';
import {
  parseSafetensors,
  SafetensorsError,
  serializeSafetensors,
  toStateDict,
} from '../../src/io/safetensors.js';
import { kiokuVersion } from '../../src/io/version.js';
import { Module, Parameter } from '../../src/nn/module.js';
import { linear } from '../../src/ops/matmul.js';
import { StateDictError, ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import { type Tensor, tensor } from '../../src/tensor/tensor.js';

/** y = x Wᵀ + b, with PyTorch's nn.Linear parameter names. x: (B, E), weight: (O, E), bias: (O,) */
class TinyLinear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  constructor(inFeatures: number, outFeatures: number) {
    super();
    this.weight = this.registerParameter(
      'weight',
      new Parameter(new Float32Array(inFeatures * outFeatures), [outFeatures, inFeatures]),
    );
    this.bias = this.registerParameter('bias', new Parameter(new Float32Array(outFeatures), [outFeatures]));
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

const config: ModelConfigInput = {
  architecture: { type: 'TinyLinear', inFeatures: 3, outFeatures: 2 },
  task: 'classification',
  labels: ['neg', 'pos'],
  vocab: { tokens: ['<pad>', 'a'] },
};

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-modeldir-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function randomModel(seed: number): TinyLinear {
  const gen = new Generator(seed);
  const m = new TinyLinear(3, 2);
  m.weight.f32.set(randn([2, 3], { generator: gen }).f32);
  m.bias.f32.set(randn([2], { generator: gen }).f32);
  return m;
}

describe('model directory', () => {
  it('round-trips config, weights and training state bit for bit into a Module', async () => {
    const dir = join(root, 'rt');
    const m = randomModel(1);
    const moments = {
      'exp_avg.weight': randn([2, 3], { generator: new Generator(2) }),
      step: tensor([7], { dtype: 'int32' }),
    };
    const state = {
      epoch: 3,
      step: 120,
      rng: { s: [1, 2, 3, 4294967295], spare: -0.123456789012345 },
      lr: 1e-3,
    };
    await saveModelDir(dir, { config, stateDict: m.stateDict(), trainingState: { state, tensors: moments } });
    expect((await readdir(dir)).sort()).toEqual(
      [CONFIG_FILE, WEIGHTS_FILE, OPTIMIZER_FILE, TRAINING_STATE_FILE].sort(),
    );

    const loaded = await loadModelDir(dir);
    expect(loaded.config).toEqual({
      ...config,
      format: 'kioku-model',
      formatVersion: MODEL_FORMAT_VERSION,
      kiokuVersion: kiokuVersion(),
    });
    const fresh = new TinyLinear(3, 2);
    loadWeightsInto(fresh, loaded.tensors);
    expect(fresh.weight.f32).toEqual(m.weight.f32);
    expect(fresh.bias.f32).toEqual(m.bias.f32);
    expect(loaded.trainingState!.state).toEqual(state);
    expect(loaded.trainingState!.tensors!['exp_avg.weight']!.f32).toEqual(moments['exp_avg.weight'].f32);
    expect(loaded.trainingState!.tensors!.step!.i32).toEqual(new Int32Array([7]));

    // Saving again without training state drops the stale resume files in the same commit.
    await saveModelDir(dir, { config, stateDict: m.stateDict() });
    expect((await readdir(dir)).sort()).toEqual([CONFIG_FILE, WEIGHTS_FILE]);
    expect((await loadModelDir(dir)).trainingState).toBeUndefined();
  });

  it('loads weights PyTorch saved and reproduces its outputs', () => {
    const root = join(import.meta.dirname, '../../fixtures/safetensors');
    const expected = JSON.parse(readFileSync(join(root, 'linear.json'), 'utf8')) as {
      x: number[][];
      y: number[][];
    };
    const m = new TinyLinear(3, 2);
    loadWeightsInto(
      m,
      toStateDict(parseSafetensors(new Uint8Array(readFileSync(join(root, 'linear.safetensors'))))),
    );
    const y = m.forward(tensor(expected.x)).tolist() as number[][];
    y.flat().forEach((v, i) => {
      expect(v).toBeCloseTo(expected.y.flat()[i]!, 5);
    });
  });

  it('names the mis-shaped, missing, unexpected and non-float tensors', () => {
    const m = new TinyLinear(3, 2);
    const good = randomModel(3).stateDict();
    expect(() => loadWeightsInto(m, { ...good, weight: tensor([[1, 2, 3]]) }, 'm/model.safetensors')).toThrow(
      /^m\/model\.safetensors: .*shape mismatch: weight: expected \(2, 3\), got \(1, 3\)/,
    );
    expect(() => loadWeightsInto(m, { weight: good.weight!, extra: tensor([1]) })).toThrow(
      /missing keys: bias\. unexpected keys: extra/,
    );
    expect(() => loadWeightsInto(m, { ...good, bias: tensor([1, 2], { dtype: 'int32' }) })).toThrow(
      StateDictError,
    );
    expect(() => loadWeightsInto(m, { ...good, bias: tensor([1, 2], { dtype: 'int32' }) })).toThrow(
      /bias is int32 \(2,\)/,
    );
    expect(() => loadWeightsInto({} as never, good)).toThrow(ValueError);
    // Nothing was copied by the failed loads.
    expect(Array.from(m.weight.f32)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('explains a missing directory, missing files and a broken weights file, naming the path', async () => {
    await expect(loadModelDir(join(root, 'absent'))).rejects.toThrow(/"[^"]*absent" does not exist/);
    const dir = join(root, 'partial');
    await mkdir(dir);
    await expect(loadModelDir(dir)).rejects.toThrow(ModelDirError);
    await expect(loadModelDir(dir)).rejects.toThrow(/"[^"]*partial\/config\.json" is missing/);
    await saveModelDir(dir, { config, stateDict: randomModel(4).stateDict() });
    await rm(join(dir, WEIGHTS_FILE));
    await expect(loadModelDir(dir)).rejects.toThrow(/"[^"]*partial\/model\.safetensors" is missing/);
    await writeFile(join(dir, WEIGHTS_FILE), serializeSafetensors({ w: tensor([1]) }).subarray(0, 20));
    await expect(loadModelDir(dir)).rejects.toThrow(SafetensorsError);
    await expect(loadModelDir(dir)).rejects.toThrow(/safetensors file "[^"]*partial\/model\.safetensors": /);
    await writeFile(join(dir, WEIGHTS_FILE), serializeSafetensors({}));
    await writeFile(join(dir, OPTIMIZER_FILE), serializeSafetensors({}));
    await expect(loadModelDir(dir)).rejects.toThrow(
      /optimizer\.safetensors" is present without "training-state\.json"/,
    );
  });

  it('validates config.json: JSON, duplicate keys, format marker, version and fields', async () => {
    const dir = join(root, 'cfg');
    await saveModelDir(dir, { config, stateDict: randomModel(5).stateDict() });
    const path = join(dir, CONFIG_FILE);
    const saved = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    const cases: Array<[string, RegExp]> = [
      ['{"format": "kioku-model",', /config\.json: not valid JSON/],
      [
        '{"format":"kioku-model","format":"kioku-model"}',
        /config\.json: duplicate key "format" at the top level/,
      ],
      ['[1]', /config\.json: must hold a JSON object, got an array/],
      [JSON.stringify({ ...saved, format: 'keras' }), /field "format" must be "kioku-model", got "keras"/],
      [
        JSON.stringify({ ...saved, formatVersion: 2, kiokuVersion: '9.0.0' }),
        /"formatVersion" is 2 \(written by kioku "9\.0\.0"\); this kioku \(.*\) reads up to version 1, so upgrade kioku/,
      ],
      [
        JSON.stringify({ ...saved, formatVersion: '1' }),
        /field "formatVersion" must be a positive integer, got "1"/,
      ],
      [
        JSON.stringify({ ...saved, architecture: { inFeatures: 3 } }),
        /field "architecture\.type" must be a non-empty string, got nothing/,
      ],
      [JSON.stringify({ ...saved, task: 3 }), /field "task" must be a non-empty string, got number 3/],
      [JSON.stringify({ ...saved, labels: ['a', 1] }), /field "labels" must be a list of strings/],
    ];
    for (const [text, message] of cases) {
      await writeFile(path, text);
      const error = await loadModelDir(dir).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ModelDirError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toContain(path);
    }
    await writeFile(path, new Uint8Array([0x7b, 0xff, 0x7d]));
    await expect(loadModelDir(dir)).rejects.toThrow(/config\.json: not valid UTF-8/);
    expect(validateModelConfig(saved, 'x').architecture.type).toBe('TinyLinear');
  });

  it('refuses bad arguments to saveModelDir before writing anything', async () => {
    const dir = join(root, 'bad');
    const sd = randomModel(6).stateDict();
    await expect(saveModelDir(dir, { config: { ...config, task: '' }, stateDict: sd })).rejects.toThrow(
      /saveModelDir: config: field "task" must be a non-empty string/,
    );
    await expect(saveModelDir(dir, { config, stateDict: { w: [1, 2] as never } })).rejects.toThrow(
      /stateDict entry "w" must be a Tensor/,
    );
    await expect(
      saveModelDir(dir, { config, stateDict: sd, trainingState: { state: { loss: Number.NaN } } }),
    ).rejects.toThrow(/trainingState\.state: \$\.loss is NaN, which JSON cannot hold/);
    await expect(
      saveModelDir(dir, { config: { ...config, extra: 1n } as never, stateDict: sd }),
    ).rejects.toThrow(/\$\.extra is a bigint/);
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
  });
});
