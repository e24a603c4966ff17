/**
 * Seeded fuzzing of kioku's file loaders (config.json, whole model directories, vocab/tokenizer
 * JSON, CSV/TSV and JSONL text files, series CSV, IMDB directories), shared by the fast slice in fuzz-loaders.test.ts
 * and scripts/fuzz.ts. Case `i` of a seed starts from a valid random input and breaks it one
 * way; the check either finds a consistent result or a KiokuError, and fails on anything else.
 */
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tokenizerFromJSON } from '../../src/data/tokenizers.js';
import { Vocab } from '../../src/data/vocab.js';
import { loadImdb } from '../../src/io/datasets/imdb.js';
import { loadSeriesCsv } from '../../src/io/datasets/series.js';
import { loadTextFile } from '../../src/io/datasets/text.js';
import { isJsonObject, parseJsonStrict } from '../../src/io/json-strict.js';
import { MODEL_FORMAT_VERSION, ModelDirError, parseModelConfig } from '../../src/io/model-config.js';
import { loadWeightsInto, modelFromFiles, modelToFiles } from '../../src/io/model-format.js';
import { modelFromConfig, SequenceForecaster, TextClassifier } from '../../src/nn/heads.js';
import { KiokuError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';

export const LOADERS = ['config', 'vocab', 'csv', 'jsonl', 'series', 'imdb', 'model'] as const;
export type Loader = (typeof LOADERS)[number];

/** Damage applied to the bytes of a file (every loader but imdb). */
export const BYTE_MUTATIONS = [
  'valid',
  'flip-bytes',
  'truncate',
  'splice',
  'non-utf8',
  'structure',
  'swap-lines',
  'empty',
] as const;
/** Damage applied to an IMDB directory tree. */
export const TREE_MUTATIONS = [
  'valid',
  'missing-dir',
  'file-for-dir',
  'bad-name',
  'non-utf8',
  'empty-class',
  'dir-for-file',
  'dangling-link',
  'huge-id',
  'odd-entries',
] as const;
export type Mutation = (typeof BYTE_MUTATIONS)[number] | (typeof TREE_MUTATIONS)[number];

/** An IMDB tree: relative path → file content, a directory (null) or a symlink target. */
export type Tree = Map<string, Uint8Array | null | { link: string }>;

export interface FuzzCase {
  loader: Loader;
  mutation: Mutation;
  /** The file's bytes, or the IMDB tree, or a model directory's files (name → bytes). */
  input: Uint8Array | Tree;
  /** Extension of the file written for path-based loaders. */
  ext: string;
  /** Loader options chosen for this case. */
  options: Record<string, unknown>;
}

const enc = new TextEncoder();

function pick<T>(gen: Generator, xs: readonly T[]): T {
  return xs[gen.randint(xs.length)]!;
}

const WORDS = [
  'good',
  'bad',
  'film',
  'ok',
  'Ünï',
  '日本',
  '😀',
  'a"b',
  'x,y',
  'tab\there',
  '',
  ' ',
  '<br />',
];

function sentence(gen: Generator): string {
  return Array.from({ length: gen.randint(6) }, () => pick(gen, WORDS)).join(' ');
}

/** A random JSON value of bounded size, with keys the loaders look for. */
function randomJson(gen: Generator, depth: number, keys: readonly string[]): unknown {
  const r = gen.randint(depth > 0 ? 10 : 7);
  if (r === 0) return null;
  if (r === 1) return gen.random() < 0.5;
  if (r === 2) return pick(gen, [0, 1, -1, 2, 0.5, 1e308, -0, 2 ** 53, 3]);
  if (r === 3) return pick(gen, ['', 'kioku-model', 'kioku-vocab', 'word', 'char', '<pad>', '<unk>', 'x']);
  if (r === 4) return pick(gen, WORDS);
  if (r === 5) return [];
  if (r === 6) return {};
  if (r <= 8) return Array.from({ length: gen.randint(4) }, () => randomJson(gen, depth - 1, keys));
  const o: Record<string, unknown> = {};
  for (let k = gen.randint(5); k > 0; k--) o[pick(gen, keys)] = randomJson(gen, depth - 1, keys);
  return o;
}

function validConfig(gen: Generator): unknown {
  const classifier = gen.random() < 0.5;
  const c: Record<string, unknown> = {
    format: 'kioku-model',
    formatVersion: 1 + gen.randint(MODEL_FORMAT_VERSION),
    kiokuVersion: pick(gen, ['0.1.0', '1.2.3-beta']),
    architecture: { type: classifier ? 'TextClassifier' : 'Forecaster', hiddenSize: 1 + gen.randint(64) },
    task: pick(gen, ['classification', 'forecasting']),
  };
  if (gen.random() < 0.5) c.labels = Array.from({ length: 2 + gen.randint(3) }, () => pick(gen, WORDS));
  if (gen.random() < 0.5) c.vocab = validVocab(gen);
  if (classifier) {
    const tokens = ((c.vocab as { tokens?: string[] } | undefined)?.tokens ?? []).length;
    Object.assign(c.architecture as object, {
      vocabSize: Math.max(1, tokens) + gen.randint(4),
      numClasses: (c.labels as string[] | undefined)?.length ?? 2,
    });
  }
  return c;
}

function validVocab(gen: Generator): Record<string, unknown> {
  const bos = gen.random() < 0.5;
  const eos = gen.random() < 0.5;
  const tokens = ['<pad>', '<unk>'];
  if (bos) tokens.push('<bos>');
  if (eos) tokens.push('<eos>');
  for (const w of WORDS) if (gen.random() < 0.5) tokens.push(w);
  return { format: 'kioku-vocab', version: 1, tokens, bos, eos };
}

function validTokenizer(gen: Generator): Record<string, unknown> {
  return gen.random() < 0.5
    ? {
        type: 'word',
        lowercase: gen.random() < 0.5,
        punctuation: pick(gen, ['strip', 'keep']),
        cjk: pick(gen, ['char', 'bigram']),
        normalize: gen.random() < 0.5,
      }
    : { type: 'char', lowercase: gen.random() < 0.5, normalize: true, stripWhitespace: gen.random() < 0.5 };
}

function csvField(gen: Generator, s: string, d: string): string {
  return s.includes(d) || s.includes('"') || s.includes('\n') || gen.random() < 0.2
    ? `"${s.replaceAll('"', '""')}"`
    : s;
}

function validTextCsv(gen: Generator, d: string): string {
  const labels = pick(gen, [
    ['neg', 'pos'],
    ['0', '1'],
    ['1', '2', '10'],
    ['spam', 'ham', 'x y'],
  ]);
  const rows = ['text', 'label'];
  if (gen.random() < 0.3) rows.push('extra');
  const lines = [rows.join(d)];
  const n = labels.length + gen.randint(8);
  for (let i = 0; i < n; i++) {
    const cells = [csvField(gen, sentence(gen), d), csvField(gen, labels[i % labels.length]!, d)];
    if (rows.length === 3) cells.push(String(i));
    lines.push(cells.join(d));
  }
  const eol = gen.random() < 0.2 ? '\r\n' : '\n';
  return lines.join(eol) + (gen.random() < 0.5 ? eol : '');
}

function validJsonl(gen: Generator): string {
  const labels = pick(gen, [
    ['neg', 'pos'],
    [0, 1],
    [true, false],
    ['a', 'b', 'c'],
  ] as unknown[][]);
  const n = labels.length + gen.randint(8);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const rec: Record<string, unknown> = { text: sentence(gen), label: labels[i % labels.length] };
    if (gen.random() < 0.3) rec.id = i;
    lines.push(JSON.stringify(rec));
    if (gen.random() < 0.1) lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

function validSeriesCsv(gen: Generator, withDate: boolean): string {
  const cols = Array.from({ length: 1 + gen.randint(3) }, (_, k) => `c${k}`);
  const head = withDate ? ['date', ...cols] : cols;
  const lines = [head.join(',')];
  const n = 1 + gen.randint(12);
  for (let r = 0; r < n; r++) {
    const cells = cols.map(() => pick(gen, ['1', '-2.5', '3e2', ' 4 ', '0', '1e-3', '7']));
    if (withDate) cells.unshift(`2020-01-${String(r + 1).padStart(2, '0')}`);
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

const JSON_PIECES = [
  '{',
  '}',
  '[',
  ']',
  '"',
  ':',
  ',',
  '\\',
  'null',
  '1e999',
  '-',
  'NaN',
  '\u2028',
  '"\\ud800"',
];
const CSV_PIECES = ['"', ',', '\t', '\n', '\r', '\r\n', '""', '\\', ' ', 'NA', '1e39', '\u00a0', '\ufeff'];
const BAD_UTF8 = [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xe2, 0x82]];

function insert(bytes: Uint8Array, at: number, cut: number, piece: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length - cut + piece.length);
  out.set(bytes.subarray(0, at));
  out.set(piece, at);
  out.set(bytes.subarray(at + cut), at + piece.length);
  return out;
}

/** Breaks a valid file's bytes one way; `structure` builds a random but well-formed document. */
function mutateBytes(
  gen: Generator,
  bytes: Uint8Array,
  mutation: Mutation,
  json: boolean,
  structure: () => string,
): Uint8Array {
  switch (mutation) {
    case 'flip-bytes': {
      const out = bytes.slice();
      for (let k = 0; k <= gen.randint(4); k++) out[gen.randint(out.length)] ^= 1 << gen.randint(8);
      return out;
    }
    case 'truncate':
      return bytes.slice(0, gen.randint(bytes.length));
    case 'splice': {
      let out = bytes;
      for (let k = 0; k <= gen.randint(3); k++) {
        const at = gen.randint(out.length + 1);
        const cut = gen.randint(Math.min(6, out.length - at) + 1);
        out = insert(out, at, cut, enc.encode(pick(gen, json ? JSON_PIECES : CSV_PIECES)));
      }
      return out;
    }
    case 'non-utf8':
      return insert(bytes, gen.randint(bytes.length + 1), 0, Uint8Array.from(pick(gen, BAD_UTF8)));
    case 'structure':
      return enc.encode(structure());
    case 'swap-lines': {
      const lines = new TextDecoder().decode(bytes).split('\n');
      for (let k = 0; k <= gen.randint(3) && lines.length > 0; k++) {
        const a = gen.randint(lines.length);
        const b = gen.randint(lines.length);
        [lines[a], lines[b]] = [lines[b]!, lines[a]!];
        if (gen.random() < 0.3) lines.splice(b, 0, lines[a]!);
        if (gen.random() < 0.3) lines.splice(a, 1);
      }
      return enc.encode(lines.join('\n'));
    }
    case 'empty':
      return enc.encode(pick(gen, ['', '\n', '\ufeff', '   \n\n', '\r\n']));
    default:
      return bytes;
  }
}

const CONFIG_KEYS = [
  'format',
  'formatVersion',
  'kiokuVersion',
  'architecture',
  'type',
  'task',
  'labels',
  'vocab',
];
const VOCAB_KEYS = ['vocab', 'tokenizer', 'format', 'version', 'tokens', 'bos', 'eos', 'type', 'lowercase'];
const CSV_CELLS = [
  'text',
  'label',
  'date',
  'c0',
  'c1',
  '',
  '"',
  '1',
  'x',
  'NA',
  '2020-01-01',
  '1e39',
  'good',
];

function randomCsv(gen: Generator, d: string): string {
  return Array.from({ length: gen.randint(8) }, () =>
    Array.from({ length: gen.randint(4) }, () => pick(gen, CSV_CELLS)).join(d),
  ).join('\n');
}

function randomJsonl(gen: Generator): string {
  return Array.from({ length: gen.randint(6) }, () =>
    JSON.stringify(randomJson(gen, 2, ['text', 'label', 'x'])),
  ).join('\n');
}

function fileCase(gen: Generator, loader: Exclude<Loader, 'imdb' | 'model'>, mutation: Mutation): FuzzCase {
  let text: string;
  let structure: () => string;
  let ext = '.json';
  const options: Record<string, unknown> = {};
  if (loader === 'config') {
    text = JSON.stringify(validConfig(gen));
    structure = () => JSON.stringify(randomJson(gen, 4, CONFIG_KEYS));
  } else if (loader === 'vocab') {
    text = JSON.stringify({ vocab: validVocab(gen), tokenizer: validTokenizer(gen) });
    structure = () => JSON.stringify(randomJson(gen, 4, VOCAB_KEYS));
  } else if (loader === 'jsonl') {
    ext = pick(gen, ['.jsonl', '.ndjson']);
    text = validJsonl(gen);
    structure = () => randomJsonl(gen);
  } else if (loader === 'csv') {
    ext = pick(gen, ['.csv', '.tsv']);
    const d = ext === '.tsv' ? '\t' : ',';
    text = validTextCsv(gen, d);
    structure = () => randomCsv(gen, d);
  } else {
    ext = '.csv';
    const withDate = gen.random() < 0.5;
    if (withDate) options.dateColumn = 'date';
    options.missing = pick(gen, ['error', 'ffill', 'drop']);
    text = validSeriesCsv(gen, withDate);
    structure = () => randomCsv(gen, ',');
  }
  const json = loader === 'config' || loader === 'vocab' || loader === 'jsonl';
  return {
    loader,
    mutation,
    ext,
    options,
    input: mutateBytes(gen, enc.encode(text), mutation, json, structure),
  };
}

const CELLS = ['lstm', 'gru', 'rnn'] as const;

/** A small random head of kioku's with a config whose labels, vocabulary or series agree with it. */
function validModelFiles(gen: Generator): Map<string, Uint8Array> {
  const cell = pick(gen, CELLS);
  const hiddenSize = 1 + gen.randint(4);
  let model: TextClassifier | SequenceForecaster;
  const extra: Record<string, unknown> = {};
  if (gen.random() < 0.6) {
    const numClasses = 2 + gen.randint(3);
    const vocabSize = 3 + gen.randint(8);
    model = new TextClassifier({ vocabSize, embedDim: 1 + gen.randint(4), hiddenSize, cell, numClasses });
    extra.labels = Array.from({ length: numClasses }, (_, k) => `c${k}`);
    extra.vocab = { tokens: Array.from({ length: vocabSize - gen.randint(2) }, (_, k) => `w${k}`) };
  } else {
    const inputSize = 1 + gen.randint(3);
    model = new SequenceForecaster({ inputSize, hiddenSize, cell, horizon: 1 + gen.randint(2) });
    extra.series = { columns: Array.from({ length: inputSize }, (_, k) => `x${k}`), targetIndex: 0 };
  }
  const task = model instanceof TextClassifier ? 'classification' : 'forecasting';
  const state = gen.random() < 0.3 ? { trainingState: { state: { epoch: 1 + gen.randint(3) } } } : {};
  return modelToFiles({
    config: { architecture: model.config(), task, ...extra },
    stateDict: model.stateDict(),
    ...state,
  });
}

/** Sizes a hostile config.json may claim, far beyond any weights. */
const CLAIMS = [0, 1, 3, 20000, 1_000_000, 4_000_000, 2 ** 31, -1, 2.5, '3', null, true];
const SIZE_FIELDS = [
  'vocabSize',
  'embedDim',
  'hiddenSize',
  'numLayers',
  'numClasses',
  'inputSize',
  'horizon',
];

function modelCase(gen: Generator, mutation: Mutation): FuzzCase {
  const files = validModelFiles(gen);
  const name = pick(gen, [
    'config.json',
    'config.json',
    'model.safetensors',
    'model.safetensors',
    'training-state.json',
  ]);
  if (mutation === 'structure' && name === 'config.json') {
    // A well-formed config claiming other sizes than its weights have.
    const config = JSON.parse(new TextDecoder().decode(files.get(name)!));
    for (let k = 0; k <= gen.randint(2); k++) config.architecture[pick(gen, SIZE_FIELDS)] = pick(gen, CLAIMS);
    files.set(name, enc.encode(JSON.stringify(config)));
  } else if (mutation !== 'valid') {
    const bytes = files.get(name) ?? enc.encode('{}');
    const json = name.endsWith('.json');
    files.set(
      name,
      mutateBytes(gen, bytes, mutation, json, () => JSON.stringify(randomJson(gen, 4, CONFIG_KEYS))),
    );
  }
  return { loader: 'model', mutation, ext: '', options: {}, input: files };
}

function validTree(gen: Generator, split: string): Tree {
  const tree: Tree = new Map();
  tree.set(split, null);
  for (const cls of ['neg', 'pos']) {
    tree.set(`${split}/${cls}`, null);
    const used = new Set<number>();
    for (let k = 1 + gen.randint(4); k > 0; k--) {
      const id = gen.randint(50);
      if (used.has(id)) continue;
      used.add(id);
      tree.set(`${split}/${cls}/${id}_${1 + gen.randint(10)}.txt`, enc.encode(sentence(gen)));
    }
  }
  if (gen.random() < 0.3) tree.set(`${split}/pos/notes.md`, enc.encode('ignored'));
  return tree;
}

function treeCase(gen: Generator, mutation: Mutation): FuzzCase {
  const split = pick(gen, ['train', 'test']);
  const tree = validTree(gen, split);
  const options: Record<string, unknown> = { split };
  if (gen.random() < 0.3) options.limitPerClass = 1 + gen.randint(3);
  if (gen.random() < 0.3) options.stripHtml = false;
  const cls = `${split}/${pick(gen, ['neg', 'pos'])}`;
  const dropUnder = (prefix: string) => {
    for (const k of [...tree.keys()]) if (k === prefix || k.startsWith(`${prefix}/`)) tree.delete(k);
  };
  switch (mutation) {
    case 'missing-dir':
      dropUnder(pick(gen, [split, cls]));
      break;
    case 'file-for-dir': {
      const at = pick(gen, [split, cls]);
      dropUnder(at);
      tree.set(at, enc.encode('not a directory'));
      break;
    }
    case 'bad-name':
      tree.set(
        `${cls}/${pick(gen, ['x.txt', '1-2.txt', '_3.txt', '4_.txt', '١_٢.txt', ' 5_6.txt', '7_8.TXT.txt', '-1_2.txt', '1_2_3.txt', '.txt', '1e3_4.txt'])}`,
        enc.encode('review'),
      );
      break;
    case 'non-utf8':
      tree.set(`${cls}/${50 + gen.randint(10)}_7.txt`, Uint8Array.from([0x67, ...pick(gen, BAD_UTF8), 0x6f]));
      break;
    case 'empty-class':
      dropUnder(cls);
      tree.set(cls, null);
      if (gen.random() < 0.5) tree.set(`${cls}/readme.md`, enc.encode('no reviews'));
      break;
    case 'dir-for-file':
      tree.set(`${cls}/${60 + gen.randint(10)}_3.txt`, null);
      break;
    case 'dangling-link':
      tree.set(`${cls}/${70 + gen.randint(10)}_2.txt`, { link: 'no-such-file' });
      break;
    case 'huge-id':
      tree.set(
        `${cls}/${pick(gen, ['2147483648', '99999999999', '00000000000000000000081', '9'.repeat(200)])}_${pick(gen, ['1', '10', '0', '4294967297'])}.txt`,
        enc.encode('big'),
      );
      break;
    case 'odd-entries':
      tree.set(`${cls}/${pick(gen, ['100_0.txt', '0101_2.txt', '102_10.txt'])}`, enc.encode(''));
      tree.set(`${cls}/sub`, null);
      tree.set(`${cls}/sub/5_5.txt`, enc.encode('nested'));
      tree.set(`${cls}/${pick(gen, ['1_2.txt.bak', '.hidden', 'ab\ncd.txt.x'])}`, enc.encode('x'));
      break;
  }
  return { loader: 'imdb', mutation, ext: '', options, input: tree };
}

/** Case `i` of `loader`'s stream seeded by `seed`: independent of every other case. */
export function fuzzCase(loader: Loader, seed: number, i: number): FuzzCase {
  const gen = new Generator((seed * 1_000_003 + i * 7 + LOADERS.indexOf(loader)) >>> 0);
  if (loader === 'imdb') return treeCase(gen, TREE_MUTATIONS[i % TREE_MUTATIONS.length]!);
  if (loader === 'model') return modelCase(gen, BYTE_MUTATIONS[i % BYTE_MUTATIONS.length]!);
  return fileCase(gen, loader, BYTE_MUTATIONS[i % BYTE_MUTATIONS.length]!);
}

/** A loader returned without error but its result contradicts the input. */
class InconsistentResult extends Error {
  override name = 'InconsistentResult';
}

function fail(message: string): never {
  throw new InconsistentResult(message);
}

function checkConfig(bytes: Uint8Array): void {
  const c = parseModelConfig(bytes, 'm/config.json');
  if (c.format !== 'kioku-model') fail(`format ${String(c.format)}`);
  if (!Number.isSafeInteger(c.formatVersion) || c.formatVersion < 1 || c.formatVersion > MODEL_FORMAT_VERSION)
    fail(`formatVersion ${c.formatVersion}`);
  if (typeof c.kiokuVersion !== 'string' || !c.kiokuVersion) fail('kiokuVersion');
  if (typeof c.architecture?.type !== 'string' || !c.architecture.type) fail('architecture.type');
  if (typeof c.task !== 'string' || !c.task) fail('task');
  if (c.labels !== undefined && !(Array.isArray(c.labels) && c.labels.every((l) => typeof l === 'string')))
    fail('labels');
  const a = c.architecture;
  if (a.type === 'TextClassifier') {
    if (!Number.isSafeInteger(a.vocabSize) || (a.vocabSize as number) < 1) fail('architecture.vocabSize');
    if (c.labels !== undefined && c.labels.length !== (a.numClasses ?? 2)) fail('labels ≠ numClasses');
    const tokens = (c.vocab as { tokens?: unknown[] } | undefined)?.tokens;
    if (Array.isArray(tokens) && tokens.length > (a.vocabSize as number)) fail('vocabulary > vocabSize');
  }
}

/**
 * A model directory the loader accepts must build and take its weights: for kioku's heads,
 * everything a constructor or loadWeightsInto would refuse (or allocate beyond the weights) has
 * been refused already, with a KiokuError.
 */
function checkModel(files: Map<string, Uint8Array>): void {
  const loaded = modelFromFiles(files, { source: 'm' });
  for (const [name, t] of Object.entries(loaded.tensors)) {
    if (t.dtype === 'float32' && t.f32.some((v) => !Number.isFinite(v)))
      fail(`non-finite weights in ${name}`);
  }
  const a = loaded.config.architecture;
  if (!['TextClassifier', 'BagOfWordsClassifier', 'SequenceForecaster'].includes(a.type)) return;
  try {
    loadWeightsInto(modelFromConfig(a), loaded.tensors, 'm/model.safetensors');
  } catch (e) {
    fail(`accepted, but the model cannot be built: ${(e as Error).message}`);
  }
  const labels = loaded.config.labels;
  if (labels !== undefined && labels.length !== ((a.numClasses as number | undefined) ?? 2))
    fail('labels ≠ numClasses');
}

function checkVocab(bytes: Uint8Array): void {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ModelDirError('vocab.json: not valid UTF-8');
  }
  const doc = parseJsonStrict(text, (m) => new ModelDirError(`vocab.json: ${m}`));
  const part = (k: string) => (isJsonObject(doc) ? doc[k] : doc);
  const vocab = Vocab.fromJSON(part('vocab') as never);
  const tokens = vocab.itos;
  if (tokens[0] !== '<pad>' || tokens[1] !== '<unk>') fail('specials');
  tokens.forEach((t, i) => {
    if (typeof t !== 'string' || vocab.id(t) !== i || vocab.token(i) !== t)
      fail(`token ${i} does not round-trip`);
  });
  const again = Vocab.fromJSON(vocab.toJSON());
  if (JSON.stringify(again.toJSON()) !== JSON.stringify(vocab.toJSON()))
    fail('vocab changed in a round trip');
  const tok = tokenizerFromJSON(part('tokenizer') as never);
  const words = tok.tokenize('Hello, World! 日本語 ok 😀 a\u0301');
  if (!words.every((w) => typeof w === 'string' && w !== '')) fail('tokenizer produced a non-string token');
  const tok2 = tokenizerFromJSON(tok.toJSON());
  if (JSON.stringify(tok2.toJSON()) !== JSON.stringify(tok.toJSON()))
    fail('tokenizer changed in a round trip');
  vocab.encode(words);
}

async function checkText(path: string, options: Record<string, unknown>): Promise<void> {
  const c = await loadTextFile(path, options);
  const n = c.texts.length;
  if (n === 0 || c.labels.length !== n) fail(`${n} texts for ${c.labels.length} labels`);
  if (c.classes.length < 2 || new Set(c.classes).size !== c.classes.length) fail(`classes ${c.classes}`);
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    if (typeof c.texts[i] !== 'string') fail(`text ${i} is not a string`);
    const l = c.labels[i]!;
    if (l < 0 || l >= c.classes.length) fail(`label ${l} out of range`);
    seen.add(l);
  }
  if (seen.size !== c.classes.length) fail('a class without examples');
}

async function checkSeries(path: string, options: Record<string, unknown>): Promise<void> {
  const s = await loadSeriesCsv(path, options);
  const F = s.columns.length;
  if (F === 0 || s.length < 1 || s.values.length !== s.length * F) fail(`${s.values.length} values`);
  if (s.lines && s.lines.length !== s.length) fail('lines');
  if (options.dateColumn !== undefined && s.index?.length !== s.length) fail('index');
  const bad = s.values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) fail(`value ${s.values[bad]} at row ${Math.floor(bad / F)}, column ${s.columns[bad % F]}`);
  for (const c of [...s.features, ...s.targets]) if (!s.columns.includes(c)) fail(`column ${c}`);
}

const NAME = /^(\d+)_(\d+)\.txt$/;

async function checkImdb(root: string, tree: Tree, options: Record<string, unknown>): Promise<void> {
  const c = await loadImdb(root, options);
  const n = c.texts.length;
  if (c.labels.length !== n || c.ratings.length !== n || c.ids.length !== n) fail('lengths differ');
  // The reviews the tree holds, per class, by id.
  const split = options.split as string;
  const limit = (options.limitPerClass as number | undefined) ?? Number.POSITIVE_INFINITY;
  const want: Array<{ label: number; id: number; rating: number }> = [];
  ['neg', 'pos'].forEach((cls, label) => {
    const files = [...tree.keys()]
      .filter(
        (k) => k.startsWith(`${split}/${cls}/`) && !k.slice(split.length + cls.length + 2).includes('/'),
      )
      .map((k) => NAME.exec(k.slice(split.length + cls.length + 2)))
      .filter((m) => m !== null)
      .map((m) => ({ label, id: Number(m[1]), rating: Number(m[2]) }))
      .sort((a, b) => a.id - b.id);
    want.push(...files.slice(0, limit));
  });
  if (want.length !== n) fail(`${n} reviews, the tree holds ${want.length}`);
  want.forEach((w, i) => {
    if (c.labels[i] !== w.label || c.ids[i] !== w.id || c.ratings[i] !== w.rating)
      fail(
        `review ${i}: label ${c.labels[i]} id ${c.ids[i]} rating ${c.ratings[i]}, file says ${w.label} ${w.id} ${w.rating}`,
      );
  });
}

async function writeTree(root: string, tree: Tree): Promise<void> {
  await mkdir(root, { recursive: true });
  for (const [rel, v] of [...tree].sort(([a], [b]) => a.split('/').length - b.split('/').length)) {
    const p = join(root, rel);
    if (v === null) await mkdir(p, { recursive: true });
    else if (v instanceof Uint8Array) await writeFile(p, v);
    else await symlink(v.link, p);
  }
}

/** Longest a case may run before it counts as a hang. */
export const CASE_LIMIT_MS = 5000;

/**
 * Runs a case in `scratch` (a directory it may fill and empties afterwards): 'loaded' for a
 * consistent result, 'rejected' for a KiokuError; any other error, an inconsistent result or a
 * case running past CASE_LIMIT_MS is thrown.
 */
export async function checkCase(c: FuzzCase, scratch: string): Promise<'loaded' | 'rejected'> {
  const path = join(scratch, `input${c.ext}`);
  const root = join(scratch, 'aclImdb');
  let timer: NodeJS.Timeout | undefined;
  try {
    if (c.input instanceof Uint8Array) {
      if (c.loader !== 'config' && c.loader !== 'vocab') await writeFile(path, c.input);
    } else if (c.loader === 'imdb') await writeTree(root, c.input);
    const run = async () => {
      if (c.loader === 'config') checkConfig(c.input as Uint8Array);
      else if (c.loader === 'model') checkModel(c.input as Map<string, Uint8Array>);
      else if (c.loader === 'vocab') checkVocab(c.input as Uint8Array);
      else if (c.loader === 'csv' || c.loader === 'jsonl') await checkText(path, c.options);
      else if (c.loader === 'series') await checkSeries(path, c.options);
      else await checkImdb(root, c.input as Tree, c.options);
    };
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${CASE_LIMIT_MS} ms`)), CASE_LIMIT_MS);
    });
    await Promise.race([run(), hang]);
    return 'loaded';
  } catch (e) {
    if (e instanceof KiokuError) return 'rejected';
    if (e instanceof InconsistentResult) throw e;
    const err = e as Error;
    throw new Error(`not a KiokuError: ${err?.name}: ${err?.message}`, { cause: e });
  } finally {
    clearTimeout(timer);
    await rm(path, { force: true });
    await rm(root, { recursive: true, force: true });
  }
}
