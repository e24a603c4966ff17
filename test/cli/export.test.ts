import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHead } from '../../src/cli/models.js';
import { parseSafetensors, toStateDict } from '../../src/io/safetensors.js';
import { TextClassifier } from '../../src/nn/heads.js';
import { tensor } from '../../src/tensor/tensor.js';
import { kioku } from '../helpers/cli.js';

let root: string;
let model: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-export-'));
  model = join(root, 'spam');
  const tiny = ['--limit', '120', '--epochs', '1', '--max-len', '16', '--embed', '8', '--hidden', '6'];
  const r = await kioku(
    'train',
    'text',
    '--data',
    'spam-assassin',
    ...tiny,
    '--vocab-size',
    '200',
    '--out',
    model,
    '--quiet',
    '--no-baselines',
  );
  expect(r.code).toBe(0);
  model = join(model, 'model');
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('kioku export', () => {
  it('writes an ONNX model that ONNX Runtime runs with the same logits as kioku', async () => {
    const out = join(root, 'onnx');
    const r = await kioku('export', '--model', model, '--format', 'onnx', '--out', out);
    expect(r.code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['config.json', 'model.onnx']);
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(await readFile(join(out, 'model.onnx')), {
      logSeverityLevel: 3,
    });
    const ids = Int32Array.of(5, 9, 17, 3, 0, 0, 2, 8, 11, 4, 6, 7);
    const lengths = Int32Array.of(4, 6);
    const result = await session.run({
      input_ids: new ort.Tensor('int32', ids, [2, 6]),
      lengths: new ort.Tensor('int32', lengths, [2]),
    });
    const { model: head } = await loadHead(model);
    if (!(head instanceof TextClassifier)) throw new Error('expected a TextClassifier');
    const want = head.forward(tensor(ids, { shape: [2, 6] }), lengths).f32;
    const got = result.logits!.data as Float32Array;
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-5);
  });

  it('writes PyTorch weights equal to the saved model and a model.py that loads them', async () => {
    const out = join(root, 'pt');
    const r = await kioku('export', '--model', model, '--format', 'pytorch', '--out', out, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).files.sort()).toEqual(['config.json', 'model.py', 'model.safetensors']);
    const exported = toStateDict(parseSafetensors(await readFile(join(out, 'model.safetensors'))));
    const saved = toStateDict(parseSafetensors(await readFile(join(model, 'model.safetensors'))));
    expect(Object.keys(exported)).toEqual(Object.keys(saved));
    for (const k of Object.keys(saved))
      expect(Array.from(exported[k]!.data)).toEqual(Array.from(saved[k]!.data));
    expect(await readFile(join(out, 'model.py'), 'utf8')).toMatch(/load_state_dict\(.*strict=True/);
  });

  it('refuses a bad format or an opset outside ONNX with one line and a non-zero exit', async () => {
    const bad = await kioku('export', '--model', model, '--format', 'keras', '--out', join(root, 'x'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^kioku: option '--format <format>' argument 'keras' is invalid/);
    const opset = await kioku(
      'export',
      '--model',
      model,
      '--format',
      'tfjs',
      '--opset',
      '17',
      '--out',
      join(root, 'y'),
    );
    expect(opset.code).toBe(1);
    expect(opset.stderr.trim().split('\n')).toEqual([
      'kioku: --opset sets the opset of an onnx export; --format tfjs takes none',
    ]);
    const tfjs = await kioku('export', '--model', model, '--format', 'tfjs', '--out', join(root, 'z'));
    expect(tfjs.code).toBe(1);
    expect(tfjs.stderr).toBe(
      "kioku: --format tfjs: a TextClassifier with pooling 'max' has no TF.js layers equivalent over padded batches; use pooling 'last', or export as ONNX\n",
    );
  });
});

describe('kioku export --help', () => {
  it('lists the flags each format takes per kind of model, only those of the --format given', async () => {
    const project = await kioku('export', '--format', 'pytorch-project', '--help');
    expect(project.code).toBe(0);
    const section = project.stdout.slice(
      project.stdout.indexOf('Flags by format'),
      project.stdout.indexOf('Examples:'),
    );
    expect(section.trim().split('\n')).toEqual([
      'Flags by format and model, besides --model, --format and --out:',
      '  pytorch-project of a text classifier: --data, --limit',
      '  pytorch-project of a forecaster: --data (a file with the columns it was trained on)',
      '  pytorch-project of a language model: none (use --format pytorch, whose model.py has generate())',
    ]);
    const all = await kioku('export', '--help');
    expect(all.stdout).toContain('  onnx: --opset (text classifiers, forecasters and language models)');
    expect(all.stdout).toContain('  pytorch-project of a forecaster: --data');
  });
});
