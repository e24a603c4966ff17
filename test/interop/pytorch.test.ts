import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importPytorchStateDict, pytorchModelSource } from '../../src/io/pytorch.js';
import { exportPytorch } from '../../src/io/pytorch-node.js';
import { SafetensorsError, serializeSafetensors } from '../../src/io/safetensors.js';
import { SequenceForecaster, TextClassifier } from '../../src/nn/heads.js';
import { GRU, LSTM, RNN } from '../../src/nn/rnn.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { StateDictError, ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/random-tensors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from './helpers.js';

const TOL = 1e-5;
const fixtureUrl = (name: string) => new URL(`../../fixtures/interop/${name}`, import.meta.url);

interface LayerCase {
  name: string;
  kind: 'LSTM' | 'GRU' | 'RNN';
  options: {
    num_layers: number;
    bidirectional?: boolean;
    batch_first?: boolean;
    nonlinearity?: 'tanh' | 'relu';
    proj_size?: number;
  };
  inputSize: number;
  hiddenSize: number;
  x: number[];
  xShape: number[];
  y: number[];
  hN: number[];
  cN?: number[];
  lengths?: number[];
  hNPacked?: number[];
}

interface ClassifierCase {
  name: string;
  config: ConstructorParameters<typeof TextClassifier>[0];
  ids: number[];
  idsShape: number[];
  lengths: number[];
  logits: number[];
}

const fixtures = JSON.parse(readFileSync(fixtureUrl('pytorch.json'), 'utf8')) as {
  layers: LayerCase[];
  classifiers: ClassifierCase[];
};

function buildLayer(c: LayerCase): RNN | LSTM | GRU {
  const o = {
    inputSize: c.inputSize,
    hiddenSize: c.hiddenSize,
    numLayers: c.options.num_layers,
    bidirectional: c.options.bidirectional ?? false,
    batchFirst: c.options.batch_first ?? false,
  };
  if (c.kind === 'LSTM') return new LSTM({ ...o, projSize: c.options.proj_size ?? 0 });
  if (c.kind === 'GRU') return new GRU(o);
  return new RNN({ ...o, nonlinearity: c.options.nonlinearity ?? 'tanh' });
}

function forwardLayer(
  layer: RNN | LSTM | GRU,
  x: Tensor,
  lengths?: Int32Array,
): { y: Tensor; hN: Tensor; cN: Tensor | null } {
  const opts = lengths ? { lengths } : {};
  return noGrad(() => {
    if (layer instanceof LSTM) {
      const [y, [hN, cN]] = layer.forward(x, null, opts);
      return { y, hN, cN };
    }
    const [y, hN] = layer.forward(x, null, opts);
    return { y, hN, cN: null };
  });
}

describe('state_dicts saved by PyTorch load into kioku and give PyTorch outputs', () => {
  for (const c of fixtures.layers) {
    it(c.name, () => {
      const layer = buildLayer(c);
      layer.loadStateDict(importPytorchStateDict(readFileSync(fixtureUrl(`${c.name}.safetensors`))));
      const x = new Tensor(Float32Array.from(c.x), c.xShape);
      const r = forwardLayer(layer, x);
      expectClose(r.y.f32, c.y, TOL, 'output');
      expectClose(r.hN.f32, c.hN, TOL, 'h_n');
      if (c.cN) expectClose(r.cN!.f32, c.cN, TOL, 'c_n');
      if (c.lengths) {
        const packed = forwardLayer(layer, x, Int32Array.from(c.lengths));
        expectClose(packed.hN.f32, c.hNPacked!, TOL, 'h_n (packed by lengths)');
      }
    });
  }

  for (const c of fixtures.classifiers) {
    it(c.name, () => {
      const model = new TextClassifier(c.config).eval();
      model.loadStateDict(importPytorchStateDict(readFileSync(fixtureUrl(`${c.name}.safetensors`))));
      const logits = noGrad(() =>
        model.forward(new Tensor(Int32Array.from(c.ids), c.idsShape), Int32Array.from(c.lengths)),
      );
      expectClose(logits.f32, c.logits, TOL, 'logits');
    });
  }
});

describe('importPytorchStateDict', () => {
  const good = serializeSafetensors({ 'module.fc.weight': new Tensor(Float32Array.of(1, 2, 3, 4), [2, 2]) });

  it('keeps names and values, and strips a prefix on request', () => {
    const plain = importPytorchStateDict(good);
    expect(Object.keys(plain)).toEqual(['module.fc.weight']);
    expect(Array.from(plain['module.fc.weight']!.f32)).toEqual([1, 2, 3, 4]);
    expect(Object.keys(importPytorchStateDict(good, { stripPrefix: 'module.' }))).toEqual(['fc.weight']);
  });

  it('malformed input is a typed error', () => {
    expect(() => importPytorchStateDict(good.subarray(0, good.length - 3))).toThrow(SafetensorsError);
    expect(() => importPytorchStateDict(new Uint8Array(4))).toThrow(SafetensorsError);
    expect(() => importPytorchStateDict([1, 2] as unknown as Uint8Array)).toThrow(ValueError);
    expect(() => importPytorchStateDict(good, { stripPrefix: 3 as unknown as string })).toThrow(ValueError);
  });

  it('weights of the wrong architecture name the mismatched tensor', () => {
    const c = fixtures.layers.find((l) => l.name === 'gru_1layer')!;
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 4 });
    const sd = importPytorchStateDict(readFileSync(fixtureUrl(`${c.name}.safetensors`)));
    expect(() => lstm.loadStateDict(sd)).toThrow(StateDictError);
    expect(() => lstm.loadStateDict(sd)).toThrow(/weight_ih_l0: expected \(16, 3\), got \(12, 3\)/);
  });
});

describe('exportPytorch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kioku-pytorch-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the state dict bit for bit and a model.py naming every module', async () => {
    const model = new TextClassifier({
      vocabSize: 12,
      embedDim: 3,
      hiddenSize: 4,
      cell: 'gru',
      pooling: 'mean',
    });
    const out = join(dir, 'weights');
    await exportPytorch(model, out);
    const back = importPytorchStateDict(readFileSync(join(out, 'model.safetensors')));
    const own = model.stateDict();
    expect(Object.keys(back).sort()).toEqual(Object.keys(own).sort());
    for (const [k, t] of Object.entries(own)) expect(back[k]!.f32, k).toEqual(t.f32);
    const py = readFileSync(join(out, 'model.py'), 'utf8');
    expect(py).toContain('self.embedding = nn.Embedding(12, 3, padding_idx=0)');
    expect(py).toContain(
      'self.gru = nn.GRU(input_size=3, hidden_size=4, num_layers=1, bias=True, batch_first=True, dropout=0, bidirectional=False)',
    );
    expect(py).toContain('model.load_state_dict(read_safetensors(path), strict=True)');
  });

  it('refuses other models and bad directories', async () => {
    expect(() => pytorchModelSource({} as unknown as LSTM)).toThrow(ValueError);
    await expect(exportPytorch(new GRU({ inputSize: 1, hiddenSize: 1 }), '')).rejects.toThrow(ValueError);
  });
});

// Runs the exported model.py in PyTorch; needs /usr/bin/python3 with torch (skipped otherwise).
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasTorch)('the exported model.py reproduces kioku in PyTorch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kioku-pytorch-py-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const generator = new Generator(21);
  const ids = Int32Array.from({ length: 3 * 6 }, (_, i) => 1 + ((i * 5) % 19));
  const lengths = Int32Array.of(6, 2, 4);
  const x = randn([2, 5, 3], { generator });

  type Case = {
    name: string;
    model: TextClassifier | SequenceForecaster | RNN | LSTM | GRU;
    expected: Float32Array[];
  };
  const cases: Case[] = [];
  for (const [cell, pooling, bidirectional, training] of [
    ['lstm', 'last', true, {}],
    ['gru', 'mean', true, {}],
    ['rnn', 'max', false, {}],
    ['lstm', 'max-mean', true, {}],
    // Word and embedding dropout act in training only: model.py evaluates as kioku does.
    ['gru', 'max', true, { tokenDropout: 0.1, embedDropout: 0.2 }],
    ['lstm', 'last', true, { bagOfWords: true, tokenDropout: 0.1 }],
  ] as const) {
    const model = new TextClassifier({
      ...training,
      vocabSize: 20,
      embedDim: 4,
      hiddenSize: 5,
      numLayers: 2,
      cell,
      pooling,
      bidirectional,
      dropout: 0.1,
    }).eval();
    // The bag-of-words path starts at zero: give it weights that show in the logits.
    model.bag?.weight.f32.set(randn([20, 2], { generator }).f32.map((v, i) => (i < 2 ? 0 : v)));
    const logits = noGrad(() => model.forward(new Tensor(ids, [3, 6]), lengths));
    const name = `classifier_${cell}_${pooling}${'tokenDropout' in training ? '_input_dropout' : ''}${'bagOfWords' in training ? '_bag' : ''}`;
    cases.push({ name, model, expected: [logits.f32] });
  }
  const forecaster = new SequenceForecaster({
    inputSize: 3,
    hiddenSize: 4,
    numLayers: 2,
    cell: 'lstm',
    horizon: 2,
  }).eval();
  cases.push({ name: 'forecaster', model: forecaster, expected: [noGrad(() => forecaster.forward(x)).f32] });
  for (const layer of [
    new LSTM({ inputSize: 3, hiddenSize: 4, projSize: 2, batchFirst: true, bidirectional: true, generator }),
    new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, batchFirst: true, generator }),
    new RNN({ inputSize: 3, hiddenSize: 4, nonlinearity: 'relu', bias: false, batchFirst: true, generator }),
  ]) {
    const r = forwardLayer(layer, x);
    cases.push({ name: `layer_${layer.constructor.name}`, model: layer, expected: [r.y.f32, r.hN.f32] });
  }

  it('every head and layer (one Python run)', async () => {
    for (const c of cases) await exportPytorch(c.model, join(dir, c.name));
    const inputs = {
      ids: Array.from(ids),
      idsShape: [3, 6],
      lengths: Array.from(lengths),
      x: Array.from(x.f32),
      xShape: x.shape,
    };
    writeFileSync(join(dir, 'inputs.json'), JSON.stringify(inputs));
    const runner = `
import importlib.util, json, sys, torch
root = sys.argv[1]
inp = json.load(open(root + '/inputs.json'))
results = {}
for name in sys.argv[2:]:
    spec = importlib.util.spec_from_file_location(name, f'{root}/{name}/model.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    model = mod.load_model()
    with torch.no_grad():
        if name.startswith('classifier'):
            outs = [model(torch.tensor(inp['ids']).reshape(inp['idsShape']), torch.tensor(inp['lengths']))]
        else:
            x = torch.tensor(inp['x']).reshape(inp['xShape'])
            if name == 'forecaster':
                outs = [model(x)]
            else:
                y, h = model(x)
                outs = [y, h[0] if isinstance(h, tuple) else h]
    if name.endswith('_input_dropout'):
        # train.py --build-vocab swaps in a larger embedding: training-mode dropout must follow it.
        model.embedding = torch.nn.Embedding(30, model.embedding.embedding_dim, padding_idx=0)
        model.train()(torch.tensor(inp['ids']).reshape(inp['idsShape']) + 10, torch.tensor(inp['lengths']))
    results[name] = [o.reshape(-1).tolist() for o in outs]
print(json.dumps(results))
`;
    const stdout = execFileSync('/usr/bin/python3', ['-c', runner, dir, ...cases.map((c) => c.name)], {
      encoding: 'utf8',
    });
    const results = JSON.parse(stdout) as Record<string, number[][]>;
    for (const c of cases) {
      c.expected.forEach((e, i) => {
        expectClose(results[c.name]![i]!, e, TOL, `${c.name} output ${i}`);
      });
    }
  }, 60_000);

  it("model.py makes its masks on the input's device, so train.py --device cuda can run it", () => {
    const made = cases
      .filter((c) => c.name.startsWith('classifier'))
      .flatMap((c) => pytorchModelSource(c.model).split('\n'))
      .filter((line) => /torch\.(rand|arange)\(/.test(line));
    expect(made.length).toBeGreaterThan(5);
    for (const line of made) expect(line).toMatch(/device=/);
  });
});
