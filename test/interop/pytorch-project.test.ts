import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classNames } from '../../src/data/corpus.js';
import { trainValTestSplit } from '../../src/data/split.js';
import { WordTokenizer, type WordTokenizerOptions } from '../../src/data/tokenizers.js';
import { type Truncation, Vocab } from '../../src/data/vocab.js';
import { ModelDirError } from '../../src/io/model-config.js';
import { exportPytorchProject } from '../../src/io/pytorch-project/project.js';
import { writePytorchProject } from '../../src/io/pytorch-project/project-node.js';
import { serializeSafetensors } from '../../src/io/safetensors.js';
import { BagOfWordsClassifier, TextClassifier } from '../../src/nn/heads.js';
import { ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { kioku } from '../helpers/cli.js';
import { encoderOf, loadTextClassifier, PY_TEXT_PIPELINE, scoreText, textSplit } from './project-check.js';

/** What data.py computed (scripts/fixtures_pytorch_project.ts). */
const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/pytorch-project/pipeline.json', import.meta.url), 'utf8'),
) as {
  texts: string[];
  settings: Array<{
    tokenizer: WordTokenizerOptions;
    tokens: string[][];
    vocab: string[];
    lexicalVocab: string[];
    ids: Record<Truncation, number[][]>;
  }>;
  subsample: number[];
  split: [number[], number[], number[]];
  classNames: string[][];
  classNamesInput?: never;
  numberStrings: string[];
  numbers: number[];
};
const input = fixture as unknown as { classNames: string[][] };

describe("data.py's pipeline equals kioku's (fixtures computed by data.py)", () => {
  fixture.settings.forEach((s, k) => {
    it(`tokens, vocabulary and ids, tokenizer ${JSON.stringify(s.tokenizer)}`, () => {
      const tokenizer = new WordTokenizer(s.tokenizer);
      const tokens = fixture.texts.map((t) => tokenizer.tokenize(t));
      expect(tokens).toEqual(s.tokens);
      const vocab = Vocab.build(tokens.slice(0, 10), { maxSize: 40, minFreq: 1 });
      expect(vocab.itos).toEqual(s.vocab);
      expect(Vocab.build(tokens, { maxSize: 30, minFreq: 2, tieBreak: 'lexical' }).itos).toEqual(
        s.lexicalVocab,
      );
      for (const truncation of ['head', 'tail', 'headTail'] as const) {
        // As the classifier encodes: cut to 6 tokens, an empty text is one <unk>.
        const ids = tokens.map((t) => {
          const e = vocab.encode(t, { maxLength: 6, truncation });
          return Array.from(e.length ? e : [vocab.unkId]);
        });
        expect(ids, `${truncation} (settings ${k})`).toEqual(s.ids[truncation]);
      }
    });
  });

  it('the seeded subsample and the stratified split', () => {
    const labels = Array.from({ length: fixture.texts.length * 4 }, (_, i) => i % 3);
    const perm = new Generator(11).permutation(labels.length);
    const sub = Array.from(perm.subarray(0, 40));
    expect(sub).toEqual(fixture.subsample);
    const items = sub.map((i) => ({ label: labels[i]! }));
    const split = trainValTestSplit(items, { val: 0.1, test: 0.2, seed: 5, stratify: true });
    expect([split.train, split.val, split.test].map((s) => Array.from(s.indices))).toEqual(fixture.split);
  });

  it('class order and number formatting', () => {
    expect(input.classNames.map((v) => classNames(v))).toEqual(fixture.classNames);
    expect(fixture.numbers.map(String)).toEqual(fixture.numberStrings);
  });
});

describe('exportPytorchProject', () => {
  const model = new TextClassifier({ vocabSize: 5, embedDim: 3, hiddenSize: 4, cell: 'gru' });
  const vocab = new Vocab(['<pad>', '<unk>', 'good', 'bad', 'film']);
  const config = {
    format: 'kioku-model',
    formatVersion: 1,
    kiokuVersion: '0.1.0',
    architecture: model.config(),
    task: 'classification',
    labels: ['neg', 'pos'],
    vocab: vocab.toJSON(),
    tokenizer: new WordTokenizer().toJSON(),
    maxLen: 16,
    truncation: 'headTail',
    data: 'reviews.csv',
    training: { epochs: 4, bestEpoch: 2, seed: 3, lr: 0.01, batch: 8 },
  };
  const files = (c: object = config) => ({
    'config.json': JSON.stringify(c),
    'model.safetensors': serializeSafetensors(model.stateDict()),
  });

  it("writes the project: model.py of the architecture, kioku's settings, the model's files", () => {
    const out = exportPytorchProject(files(), { limit: 100 });
    expect(Object.keys(out).sort()).toEqual([
      'README.md',
      'char_classes.py',
      'config.json',
      'data.py',
      'model.py',
      'model.safetensors',
      'project.json',
      'train.py',
    ]);
    expect(out['model.py']).toContain('self.gru = nn.GRU(input_size=3, hidden_size=4');
    expect(JSON.parse(out['project.json'] as string)).toMatchObject({
      task: 'classification',
      data: 'reviews.csv',
      limit: 100,
      epochs: 4,
      batch: 8,
      lr: 0.01,
      seed: 3,
      val: 0.1,
      test: 0.1,
    });
    expect(out['README.md']).toContain('torchrun --standalone --nproc_per_node 2 train.py --out runs');
    expect(out['char_classes.py']).toMatch(/^RUN_STARTS = \[\n {4}0, /m);
  });

  it("carries the model's weight decay, label smoothing and file columns into project.json and train.py", () => {
    const trained = {
      ...config,
      dataColumns: { text: 'review', label: 'sentiment' },
      training: { ...config.training, weightDecay: 1e-4, labelSmoothing: 0.1 },
    };
    const settings = JSON.parse(exportPytorchProject(files(trained))['project.json'] as string);
    expect(settings).toMatchObject({
      weightDecay: 1e-4,
      labelSmoothing: 0.1,
      textColumn: 'review',
      labelColumn: 'sentiment',
    });
    // A model trained without them: 0, and the options override the config.
    const plain = JSON.parse(exportPytorchProject(files())['project.json'] as string);
    expect([plain.weightDecay, plain.labelSmoothing, plain.textColumn]).toEqual([0, 0, 'text']);
    const given = exportPytorchProject(files(trained), { weightDecay: 0.5, labelSmoothing: 0 });
    expect(JSON.parse(given['project.json'] as string)).toMatchObject({
      weightDecay: 0.5,
      labelSmoothing: 0,
    });
    // train.py's flags default to project.json's values and reach the optimizer and the loss.
    const train = given['train.py'] as string;
    expect(train).toContain("'--weight-decay', type=float, default=settings.get('weightDecay', 0.0)");
    expect(train).toContain("'--label-smoothing', type=float, default=settings.get('labelSmoothing', 0.0)");
    expect(train).toContain('torch.optim.Adam(ddp.parameters(), lr=args.lr, weight_decay=args.weight_decay)');
    expect(train).toContain("nn.CrossEntropyLoss(reduction='sum', label_smoothing=args.label_smoothing)");
    expect(() => exportPytorchProject(files(), { labelSmoothing: 1 })).toThrow(
      'exportPytorchProject: options.labelSmoothing must be a number in [0, 1), got 1',
    );
  });

  it('bundles a data file and points project.json at it', () => {
    const out = exportPytorchProject(files({ ...config, data: 'spam-assassin' }), {
      dataFile: { name: 'spam-assassin.jsonl', content: '{"text":"x","label":"ham"}\n' },
    });
    expect(out['spam-assassin.jsonl']).toBe('{"text":"x","label":"ham"}\n');
    expect(JSON.parse(out['project.json'] as string).data).toBe('spam-assassin.jsonl');
  });

  it('refuses what it cannot reproduce, naming it', () => {
    expect(() => exportPytorchProject(files({ ...config, data: 'spam-assassin' }))).toThrow(
      /trained on the built-in "spam-assassin"; pass options.dataFile/,
    );
    expect(() => exportPytorchProject(files({ ...config, tokenizer: { type: 'char' } }))).toThrow(
      /uses the tokenizer "char"; the project reproduces kioku's word tokenizer only/,
    );
    const bow = new BagOfWordsClassifier({ vocabSize: 5, embedDim: 2, numClasses: 2 });
    expect(() =>
      exportPytorchProject({
        'config.json': JSON.stringify({ ...config, architecture: bow.config() }),
        'model.safetensors': serializeSafetensors(bow.stateDict()),
      }),
    ).toThrow(/BagOfWordsClassifier cannot be exported; recurrent models only/);
    expect(() => exportPytorchProject({ 'config.json': JSON.stringify(config) })).toThrow(
      /"model.safetensors"/,
    );
    expect(() => exportPytorchProject(files({ ...config, format: 'x' }))).toThrow(ModelDirError);
    expect(() => exportPytorchProject(files(), { limit: 0 })).toThrow(
      /options.limit must be a positive integer/,
    );
    expect(() => exportPytorchProject(files(), { lr: -1 })).toThrow(ValueError);
    expect(() => exportPytorchProject(files(), { dataFile: { name: '../x', content: '' } })).toThrow(
      /dataFile/,
    );
    expect(() => exportPytorchProject(files(), { dataFile: { name: 'train.py', content: '' } })).toThrow(
      /"train.py" is a file of the project/,
    );
  });
});

// Runs data.py and train.py of exported projects; needs /usr/bin/python3 with torch (skipped otherwise).
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const python = (args: string[], cwd?: string) =>
  execFileSync('/usr/bin/python3', args, { encoding: 'utf8', maxBuffer: 1 << 26, ...(cwd ? { cwd } : {}) });

describe.skipIf(!hasTorch)('the exported project trains in PyTorch and kioku opens the result', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kioku-pyproject-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const gen = new Generator(5);
  const words = (xs: string[], n: number) => Array.from({ length: n }, () => xs[gen.randint(xs.length)]!);

  it('a text classifier: data.py splits and encodes as kioku; kioku scores the result as train.py did', async () => {
    const neutral = ['the', 'film', 'plot', 'Scène', '東京', '🎉', "don't", 'state-of-the-art', 'it', 'was'];
    const rows = Array.from({ length: 160 }, (_, i) => {
      const label = i % 3 === 0 ? 'neg' : 'pos';
      const cue = label === 'pos' ? ['great', 'superb', 'fun'] : ['awful', 'dull', 'poor'];
      return `"${[...words(neutral, 3 + gen.randint(9)), ...words(cue, 1)].join(' ')}!",${label}`;
    });
    const csv = join(dir, 'reviews.csv');
    writeFileSync(csv, `text,label\n${rows.join('\n')}\n`);
    const k = join(dir, 'kioku-text');
    const flags = [
      '--epochs',
      '1',
      '--embed',
      '8',
      '--hidden',
      '8',
      '--max-len',
      '6',
      '--limit',
      '150',
      '--seed',
      '3',
      // Word dropout draws its masks in each process, so one process and two would differ by
      // them (as with any dropout); without it the two follow the same optimisation.
      '--token-dropout',
      '0',
    ];
    const r = await kioku('train', 'text', '--data', csv, ...flags, '--no-baselines', '--out', k);
    expect(r.code, r.stderr).toBe(0);
    const proj = join(dir, 'text-project');
    await writePytorchProject(join(k, 'model'), proj, { limit: 150 });

    const py = JSON.parse(python(['-c', PY_TEXT_PIPELINE, proj, csv, '150', '3', '20000', '1'])) as {
      classes: string[];
      labels: number[];
      ids: number[][];
      split: number[][];
      vocab: string[];
    };
    const { config } = await loadTextClassifier(join(k, 'model'));
    const encode = encoderOf(config);
    const split = await textSplit(csv, { limit: 150, seed: 3 });
    expect(py.classes).toEqual(split.classes);
    expect(py.labels).toEqual(split.items.map((e) => e.label));
    expect(py.split).toEqual(split.indices);
    expect(py.ids).toEqual(split.items.map((e) => Array.from(encode(e.text))));
    expect(py.vocab).toEqual(config.vocab.tokens);

    // Two processes (DistributedDataParallel over gloo) follow one process's optimisation, even
    // through the last batch of 1 example (120 training examples in batches of 7).
    python(['train.py', '--epochs', '1', '--batch', '7', '--out', 'one'], proj);
    // --standalone always takes port 29400, where another torchrun on the machine would collide;
    // endpoint port 0 lets torchrun pick a free one.
    const rendezvous = ['--nnodes=1', '--rdzv_backend=c10d', '--rdzv_endpoint=localhost:0'];
    const torchrun = ['-m', 'torch.distributed.run', '--redirects', '1', '--tee', '1', ...rendezvous];
    python(
      [...torchrun, '--nproc_per_node', '2', 'train.py', '--epochs', '1', '--batch', '7', '--out', 'two'],
      proj,
    );
    const metrics = JSON.parse(readFileSync(join(proj, 'two', 'metrics.json'), 'utf8'));
    const single = JSON.parse(readFileSync(join(proj, 'one', 'metrics.json'), 'utf8'));
    expect(metrics.test.accuracy).toBe(single.test.accuracy);
    expect(metrics.test.loss).toBeCloseTo(single.test.loss, 5);
    expect(metrics.history.map((h: { loss: number }) => h.loss)).toEqual(
      single.history.map((h: { loss: number }) => expect.closeTo(h.loss, 5)),
    );
    // Weight decay and label smoothing change the optimisation from the same seed, and are recorded.
    python(
      [
        'train.py',
        '--epochs',
        '1',
        '--batch',
        '7',
        '--weight-decay',
        '0.1',
        '--label-smoothing',
        '0.2',
        '--out',
        'wd',
      ],
      proj,
    );
    const wd = JSON.parse(readFileSync(join(proj, 'wd', 'metrics.json'), 'utf8'));
    expect(wd.history[0].loss).not.toBeCloseTo(single.history[0].loss, 3);
    const wdConfig = JSON.parse(readFileSync(join(proj, 'wd', 'model', 'config.json'), 'utf8'));
    expect(wdConfig.training).toMatchObject({ weightDecay: 0.1, labelSmoothing: 0.2 });
    const trained = await loadTextClassifier(join(proj, 'two', 'model'));
    expect((trained.config as { training?: { engine?: string } }).training?.engine).toMatch(/^pytorch /);
    const score = scoreText(
      trained.model,
      split.test.map((e) => encode(e.text)),
      split.test.map((e) => e.label),
    );
    expect(score.accuracy).toBe(metrics.test.accuracy);
    expect(score.loss).toBeCloseTo(metrics.test.loss, 4);
  }, 120_000);

  it('a text classifier with the bag-of-words path: train.py --build-vocab resizes it, kioku opens the result', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => {
      const label = i % 2 === 0 ? 'neg' : 'pos';
      const cue = label === 'pos' ? ['great', 'fun'] : ['awful', 'dull'];
      return `"${[...words(['the', 'film', 'was', 'it'], 4), ...words(cue, 1)].join(' ')}",${label}`;
    });
    const csv = join(dir, 'bag.csv');
    writeFileSync(csv, `text,label\n${rows.join('\n')}\n`);
    const k = join(dir, 'kioku-bag');
    const flags = ['--epochs', '1', '--embed', '4', '--hidden', '4', '--max-len', '6', '--vocab-size', '5'];
    const r = await kioku(
      'train',
      'text',
      '--data',
      csv,
      ...flags,
      '--bag-of-words',
      '--no-baselines',
      '--out',
      k,
    );
    expect(r.code, r.stderr).toBe(0);
    const proj = join(dir, 'bag-project');
    await writePytorchProject(join(k, 'model'), proj, {});
    python(['train.py', '--epochs', '2', '--build-vocab', '--vocab-size', '9', '--out', 'out'], proj);
    const trained = await loadTextClassifier(join(proj, 'out', 'model'));
    const model = trained.model as TextClassifier;
    expect(model.bag?.weight.shape).toEqual([9, 2]);
    expect(model.bag!.weight.f32.some((v) => v !== 0)).toBe(true);
  }, 120_000);
});

describe('kioku export --format pytorch-project', () => {
  it('records --data and --limit in project.json, and refuses them for another format', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioku-project-flags-'));
    try {
      const rows = Array.from({ length: 60 }, (_, i) =>
        i % 2 ? 'great fun film,pos' : 'dull poor plot,neg',
      );
      const csv = join(dir, 'reviews.csv');
      writeFileSync(csv, `text,label\n${rows.join('\n')}\n`);
      const k = join(dir, 'kioku-text');
      const tiny = ['--epochs', '1', '--embed', '4', '--hidden', '4', '--max-len', '8', '--no-baselines'];
      const r = await kioku('train', 'text', '--data', csv, ...tiny, '--out', k);
      expect(r.code, r.stderr).toBe(0);
      const out = join(dir, 'project');
      const flags = ['--data', '/data/reviews-full.csv', '--limit', '50'];
      const e = await kioku(
        'export',
        '--model',
        join(k, 'model'),
        '--format',
        'pytorch-project',
        '--out',
        out,
        ...flags,
      );
      expect(e.code, e.stderr).toBe(0);
      const settings = JSON.parse(readFileSync(join(out, 'project.json'), 'utf8'));
      expect([settings.data, settings.limit]).toEqual(['/data/reviews-full.csv', 50]);
      const onnx = await kioku(
        'export',
        '--model',
        join(k, 'model'),
        '--format',
        'onnx',
        '--out',
        join(dir, 'onnx'),
        '--limit',
        '5',
      );
      expect(onnx.code).toBe(1);
      expect(onnx.stderr).toContain(
        '--limit sets the data of a pytorch-project export; --format onnx takes none',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
