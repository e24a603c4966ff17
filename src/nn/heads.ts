import { add } from '../ops/binary.js';
import { maskedPool } from '../ops/masked-pool.js';
import { concat, reshape, slice } from '../ops/shape.js';
import { noGrad } from '../tensor/autograd.js';
import { DTypeError, ShapeError, ValueError } from '../tensor/errors.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { AttentionPooling } from './attention-pooling.js';
import { Dropout } from './dropout.js';
import { Embedding } from './embedding.js';
import { zeros_ } from './init.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { GRU, LSTM, RNN } from './rnn.js';
import { embeddingDropout, tokenDropout } from './token-dropout.js';

/**
 * Ready-made models: a text classifier (the seed's LSTMClassifier is its default), a
 * bag-of-words baseline and a sequence forecaster. Each describes itself with `config()`
 * (plain JSON, saved beside the weights) and is rebuilt by `fromConfig`.
 */

export type Cell = 'lstm' | 'gru' | 'rnn';
export type Pooling = 'last' | 'mean' | 'max' | 'max-mean' | 'attention';

const CELLS: readonly Cell[] = ['lstm', 'gru', 'rnn'];
export const POOLINGS: readonly Pooling[] = ['last', 'mean', 'max', 'max-mean', 'attention'];

function positiveInt(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ValueError(`${where}: ${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

function oneOf<T extends string>(where: string, name: string, v: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) {
    throw new ValueError(`${where}: ${name} must be one of ${allowed.join(', ')}, got ${String(v)}`);
  }
  return v as T;
}

function rate(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) {
    throw new ValueError(`${where}: ${name} must be a number in [0, 1), got ${String(v)}`);
  }
  return v;
}

type Recurrent = LSTM | GRU | RNN;

/** The bag-of-words path's table: one weight per token and class, from zero (a linear model's start). */
function zeroBag(s: Required<TextClassifierConfig>): Embedding {
  const bag = new Embedding(s.vocabSize, s.numClasses, { paddingIdx: s.paddingIdx });
  zeros_(bag.weight);
  return bag;
}

function makeRecurrent(
  cell: Cell,
  inputSize: number,
  hiddenSize: number,
  numLayers: number,
  bidirectional: boolean,
  dropout: number,
): Recurrent {
  const options = {
    inputSize,
    hiddenSize,
    numLayers,
    bidirectional,
    batchFirst: true,
    dropout: numLayers > 1 ? dropout : 0,
  };
  if (cell === 'lstm') return new LSTM(options);
  if (cell === 'gru') return new GRU(options);
  return new RNN(options);
}

/** Runs a recurrent layer; returns output (B, T, D·H) and h_n (L·D, B, H). */
function runRecurrent(rnn: Recurrent, x: Tensor, lengths: Int32Array | undefined): [Tensor, Tensor] {
  const opts = lengths ? { lengths } : {};
  if (rnn instanceof LSTM) {
    const [out, [hN]] = rnn.forward(x, undefined, opts);
    return [out, hN];
  }
  const [out, hN] = rnn.forward(x, undefined, opts);
  return [out, hN];
}

/** The top layer's final state per sample: h_n (L·D, B, H) → (B, D·H), forward ‖ backward. */
function topState(hN: Tensor, numLayers: number, directions: number): Tensor {
  const parts: Tensor[] = [];
  for (let d = 0; d < directions; d++) {
    const idx = (numLayers - 1) * directions + d;
    const [, b, h] = hN.shape as [number, number, number];
    parts.push(reshape(slice(hN, 0, idx, idx + 1), [b, h]));
  }
  return parts.length === 1 ? parts[0]! : concat(parts, 1);
}

function checkTokens(where: string, inputs: Tensor, lengths: Int32Array | undefined): Int32Array {
  if (!(inputs instanceof Tensor) || inputs.ndim !== 2) {
    throw new ShapeError(
      `${where}: inputs must be a (B, T) tensor of token ids, got ${inputs instanceof Tensor ? formatShape(inputs.shape) : typeof inputs}`,
    );
  }
  if (inputs.dtype !== 'int32')
    throw new DTypeError(`${where}: inputs must be int32 token ids, got ${inputs.dtype}`);
  const [b, t] = inputs.shape as [number, number];
  if (lengths === undefined) return new Int32Array(b).fill(t);
  if (!(lengths instanceof Int32Array) || lengths.length !== b) {
    throw new ShapeError(
      `${where}: lengths must be an Int32Array of ${b} values (one per sample), got ${lengths instanceof Int32Array ? lengths.length : typeof lengths}`,
    );
  }
  for (let i = 0; i < b; i++) {
    if (lengths[i]! < 1 || lengths[i]! > t) {
      throw new ValueError(`${where}: lengths[${i}] must be in [1, ${t}], got ${lengths[i]}`);
    }
  }
  return lengths;
}

/** Mean of x (B, T, F) over each sample's first lengths[b] steps → (B, F). */
function maskedMean(x: Tensor, lengths: Int32Array): Tensor {
  return maskedPool(x, lengths, 'mean');
}

/** Max of x (B, T, F) over each sample's valid steps → (B, F). */
function maskedMax(x: Tensor, lengths: Int32Array): Tensor {
  return maskedPool(x, lengths, 'max');
}

export interface TextClassifierConfig {
  vocabSize: number;
  embedDim?: number;
  hiddenSize?: number;
  numLayers?: number;
  cell?: Cell;
  bidirectional?: boolean;
  /** Dropout between recurrent layers and before the output layer. */
  dropout?: number;
  pooling?: Pooling;
  numClasses?: number;
  paddingIdx?: number;
  /** Training only: each token becomes `<unk>` (id `unkId`) with this probability. Default 0. */
  tokenDropout?: number;
  /** Training only: each word of a batch reads zeros with this probability (whole embedding rows). Default 0. */
  embedDropout?: number;
  /** The id a dropped token becomes. Default 1, the vocabulary's `<unk>`. */
  unkId?: number;
  /**
   * A linear bag-of-words path beside the recurrent one (wide and deep): one weight per token and
   * class (`bag`, an embedding of width numClasses, starting at zero), averaged over the valid
   * steps and added to the logits. Default false.
   */
  bagOfWords?: boolean;
}

/** Settings left out of `config()` at these values, so models without them keep their config. */
const OPTIONAL_SETTINGS = { tokenDropout: 0, embedDropout: 0, unkId: 1, bagOfWords: false } as const;
type OptionalSetting = keyof typeof OPTIONAL_SETTINGS;

/** What `TextClassifier.config()` returns: the settings, those of OPTIONAL_SETTINGS only when set. */
export type TextClassifierArchitecture = { type: 'TextClassifier' } & Omit<
  Required<TextClassifierConfig>,
  OptionalSetting
> &
  Partial<Pick<Required<TextClassifierConfig>, OptionalSetting>>;

/**
 * Embedding → RNN/LSTM/GRU → pooling → Linear. inputs: (B, T) int32 token ids, right-padded;
 * lengths: (B,) valid steps per sample → logits (B, O).
 * Pooling 'last' takes h_n at each sample's last valid step (forward ‖ backward when
 * bidirectional); 'mean' and 'max' pool the top layer's outputs over the valid steps, and
 * 'max-mean' concatenates the two (2·D·H features: the max keeps the most telling step, the mean
 * lets the whole text count), and 'attention' weighs them by learned additive attention over the
 * valid steps (`attention`).
 * Sub-modules are `embedding`, the recurrent layer named after its cell (`lstm`, `gru`, `rnn`)
 * and `fc`, so the default model's state dict has the seed's PyTorch keys.
 */
export class TextClassifier extends Module {
  readonly settings: Required<TextClassifierConfig>;
  readonly embedding: Embedding;
  readonly rnn: Recurrent;
  readonly dropout: Dropout | null;
  readonly attention: AttentionPooling | null;
  readonly fc: Linear;
  readonly bag: Embedding | null;

  constructor(config: TextClassifierConfig) {
    super();
    const where = 'TextClassifier';
    if (typeof config !== 'object' || config === null) {
      throw new ValueError(
        `${where}: config must be an object with at least vocabSize, got ${String(config)}`,
      );
    }
    const s: Required<TextClassifierConfig> = {
      vocabSize: positiveInt(where, 'vocabSize', config.vocabSize),
      embedDim: positiveInt(where, 'embedDim', config.embedDim ?? 128),
      hiddenSize: positiveInt(where, 'hiddenSize', config.hiddenSize ?? 64),
      numLayers: positiveInt(where, 'numLayers', config.numLayers ?? 1),
      cell: oneOf(where, 'cell', config.cell ?? 'lstm', CELLS),
      bidirectional: config.bidirectional ?? false,
      dropout: rate(where, 'dropout', config.dropout ?? 0),
      pooling: oneOf(where, 'pooling', config.pooling ?? 'last', POOLINGS),
      numClasses: positiveInt(where, 'numClasses', config.numClasses ?? 2),
      paddingIdx: config.paddingIdx ?? 0,
      tokenDropout: rate(where, 'tokenDropout', config.tokenDropout ?? 0),
      embedDropout: rate(where, 'embedDropout', config.embedDropout ?? 0),
      unkId: config.unkId ?? 1,
      bagOfWords: config.bagOfWords ?? false,
    };
    if (!Number.isInteger(s.unkId) || s.unkId < 0 || s.unkId >= s.vocabSize) {
      throw new ValueError(
        `${where}: unkId must be an integer in [0, ${s.vocabSize}), got ${String(s.unkId)}`,
      );
    }
    for (const key of ['bidirectional', 'bagOfWords'] as const) {
      if (typeof s[key] !== 'boolean') {
        throw new ValueError(`${where}: ${key} must be a boolean, got ${String(s[key])}`);
      }
    }
    if (s.numClasses < 2)
      throw new ValueError(`${where}: numClasses must be at least 2, got ${s.numClasses}`);
    this.settings = s;
    this.embedding = this.registerModule(
      'embedding',
      new Embedding(s.vocabSize, s.embedDim, { paddingIdx: s.paddingIdx }),
    );
    this.rnn = this.registerModule(
      s.cell,
      makeRecurrent(s.cell, s.embedDim, s.hiddenSize, s.numLayers, s.bidirectional, s.dropout),
    );
    this.dropout = s.dropout > 0 ? this.registerModule('dropout', new Dropout(s.dropout)) : null;
    const features = s.hiddenSize * (s.bidirectional ? 2 : 1);
    const pooledFeatures = s.pooling === 'max-mean' ? 2 * features : features;
    this.attention =
      s.pooling === 'attention'
        ? this.registerModule('attention', new AttentionPooling({ inputSize: features }))
        : null;
    this.fc = this.registerModule('fc', new Linear(pooledFeatures, s.numClasses));
    this.bag = s.bagOfWords ? this.registerModule('bag', zeroBag(s)) : null;
  }

  forward(inputs: Tensor, lengths?: Int32Array): Tensor {
    const lens = checkTokens('TextClassifier.forward', inputs, lengths);
    const ids = this.dropTokens(inputs);
    const x = this.embed(ids); // (B, T, E)
    const [out, hN] = runRecurrent(this.rnn, x, lengths === undefined ? undefined : lens);
    let pooled = this.pool(out, hN, lens); // (B, D·H), or (B, 2·D·H) for max-mean
    if (this.dropout) pooled = this.dropout.forward(pooled);
    const logits = this.fc.forward(pooled);
    return this.bag ? add(logits, maskedMean(this.bag.forward(ids), lens)) : logits;
  }

  /** The token ids the model reads: with word dropout while training. */
  private dropTokens(inputs: Tensor): Tensor {
    const s = this.settings;
    if (!this.training) return inputs;
    return tokenDropout(inputs, s.tokenDropout, { unkId: s.unkId, paddingIdx: s.paddingIdx });
  }

  /** The token embeddings, with embedding dropout while training. */
  private embed(ids: Tensor): Tensor {
    const x = this.embedding.forward(ids);
    return this.training ? embeddingDropout(x, ids, this.settings.embedDropout) : x;
  }

  /** The recurrent outputs (B, T, D·H) summed up per sample as `pooling` says. */
  private pool(out: Tensor, hN: Tensor, lens: Int32Array): Tensor {
    const s = this.settings;
    if (s.pooling === 'last') return topState(hN, s.numLayers, s.bidirectional ? 2 : 1);
    if (s.pooling === 'mean') return maskedMean(out, lens);
    if (s.pooling === 'max-mean') return concat([maskedMax(out, lens), maskedMean(out, lens)], 1);
    if (this.attention) return this.attention.forward(out, lens);
    return maskedMax(out, lens);
  }

  config(): TextClassifierArchitecture {
    const settings: Partial<Required<TextClassifierConfig>> = { ...this.settings };
    for (const [key, neutral] of Object.entries(OPTIONAL_SETTINGS)) {
      if (settings[key as OptionalSetting] === neutral) delete settings[key as OptionalSetting];
    }
    return { type: 'TextClassifier', ...(settings as Omit<Required<TextClassifierConfig>, OptionalSetting>) };
  }

  static fromConfig(config: TextClassifierConfig & { type?: string }): TextClassifier {
    if (config?.type !== undefined && config.type !== 'TextClassifier') {
      throw new ValueError(
        `TextClassifier.fromConfig: config.type must be "TextClassifier", got "${config.type}"`,
      );
    }
    const { type: _type, ...rest } = config;
    return new TextClassifier(rest);
  }
}

export interface BagOfWordsConfig {
  vocabSize: number;
  embedDim?: number;
  numClasses?: number;
  paddingIdx?: number;
}

/**
 * Baseline: the mean of the tokens' embeddings → Linear. inputs (B, T) int32, lengths (B,)
 * → logits (B, O). Word order is ignored, which is what makes it a baseline.
 */
export class BagOfWordsClassifier extends Module {
  readonly settings: Required<BagOfWordsConfig>;
  readonly embedding: Embedding;
  readonly fc: Linear;

  constructor(config: BagOfWordsConfig) {
    super();
    const where = 'BagOfWordsClassifier';
    if (typeof config !== 'object' || config === null) {
      throw new ValueError(
        `${where}: config must be an object with at least vocabSize, got ${String(config)}`,
      );
    }
    this.settings = {
      vocabSize: positiveInt(where, 'vocabSize', config.vocabSize),
      embedDim: positiveInt(where, 'embedDim', config.embedDim ?? 64),
      numClasses: positiveInt(where, 'numClasses', config.numClasses ?? 2),
      paddingIdx: config.paddingIdx ?? 0,
    };
    const s = this.settings;
    this.embedding = this.registerModule(
      'embedding',
      new Embedding(s.vocabSize, s.embedDim, { paddingIdx: s.paddingIdx }),
    );
    this.fc = this.registerModule('fc', new Linear(s.embedDim, s.numClasses));
  }

  forward(inputs: Tensor, lengths?: Int32Array): Tensor {
    const lens = checkTokens('BagOfWordsClassifier.forward', inputs, lengths);
    return this.fc.forward(maskedMean(this.embedding.forward(inputs), lens));
  }

  config(): { type: 'BagOfWordsClassifier' } & Required<BagOfWordsConfig> {
    return { type: 'BagOfWordsClassifier', ...this.settings };
  }

  static fromConfig(config: BagOfWordsConfig & { type?: string }): BagOfWordsClassifier {
    if (config?.type !== undefined && config.type !== 'BagOfWordsClassifier') {
      throw new ValueError(
        `BagOfWordsClassifier.fromConfig: config.type must be "BagOfWordsClassifier", got "${config.type}"`,
      );
    }
    const { type: _type, ...rest } = config;
    return new BagOfWordsClassifier(rest);
  }
}

export interface SequenceForecasterConfig {
  /** Features per time step (E). */
  inputSize: number;
  hiddenSize?: number;
  numLayers?: number;
  cell?: Cell;
  /** Steps predicted per call. */
  horizon?: number;
  /** Values predicted per step (O); default 1. */
  outputSize?: number;
  dropout?: number;
}

export interface ForecastOptions {
  /**
   * For inputs wider than the outputs: the input column each output feeds back into.
   * Other columns carry their last observed value forward. Default: output k → column k
   * when inputSize equals outputSize.
   */
  targetColumns?: readonly number[];
  /**
   * Fills in what is known ahead for future step k (0-based) of the new input row, e.g.
   * calendar columns; called after the predictions and carried values are in place. `sample`
   * is the row's index in the batch.
   */
  nextInputs?: (step: number, row: Float32Array, sample: number) => void;
}

/**
 * Window → RNN/LSTM/GRU → Linear to the horizon. x: (B, T, E) → (B, horizon·O), laid out
 * step by step ((B, horizon, O) flattened). Sub-modules: the recurrent layer named after its
 * cell, then `fc`.
 */
export class SequenceForecaster extends Module {
  readonly settings: Required<SequenceForecasterConfig>;
  readonly rnn: Recurrent;
  readonly dropout: Dropout | null;
  readonly fc: Linear;

  constructor(config: SequenceForecasterConfig) {
    super();
    const where = 'SequenceForecaster';
    if (typeof config !== 'object' || config === null) {
      throw new ValueError(
        `${where}: config must be an object with at least inputSize, got ${String(config)}`,
      );
    }
    const s: Required<SequenceForecasterConfig> = {
      inputSize: positiveInt(where, 'inputSize', config.inputSize),
      hiddenSize: positiveInt(where, 'hiddenSize', config.hiddenSize ?? 64),
      numLayers: positiveInt(where, 'numLayers', config.numLayers ?? 1),
      cell: oneOf(where, 'cell', config.cell ?? 'lstm', CELLS),
      horizon: positiveInt(where, 'horizon', config.horizon ?? 1),
      outputSize: positiveInt(where, 'outputSize', config.outputSize ?? 1),
      dropout: rate(where, 'dropout', config.dropout ?? 0),
    };
    this.settings = s;
    this.rnn = this.registerModule(
      s.cell,
      makeRecurrent(s.cell, s.inputSize, s.hiddenSize, s.numLayers, false, s.dropout),
    );
    this.dropout = s.dropout > 0 ? this.registerModule('dropout', new Dropout(s.dropout)) : null;
    this.fc = this.registerModule('fc', new Linear(s.hiddenSize, s.horizon * s.outputSize));
  }

  forward(x: Tensor): Tensor {
    const s = this.settings;
    if (!(x instanceof Tensor) || x.ndim !== 3 || x.shape[2] !== s.inputSize) {
      throw new ShapeError(
        `SequenceForecaster.forward: x must be (B, T, ${s.inputSize}), got ${x instanceof Tensor ? formatShape(x.shape) : typeof x}`,
      );
    }
    const [, hN] = runRecurrent(this.rnn, x, undefined);
    let last = topState(hN, s.numLayers, 1);
    if (this.dropout) last = this.dropout.forward(last);
    return this.fc.forward(last);
  }

  /**
   * Predicts `steps` future steps from the window x: (B, T, E) → (B, steps, O). Each call
   * predicts `horizon` steps; they are appended to the window (dropping its oldest steps)
   * and fed back until `steps` are known.
   */
  forecast(x: Tensor, steps: number, options: ForecastOptions = {}): Tensor {
    const s = this.settings;
    positiveInt('SequenceForecaster.forecast', 'steps', steps);
    if (!(x instanceof Tensor) || x.ndim !== 3 || x.shape[2] !== s.inputSize) {
      throw new ShapeError(
        `SequenceForecaster.forecast: x must be (B, T, ${s.inputSize}), got ${x instanceof Tensor ? formatShape(x.shape) : typeof x}`,
      );
    }
    const columns =
      options.targetColumns ?? (s.inputSize === s.outputSize ? [...Array(s.outputSize).keys()] : null);
    if (steps > s.horizon && columns === null) {
      throw new ValueError(
        `SequenceForecaster.forecast: steps ${steps} > horizon ${s.horizon} needs targetColumns when inputSize (${s.inputSize}) differs from outputSize (${s.outputSize})`,
      );
    }
    if (
      columns &&
      (columns.length !== s.outputSize ||
        columns.some((c) => !Number.isInteger(c) || c < 0 || c >= s.inputSize))
    ) {
      throw new ValueError(
        `SequenceForecaster.forecast: targetColumns must list ${s.outputSize} column indices in [0, ${s.inputSize}), got [${columns.join(', ')}]`,
      );
    }
    const [b, t, e] = x.shape as [number, number, number];
    const o = s.outputSize;
    const window = x.f32.slice();
    const out = new Float32Array(b * steps * o);
    const wasTraining = this.training;
    this.eval();
    try {
      let done = 0;
      while (done < steps) {
        const pred = noGrad(() => this.forward(new Tensor(window, [b, t, e]))).f32; // (B, horizon·O)
        const take = Math.min(s.horizon, steps - done);
        for (let i = 0; i < b; i++) {
          for (let k = 0; k < take; k++) {
            for (let j = 0; j < o; j++)
              out[(i * steps + done + k) * o + j] = pred[(i * s.horizon + k) * o + j]!;
          }
        }
        done += take;
        if (done < steps && columns) {
          // Shift each window left by `take` steps and append the predicted rows.
          for (let i = 0; i < b; i++) {
            const base = i * t * e;
            for (let k = 0; k < take; k++) {
              const last = window.slice(base + (t - 1) * e, base + t * e);
              window.copyWithin(base, base + e, base + t * e);
              for (let j = 0; j < o; j++) last[columns[j]!] = pred[(i * s.horizon + k) * o + j]!;
              options.nextInputs?.(done - take + k, last, i);
              window.set(last, base + (t - 1) * e);
            }
          }
        }
      }
    } finally {
      this.train(wasTraining);
    }
    return new Tensor(out, [b, steps, o]);
  }

  config(): { type: 'SequenceForecaster' } & Required<SequenceForecasterConfig> {
    return { type: 'SequenceForecaster', ...this.settings };
  }

  static fromConfig(config: SequenceForecasterConfig & { type?: string }): SequenceForecaster {
    if (config?.type !== undefined && config.type !== 'SequenceForecaster') {
      throw new ValueError(
        `SequenceForecaster.fromConfig: config.type must be "SequenceForecaster", got "${config.type}"`,
      );
    }
    const { type: _type, ...rest } = config;
    return new SequenceForecaster(rest);
  }
}

/** Any head rebuilt from its `config()`. */
export function modelFromConfig(
  config: { type?: unknown } & Record<string, unknown>,
): TextClassifier | BagOfWordsClassifier | SequenceForecaster {
  switch (config?.type) {
    case 'TextClassifier':
      return TextClassifier.fromConfig(config as unknown as TextClassifierConfig);
    case 'BagOfWordsClassifier':
      return BagOfWordsClassifier.fromConfig(config as unknown as BagOfWordsConfig);
    case 'SequenceForecaster':
      return SequenceForecaster.fromConfig(config as unknown as SequenceForecasterConfig);
    default:
      throw new ValueError(
        `modelFromConfig: config.type must be TextClassifier, BagOfWordsClassifier or SequenceForecaster, got ${String(config?.type)}`,
      );
  }
}
