import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHead } from '../../src/cli/models.js';
import { importPytorchStateDict } from '../../src/io/pytorch.js';
import { serializeSafetensors } from '../../src/io/safetensors.js';
import { TextClassifier } from '../../src/nn/heads.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { kioku } from '../helpers/cli.js';
import { expectClose } from './helpers.js';

/** `kioku import` (state_dicts from PyTorch into a model directory) and `kioku export --format pytorch-project`. */

const fixture = (name: string) => join(new URL('../../fixtures/torch/', import.meta.url).pathname, name);
const expected = JSON.parse(readFileSync(fixture('expected.json'), 'utf8')) as {
  malicious: Record<string, string>;
  pwned: string;
  reference: {
    'lstm_classifier.pt': {
      config: ConstructorParameters<typeof TextClassifier>[0];
      ids: number[];
      idsShape: number[];
      lengths: number[];
      logits: number[];
    };
  };
};
const ref = expected.reference['lstm_classifier.pt'];

let root: string;
let model: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-torch-cli-'));
  // The architecture of fixtures/torch/lstm_classifier.pt: vocabulary 20, embedding 4, forward LSTM 5, 2 classes.
  // (No word dropout: the fixture's model was trained without it, and the config records it.)
  const flags = ['--limit', '60', '--epochs', '1', '--max-len', '6', '--vocab-size', '20', '--embed', '4'];
  flags.push('--token-dropout', '0');
  const r = await kioku(
    'train',
    'text',
    '--data',
    'spam-assassin',
    ...flags,
    '--hidden',
    '5',
    '--no-bidirectional',
    '--pooling',
    'last',
    '--no-baselines',
    '--quiet',
    '--out',
    join(root, 'spam'),
  );
  expect(r.code, r.stderr).toBe(0);
  model = join(root, 'spam', 'model');
}, 120_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The --out of a refused run: the run lock may have made the directory, but no model was written into it. */
const noModelIn = (dir: string) => {
  for (const name of ['config.json', 'model.safetensors'])
    expect(existsSync(join(dir, name)), name).toBe(false);
};

const logitsOf = async (dir: string) => {
  const { model: head } = await loadHead(dir);
  if (!(head instanceof TextClassifier)) throw new Error('expected a TextClassifier');
  const ids = new Tensor(Int32Array.from(ref.ids), ref.idsShape);
  return noGrad(() => head.forward(ids, Int32Array.from(ref.lengths))).f32;
};

describe('kioku import', () => {
  it('the trained model has the architecture of the PyTorch fixture', async () => {
    const { model: head } = await loadHead(model);
    expect(head.config()).toEqual(new TextClassifier(ref.config).config());
  });

  it("loads a torch.save state_dict into a copy of the model: PyTorch's logits, the model's config", async () => {
    const out = join(root, 'imported');
    const r = await kioku('import', fixture('lstm_classifier.pt'), '--model', model, '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      weights: fixture('lstm_classifier.pt'),
      model,
      out,
      tensors: 7,
    });
    expectClose(await logitsOf(out), ref.logits, 1e-5, 'logits');
    const before = JSON.parse(await readFile(join(model, 'config.json'), 'utf8'));
    expect(JSON.parse(await readFile(join(out, 'config.json'), 'utf8'))).toEqual(before);
    expect((await readdir(out)).sort()).toEqual(['config.json', 'model.safetensors']);
    const info = await kioku('info', '--model', out, '--json');
    expect(JSON.parse(info.stdout).labels).toEqual(before.labels);
  });

  it('a checkpoint dict with --key; a DataParallel prefix with --strip-prefix', async () => {
    const checkpoint = fixture('checkpoint.pt');
    const noKey = await kioku('import', checkpoint, '--model', model, '--out', join(root, 'no-key'));
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/expected a state_dict.*key: "model"/);
    const out = join(root, 'from-checkpoint');
    const r = await kioku('import', checkpoint, '--key', 'model', '--model', model, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const want = importPytorchStateDict(readFileSync(checkpoint), { key: 'model' });
    const { model: head } = await loadHead(out);
    for (const [name, p] of head.namedParameters())
      expect(Array.from(p.f32), name).toEqual(Array.from(want[name]!.f32));

    const prefixed = join(root, 'prefixed.safetensors');
    const tensors = importPytorchStateDict(readFileSync(fixture('lstm_classifier.pt')));
    await writeFile(
      prefixed,
      serializeSafetensors(Object.fromEntries(Object.entries(tensors).map(([k, t]) => [`module.${k}`, t]))),
    );
    const unstripped = await kioku('import', prefixed, '--model', model, '--out', join(root, 'unstripped'));
    expect(unstripped.code).toBe(1);
    expect(unstripped.stderr).toMatch(/module\.embedding\.weight/);
    const stripped = join(root, 'stripped');
    const s = await kioku(
      'import',
      prefixed,
      '--strip-prefix',
      'module.',
      '--model',
      model,
      '--out',
      stripped,
    );
    expect(s.code, s.stderr).toBe(0);
    expectClose(await logitsOf(stripped), ref.logits, 1e-5, 'logits');
  });

  for (const [name, callable] of Object.entries(expected.malicious)) {
    it(`refuses ${name}, naming ${callable}, and writes nothing`, async () => {
      const out = join(root, `evil-${name}`);
      const r = await kioku('import', fixture(name), '--model', model, '--out', out);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`refusing to call ${callable} while reading "${fixture(name)}"`);
      noModelIn(out);
      expect(existsSync(expected.pwned)).toBe(false);
    });
  }

  it('refuses weights of another architecture, a damaged file, and --out on the model, each in one line', async () => {
    const gru = await kioku('import', fixture('gru.pt'), '--model', model, '--out', join(root, 'gru'));
    expect(gru.code).toBe(1);
    expect(gru.stderr).toMatch(/^kioku: .*gru\.pt.*embedding\.weight/);
    noModelIn(join(root, 'gru'));

    const cut = join(root, 'cut.pt');
    const whole = readFileSync(fixture('lstm_classifier.pt'));
    await writeFile(cut, whole.subarray(0, whole.length - 100));
    const damaged = await kioku('import', cut, '--model', model, '--out', join(root, 'cut'));
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toMatch(/^kioku: .*cut\.pt/);
    expect(damaged.stderr.trim().split('\n')).toHaveLength(1);

    const nan = join(root, 'nan.safetensors');
    const tensors = importPytorchStateDict(readFileSync(fixture('lstm_classifier.pt')));
    tensors['fc.bias']!.f32[1] = Number.NaN;
    await writeFile(nan, serializeSafetensors(tensors));
    const nonFinite = await kioku('import', nan, '--model', model, '--out', join(root, 'nan'));
    expect(nonFinite.code).toBe(1);
    expect(nonFinite.stderr).toMatch(/nan\.safetensors: tensor "fc\.bias" \(2,\) holds NaN at flat index 1/);
    noModelIn(join(root, 'nan'));

    const self = await kioku('import', fixture('lstm_classifier.pt'), '--model', model, '--out', model);
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/is the model directory.*would overwrite the saved model/);

    const missing = await kioku('import', join(root, 'nope.pt'), '--model', model, '--out', join(root, 'x'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.pt/);
  });
});

describe('kioku export --format pytorch-project', () => {
  it('writes the project with the built-in data bundled and the model files as saved', async () => {
    const out = join(root, 'project');
    const r = await kioku('export', '--model', model, '--format', 'pytorch-project', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const files = [
      'README.md',
      'char_classes.py',
      'config.json',
      'data.py',
      'model.py',
      'model.safetensors',
      'project.json',
      'spam-assassin.jsonl',
      'train.py',
    ];
    expect([...JSON.parse(r.stdout).files].sort()).toEqual(files);
    expect((await readdir(out)).sort()).toEqual(files);
    for (const name of ['config.json', 'model.safetensors']) {
      expect(await readFile(join(out, name))).toEqual(await readFile(join(model, name)));
    }
    const settings = JSON.parse(await readFile(join(out, 'project.json'), 'utf8'));
    expect(settings).toMatchObject({
      task: 'classification',
      data: 'spam-assassin.jsonl',
      epochs: 1,
      seed: 0,
    });
    const first = JSON.parse((await readFile(join(out, 'spam-assassin.jsonl'), 'utf8')).split('\n')[0]!);
    expect(Object.keys(first)).toEqual(['text', 'label']);
    expect(['ham', 'spam']).toContain(first.label);
    expect(await readFile(join(out, 'model.py'), 'utf8')).toContain('nn.LSTM(input_size=4, hidden_size=5');
  });
});
