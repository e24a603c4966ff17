import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareLmCorpus } from '../../src/data/lm-corpus.js';
import { CharTokenizer } from '../../src/data/tokenizers.js';
import { loadMobyDick } from '../../src/io/datasets/moby-dick.js';
import { loadModelDir, saveModelDir } from '../../src/io/model-dir-node.js';
import { TextClassifier } from '../../src/nn/heads.js';
import { NGramModel } from '../../src/train/baselines/ngram.js';
import { evaluateLanguageModel } from '../../src/train/lm/evaluate.js';
import { generateText } from '../../src/train/lm/generate.js';
import { openLanguageModel } from '../../src/train/recipes/language-model-open.js';
import { jsonLines, kioku } from '../helpers/cli.js';

type Score = { nats: number; bits: number; perplexity: number };

let root: string;
let book: string;
let text: string;
const tiny = ['--embed', '8', '--hidden', '16', '--batch', '8', '--bptt', '32', '--ngram', '3'];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-lm-'));
  // Chapter 1 onwards, 12,000 characters: about a second of training for a tiny model.
  const moby = await loadMobyDick();
  const start = moby.indexOf('Call me Ishmael');
  text = moby.slice(start, start + 12_000);
  book = join(root, 'book.txt');
  await writeFile(book, text);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function open(dir: string) {
  const { config, tensors } = await loadModelDir(dir);
  return openLanguageModel(config as unknown as Record<string, unknown>, tensors, dir);
}

describe('kioku train lm', () => {
  let out: string;
  let events: Array<Record<string, unknown>>;

  beforeAll(async () => {
    out = join(root, 'char');
    const r = await kioku('train', 'lm', '--data', book, ...tiny, '--epochs', '2', '--out', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    events = jsonLines(r.stdout);
  }, 120_000);

  it('scores Kneser-Ney baselines of orders 1 to --ngram on the same 90/5/5 split', () => {
    const corpus = prepareLmCorpus(text, { tokenizer: new CharTokenizer() });
    const data = events.find((e) => e.event === 'data')!;
    expect(data).toMatchObject({
      train: corpus.train.length,
      val: corpus.val.length,
      test: corpus.test.length,
      vocabulary: corpus.vocab.size,
      unit: 'char',
    });
    const ngrams = events.filter((e) => e.event === 'ngram');
    expect(ngrams.map((e) => e.order)).toEqual([1, 2, 3]);
    for (const e of ngrams) {
      const m = new NGramModel(corpus.train, { order: e.order as number, vocabSize: corpus.vocab.size });
      expect((e.val as Score).nats).toBeCloseTo(m.score(corpus.val).nats, 5);
      expect((e.test as Score).nats).toBeCloseTo(m.score(corpus.test).nats, 5);
      expect((e.val as Score).bits).toBeCloseTo(m.score(corpus.val).nats / Math.LN2, 5);
    }
  });

  it('reports the model and the settings it sized to the text (those the flags left open)', () => {
    const model = events.find((e) => e.event === 'model')!;
    // 12,000 characters are a small text: dropout and the higher rate.
    expect(model).toMatchObject({
      embed: 8,
      hidden: 16,
      epochs: 2,
      sized: ['--tie-weights', '--dropout', '--lr', '--vocab-size'],
    });
  });

  it('evaluates after each epoch and saves the best weights with the tokenizer and vocabulary', async () => {
    const evals = events.filter((e) => e.event === 'eval');
    expect(evals.map((e) => e.epoch)).toEqual([1, 2]);
    const scores = events.find((e) => e.event === 'scores')!;
    const best = Math.min(...evals.map((e) => (e.val as Score).nats));
    expect((scores.val as Score).nats).toBeCloseTo(best, 5);
    const { model, vocab, tokenizer } = await open(join(out, 'model'));
    expect(tokenizer.toJSON().type).toBe('char');
    const corpus = prepareLmCorpus(text, { tokenizer });
    expect(vocab.itos).toEqual(corpus.vocab.itos);
    const again = await evaluateLanguageModel(model, corpus.val);
    expect(again.nats).toBeCloseTo((scores.val as Score).nats, 5);
    const ngrams = events.filter((e) => e.event === 'ngram').map((e) => (e.val as Score).nats);
    expect(scores.beatsBaselines).toBe(again.nats < Math.min(...ngrams));
    expect(scores.bestNgram).toBe(3);
    const config = JSON.parse(await readFile(join(out, 'model', 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      task: 'language-model',
      data: book,
      architecture: { type: 'LanguageModel', hiddenSize: 16, dropout: 0.3 },
      training: { lr: 0.01, dropout: 0.3, epochs: 2 },
    });
    const metrics = jsonLines(await readFile(join(out, 'metrics.jsonl'), 'utf8'));
    expect(metrics).toEqual(events);
  });

  it('prints nats and bits per character beside the baselines and says which wins', async () => {
    const r = await kioku(
      'train',
      'lm',
      '--data',
      book,
      ...tiny,
      '--epochs',
      '1',
      '--out',
      join(root, 'text'),
    );
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^epoch 1\.00 step \d+: train \d\.\d{4}, val \d\.\d{4} nats\/char \(\d\.\d{3} bits\/char\)/,
    );
    const header = lines.find((l) => l.startsWith('model'))!;
    expect(header).toMatch(/val nats\/char +val bits\/char +test nats\/char +test bits\/char/);
    for (const n of [1, 2, 3]) expect(lines.some((l) => l.startsWith(`Kneser-Ney ${n}-gram`))).toBe(true);
    expect(r.stdout).toMatch(
      /The network \(val \d\.\d{4} nats\/char\) (beats|does NOT beat) the best n-gram baseline \(3-gram/,
    );
    expect(r.stderr).toMatch(/Kneser-Ney 3-gram: val \d\.\d{4} nats\/char/);
  }, 120_000);

  it('reports perplexity for word models', async () => {
    const r = await kioku(
      'train',
      'lm',
      '--data',
      book,
      '--tokenizer',
      'word',
      ...tiny,
      '--bptt',
      '8',
      '--epochs',
      '1',
      '--out',
      join(root, 'word'),
      '--quiet',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/val \d+\.\d{4} nats\/word \(perplexity \d+\.\d\)/);
    expect(r.stdout).toMatch(/val perplexity +test nats\/word +test perplexity/);
  }, 120_000);

  it('refuses a missing file and a tied model of unequal sizes with one line', async () => {
    const missing = await kioku('train', 'lm', '--data', join(root, 'nope.txt'), '--out', join(root, 'x'));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/^kioku: --data .*nope\.txt: cannot read the file/);
    const tied = await kioku(
      'train',
      'lm',
      '--data',
      book,
      '--tie-weights',
      '--embed',
      '8',
      '--hidden',
      '16',
      '--out',
      join(root, 'y'),
    );
    expect(tied.code).not.toBe(0);
    expect(tied.stderr).toMatch(/--tie-weights needs --embed = --hidden, got 8 and 16/);
  });
});

describe('kioku generate', () => {
  let model: string;
  const args = ['--prompt', 'Call me', '--length', '60', '--temperature', '0.8', '--top-k', '10'];

  beforeAll(async () => {
    const out = join(root, 'gen');
    const r = await kioku(
      'train',
      'lm',
      '--data',
      book,
      ...tiny,
      '--epochs',
      '1',
      '--ngram',
      '0',
      '--out',
      out,
      '--quiet',
    );
    expect(r.code).toBe(0);
    model = join(out, 'model');
  }, 120_000);

  it('writes the prompt and the drawn text; the same seed gives the same text, as the library draws it', async () => {
    const a = await kioku('generate', '--model', model, ...args, '--seed', '1');
    const b = await kioku('generate', '--model', model, ...args, '--seed', '1');
    const c = await kioku('generate', '--model', model, ...args, '--seed', '2');
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toBe(c.stdout);
    const { model: lm, vocab, tokenizer } = await open(model);
    let want = '';
    for await (const piece of generateText(lm, vocab, tokenizer, {
      prompt: 'Call me',
      length: 60,
      temperature: 0.8,
      topK: 10,
      seed: 1,
    })) {
      want += piece;
    }
    expect(a.stdout).toBe(`Call me${want}\n`);
    expect([...new Intl.Segmenter().segment(want)].length).toBe(60);
  });

  it('--json: one line per token, then the whole text', async () => {
    const r = await kioku('--json', 'generate', '--model', model, ...args, '--seed', '1');
    const plain = await kioku('generate', '--model', model, ...args, '--seed', '1');
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    const tokens = lines.filter((l) => l.event === 'token').map((l) => l.text as string);
    expect(tokens).toHaveLength(60);
    const last = lines.at(-1)!;
    expect(last).toEqual({
      event: 'generated',
      model,
      prompt: 'Call me',
      text: tokens.join(''),
      tokens: 60,
      seed: 1,
    });
    expect(plain.stdout).toBe(`Call me${tokens.join('')}\n`);
  });

  it('temperature 0 takes the likeliest token at every step', async () => {
    const r = await kioku(
      '--json',
      'generate',
      '--model',
      model,
      '--prompt',
      'The ',
      '--length',
      '20',
      '--temperature',
      '0',
    );
    const { model: lm, vocab, tokenizer } = await open(model);
    const streamer = lm.streamer();
    let logits: Float32Array = new Float32Array(0);
    for (const id of vocab.encode(tokenizer.tokenize('The '))) logits = streamer.step([id]);
    let want = '';
    for (let i = 0; i < 20; i++) {
      let best = -1;
      for (let v = 0; v < logits.length; v++) {
        if (v === vocab.padId || v === vocab.unkId) continue;
        if (best < 0 || logits[v]! > logits[best]!) best = v;
      }
      want += vocab.token(best);
      logits = streamer.step([best]);
    }
    expect(jsonLines(r.stdout).at(-1)!.text).toBe(want);
  });

  it('info describes the language model; predict refuses it with one line', async () => {
    const r = await kioku('--json', 'info', '--model', model);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info).toMatchObject({
      task: 'language-model',
      architecture: { type: 'LanguageModel', embedDim: 8, hiddenSize: 16 },
      tokenizer: { type: 'char' },
    });
    const { model: lm, vocab } = await open(model);
    expect(info.parameters).toBe(lm.numParameters());
    expect(info.vocabularySize).toBe(vocab.size);
    const predict = await kioku('predict', '--model', model, '--text', 'whale');
    expect(predict.code).not.toBe(0);
    expect(predict.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/holds a language model; this command needs a text classifier or a forecaster/),
    ]);
  });

  it('refuses a model directory that holds no language model with one line', async () => {
    const dir = join(root, 'classifier');
    const classifier = new TextClassifier({ vocabSize: 10, embedDim: 4, hiddenSize: 4 });
    await saveModelDir(dir, {
      config: { architecture: classifier.config(), task: 'classification', labels: ['a', 'b'] },
      stateDict: classifier.stateDict(),
    });
    const r = await kioku('generate', '--model', dir, '--prompt', 'x');
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /holds a classification model; this command needs a language model \(kioku train lm\)/,
      ),
    ]);
  });
});
