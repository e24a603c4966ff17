/**
 * What config.json's "architecture" means for the heads kioku ships (TextClassifier,
 * BagOfWordsClassifier, SequenceForecaster, see nn/heads.ts): every field checked against sane
 * limits, and the exact weight names and shapes it implies. A config can so be compared with the
 * weights file's header before any module is built: a hidden size of 20000 would otherwise
 * allocate gigabytes first. Other architecture types (a user's own Module) are left to
 * loadWeightsInto. Errors go through `fail(message)`; messages name the config field.
 */
import { formatShape } from '../tensor/shape.js';
import { isJsonObject } from './json-strict.js';

type Fail = (message: string) => Error;
type Cell = 'lstm' | 'gru' | 'rnn';

/** Upper limits for a loaded architecture: far above any model kioku trains, far below what overflows. */
export const ARCHITECTURE_LIMITS = { size: 16_777_216, numLayers: 1024 } as const;

/** Gates per cell: rows of weight_ih are gates × hiddenSize. */
const GATES: Record<Cell, number> = { lstm: 4, gru: 3, rnn: 1 };

/** The sizes of a known head, defaults filled in as its constructor does. */
export interface HeadSettings {
  type: 'TextClassifier' | 'BagOfWordsClassifier' | 'SequenceForecaster';
  /** Embedding rows (classifiers). */
  vocabSize?: number;
  /** Outputs of a classifier: one per label. */
  numClasses?: number;
  /** Features per step (forecaster). */
  inputSize?: number;
  /** Steps predicted per call (forecaster). */
  horizon?: number;
  /** Weight name → shape. */
  shapes: Map<string, number[]>;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

/** Reads the fields of `arch`, applying defaults and limits; each error names "architecture.<field>". */
function fieldReader(arch: Record<string, unknown>, fail: Fail) {
  const field = (name: string) => `field "architecture.${name}"`;
  const size = (name: string, fallback?: number, limit: number = ARCHITECTURE_LIMITS.size): number => {
    const v = arch[name] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw fail(`${field(name)} must be a positive integer, got ${describe(v)}`);
    }
    if (v > limit) throw fail(`${field(name)} is ${v}, more than kioku's limit of ${limit}`);
    return v;
  };
  const choice = <T extends string>(name: string, fallback: T, allowed: readonly T[]): T => {
    const v = arch[name] ?? fallback;
    if (!allowed.includes(v as T)) {
      throw fail(`${field(name)} must be one of ${allowed.join(', ')}, got ${describe(v)}`);
    }
    return v as T;
  };
  const flag = (name: string): boolean => {
    const v = arch[name] ?? false;
    if (typeof v !== 'boolean') throw fail(`${field(name)} must be true or false, got ${describe(v)}`);
    return v;
  };
  const rate = (name: string): void => {
    const v = arch[name] ?? 0;
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) {
      throw fail(`${field(name)} must be a number in [0, 1), got ${describe(v)}`);
    }
  };
  const paddingIdx = (vocabSize: number): void => {
    const v = arch.paddingIdx ?? 0;
    if (v === null) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -vocabSize || v >= vocabSize) {
      throw fail(
        `${field('paddingIdx')} must be an integer in [${-vocabSize}, ${vocabSize}) or null, got ${describe(v)}`,
      );
    }
  };
  return { size, choice, flag, rate, paddingIdx };
}

/** Weight shapes of a recurrent layer named `prefix` (PyTorch's names, bias on). */
function recurrentShapes(
  out: Map<string, number[]>,
  prefix: string,
  cell: Cell,
  inputSize: number,
  hiddenSize: number,
  numLayers: number,
  directions: number,
): void {
  const g = GATES[cell] * hiddenSize;
  for (let l = 0; l < numLayers; l++) {
    const e = l === 0 ? inputSize : hiddenSize * directions;
    for (let d = 0; d < directions; d++) {
      const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
      out.set(`${prefix}.weight_ih${sfx}`, [g, e]);
      out.set(`${prefix}.weight_hh${sfx}`, [g, hiddenSize]);
      out.set(`${prefix}.bias_ih${sfx}`, [g]);
      out.set(`${prefix}.bias_hh${sfx}`, [g]);
    }
  }
}

const CELLS: readonly Cell[] = ['lstm', 'gru', 'rnn'];

/**
 * The settings and weight shapes `architecture` implies, or null when its type is not one of
 * kioku's heads. Throws through `fail` for a missing, mistyped or oversized field.
 */
export function headSettings(arch: Record<string, unknown>, fail: Fail): HeadSettings | null {
  const f = fieldReader(arch, fail);
  const shapes = new Map<string, number[]>();
  switch (arch.type) {
    case 'TextClassifier': {
      const vocabSize = f.size('vocabSize');
      const embedDim = f.size('embedDim', 128);
      const hiddenSize = f.size('hiddenSize', 64);
      const numLayers = f.size('numLayers', 1, ARCHITECTURE_LIMITS.numLayers);
      const cell = f.choice('cell', 'lstm', CELLS);
      const directions = f.flag('bidirectional') ? 2 : 1;
      f.rate('dropout');
      const pooling = f.choice('pooling', 'last', ['last', 'mean', 'max', 'max-mean', 'attention']);
      const numClasses = f.size('numClasses', 2);
      f.paddingIdx(vocabSize);
      shapes.set('embedding.weight', [vocabSize, embedDim]);
      recurrentShapes(shapes, cell, cell, embedDim, hiddenSize, numLayers, directions);
      if (pooling === 'attention') {
        const features = hiddenSize * directions;
        shapes.set('attention.proj.weight', [features, features]);
        shapes.set('attention.proj.bias', [features]);
        shapes.set('attention.score.weight', [1, features]);
      }
      shapes.set('fc.weight', [numClasses, hiddenSize * directions * (pooling === 'max-mean' ? 2 : 1)]);
      shapes.set('fc.bias', [numClasses]);
      if (f.flag('bagOfWords')) shapes.set('bag.weight', [vocabSize, numClasses]);
      return { type: arch.type, vocabSize, numClasses, shapes };
    }
    case 'BagOfWordsClassifier': {
      const vocabSize = f.size('vocabSize');
      const embedDim = f.size('embedDim', 64);
      const numClasses = f.size('numClasses', 2);
      f.paddingIdx(vocabSize);
      shapes.set('embedding.weight', [vocabSize, embedDim]);
      shapes.set('fc.weight', [numClasses, embedDim]);
      shapes.set('fc.bias', [numClasses]);
      return { type: arch.type, vocabSize, numClasses, shapes };
    }
    case 'SequenceForecaster': {
      const inputSize = f.size('inputSize');
      const hiddenSize = f.size('hiddenSize', 64);
      const numLayers = f.size('numLayers', 1, ARCHITECTURE_LIMITS.numLayers);
      const cell = f.choice('cell', 'lstm', CELLS);
      const horizon = f.size('horizon', 1);
      const outputSize = f.size('outputSize', 1);
      f.rate('dropout');
      recurrentShapes(shapes, cell, cell, inputSize, hiddenSize, numLayers, 1);
      shapes.set('fc.weight', [horizon * outputSize, hiddenSize]);
      shapes.set('fc.bias', [horizon * outputSize]);
      return { type: arch.type, inputSize, horizon, shapes };
    }
    default:
      return null;
  }
}

const FLOAT_DTYPES = new Set(['F32', 'F64', 'F16', 'BF16']);

/** The first few items of a list, and how many more there are. */
function some(items: string[], n = 4): string {
  return items.length <= n
    ? items.join('; ')
    : `${items.slice(0, n).join('; ')}; and ${items.length - n} more`;
}

/**
 * Checks that the weights (name → dtype and shape, from the file's header) are exactly those
 * `settings` implies: every name present with its shape and a floating-point dtype, nothing else.
 * `weightsPath` names the weights file in the message.
 */
export function checkWeightShapes(
  settings: HeadSettings,
  weights: ReadonlyMap<string, { dtype: string; shape: readonly number[] }>,
  weightsPath: string,
  fail: Fail,
): void {
  const problems: string[] = [];
  const missing: string[] = [];
  for (const [name, shape] of settings.shapes) {
    const t = weights.get(name);
    if (t === undefined) missing.push(name);
    else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      problems.push(`${name} is ${formatShape(t.shape)} there, the config needs ${formatShape(shape)}`);
    } else if (!FLOAT_DTYPES.has(t.dtype)) {
      problems.push(`${name} is ${t.dtype}, weights must be floating point`);
    }
  }
  const unexpected = [...weights.keys()].filter((name) => !settings.shapes.has(name));
  if (missing.length) problems.push(`missing: ${some(missing)}`);
  if (unexpected.length) problems.push(`not in this architecture: ${some(unexpected)}`);
  if (problems.length) {
    throw fail(
      `field "architecture" (${settings.type}) does not match the weights in "${weightsPath}": ${some(problems)}`,
    );
  }
}

/** The length of `value[key]` when it is a list, checking that it is one; undefined when absent. */
function listLength(parent: unknown, key: string, where: string, fail: Fail): number | undefined {
  if (!isJsonObject(parent) || parent[key] === undefined) return undefined;
  const v = parent[key];
  if (!Array.isArray(v)) throw fail(`field "${where}" must be a list, got ${describe(v)}`);
  return v.length;
}

function expectLength(n: number | undefined, want: number, what: string, against: string, fail: Fail): void {
  if (n !== undefined && n !== want)
    throw fail(`field "${what}" has ${n} entries but ${against}; they must agree`);
}

/**
 * Checks the fields that must agree with the architecture: a classifier's labels (one per
 * output) and vocabulary (every token id below vocabSize); a forecaster's columns, target index,
 * horizon and scaler (one entry per input feature).
 */
export function checkConfigConsistency(
  config: Record<string, unknown>,
  settings: HeadSettings,
  fail: Fail,
): void {
  if (settings.numClasses !== undefined && Array.isArray(config.labels)) {
    const n = config.labels.length;
    if (n !== settings.numClasses) {
      throw fail(
        `field "labels" lists ${n} labels but field "architecture.numClasses" is ${settings.numClasses}; they must agree (one output per label)`,
      );
    }
    const counts = listLength(config, 'labelCounts', 'labelCounts', fail);
    expectLength(counts, n, 'labelCounts', `"labels" lists ${n}`, fail);
  }
  if (settings.vocabSize !== undefined) {
    const tokens = listLength(config.vocab, 'tokens', 'vocab.tokens', fail);
    if (tokens !== undefined && tokens > settings.vocabSize) {
      throw fail(
        `field "vocab.tokens" holds ${tokens} tokens but field "architecture.vocabSize" is ${settings.vocabSize}; every token id must be below vocabSize`,
      );
    }
  }
  if (settings.inputSize !== undefined) checkSeries(config, settings.inputSize, settings.horizon!, fail);
}

function checkSeries(config: Record<string, unknown>, inputSize: number, horizon: number, fail: Fail): void {
  const against = `field "architecture.inputSize" is ${inputSize}`;
  const series = config.series;
  expectLength(
    listLength(series, 'columns', 'series.columns', fail),
    inputSize,
    'series.columns',
    against,
    fail,
  );
  expectLength(
    listLength(config.scaler, 'shift', 'scaler.shift', fail),
    inputSize,
    'scaler.shift',
    against,
    fail,
  );
  expectLength(
    listLength(config.scaler, 'scale', 'scaler.scale', fail),
    inputSize,
    'scaler.scale',
    against,
    fail,
  );
  if (!isJsonObject(series)) return;
  const t = series.targetIndex;
  if (t !== undefined && !(Number.isInteger(t) && (t as number) >= 0 && (t as number) < inputSize)) {
    throw fail(
      `field "series.targetIndex" must be an integer in [0, ${inputSize}) (${against}), got ${describe(t)}`,
    );
  }
  if (series.horizon !== undefined && series.horizon !== horizon) {
    throw fail(
      `field "series.horizon" is ${describe(series.horizon)} but field "architecture.horizon" is ${horizon}; they must agree`,
    );
  }
  const lookback = series.lookback;
  if (lookback !== undefined && !(Number.isSafeInteger(lookback) && (lookback as number) >= 1)) {
    throw fail(`field "series.lookback" must be a positive integer, got ${describe(lookback)}`);
  }
  const values = listLength(series.tail, 'values', 'series.tail.values', fail);
  if (typeof lookback === 'number' && values !== undefined) {
    expectLength(
      values,
      lookback * inputSize,
      'series.tail.values',
      `"series.lookback" × "architecture.inputSize" is ${lookback * inputSize}`,
      fail,
    );
  }
}
