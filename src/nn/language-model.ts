import { linear } from '../ops/matmul.js';
import { matVecAdd } from '../ops/recurrent-step.js';
import { noGrad } from '../tensor/autograd.js';
import { DTypeError, IndexError, ShapeError, ValueError } from '../tensor/errors.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { Dropout } from './dropout.js';
import { Embedding } from './embedding.js';
import type { Cell } from './heads.js';
import { uniform_, zeros_ } from './init.js';
import { Linear } from './linear.js';
import { Module, Parameter } from './module.js';
import { GRU, LSTM, RNN } from './rnn.js';
import type { RecurrentStreamer } from './streaming.js';

/**
 * A recurrent language model, PyTorch's word_language_model `RNNModel`: Embedding → dropout →
 * RNN/LSTM/GRU (stacked, dropout between layers) → dropout → Linear to the vocabulary, the
 * output weight optionally tied to the embedding (Press & Wolf, 2017).
 *
 * inputs: (B, T) int32 token ids, state (L, B, H) (LSTM: [h, c]) → logits (B, T, V), new state.
 *
 * Sub-modules: `embedding`, the recurrent layer named after its cell (`lstm`, `gru`, `rnn`), `fc`.
 * With tied weights `fc` holds only its bias (`fc.bias`); its weight is `embedding.weight`.
 * Initialised as the PyTorch example: embedding and output weights U(−0.1, 0.1), output bias 0,
 * recurrent weights U(−1/√H, 1/√H).
 */

export interface LanguageModelConfig {
  vocabSize: number;
  /** Embedding size E (default: hiddenSize, which tied weights require). */
  embedDim?: number;
  hiddenSize?: number;
  numLayers?: number;
  cell?: Cell;
  /** Dropout on the embeddings, between recurrent layers and before the output layer. Default 0. */
  dropout?: number;
  /** Share the output weight with the embedding (needs embedDim = hiddenSize). Default false. */
  tieWeights?: boolean;
}

/** The recurrent state a language model carries: h (L, B, H), or [h, c] for an LSTM. */
export type LmState = Tensor | readonly [Tensor, Tensor];

const CELLS: readonly Cell[] = ['lstm', 'gru', 'rnn'];
const WHERE = 'LanguageModel';

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ValueError(`${WHERE}: ${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

function settingsOf(config: LanguageModelConfig): Required<LanguageModelConfig> {
  if (typeof config !== 'object' || config === null) {
    throw new ValueError(`${WHERE}: config must be an object with at least vocabSize, got ${String(config)}`);
  }
  const hiddenSize = positiveInt('hiddenSize', config.hiddenSize ?? 256);
  const s: Required<LanguageModelConfig> = {
    vocabSize: positiveInt('vocabSize', config.vocabSize),
    embedDim: positiveInt('embedDim', config.embedDim ?? hiddenSize),
    hiddenSize,
    numLayers: positiveInt('numLayers', config.numLayers ?? 1),
    cell: config.cell ?? 'lstm',
    dropout: config.dropout ?? 0,
    tieWeights: config.tieWeights ?? false,
  };
  if (!CELLS.includes(s.cell)) {
    throw new ValueError(`${WHERE}: cell must be one of ${CELLS.join(', ')}, got ${String(s.cell)}`);
  }
  if (typeof s.dropout !== 'number' || !(s.dropout >= 0 && s.dropout < 1)) {
    throw new ValueError(`${WHERE}: dropout must be a number in [0, 1), got ${String(s.dropout)}`);
  }
  if (typeof s.tieWeights !== 'boolean') {
    throw new ValueError(`${WHERE}: tieWeights must be a boolean, got ${String(s.tieWeights)}`);
  }
  if (s.tieWeights && s.embedDim !== s.hiddenSize) {
    throw new ValueError(
      `${WHERE}: tieWeights needs embedDim = hiddenSize (the output layer reuses the (V, E) embedding), got embedDim ${s.embedDim} and hiddenSize ${s.hiddenSize}`,
    );
  }
  return s;
}

/** The output layer of a tied model: the embedding's weight (not registered here) and a bias. */
class TiedLinear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;

  constructor(weight: Parameter) {
    super();
    this.weight = weight;
    this.bias = this.registerParameter(
      'bias',
      new Parameter(new Float32Array(weight.shape[0]!), [weight.shape[0]!]),
    );
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

type Recurrent = LSTM | GRU | RNN;

export class LanguageModel extends Module {
  readonly settings: Required<LanguageModelConfig>;
  readonly embedding: Embedding;
  readonly rnn: Recurrent;
  readonly dropout: Dropout | null;
  readonly fc: Linear | TiedLinear;

  constructor(config: LanguageModelConfig) {
    super();
    const s = settingsOf(config);
    this.settings = s;
    this.embedding = this.registerModule('embedding', new Embedding(s.vocabSize, s.embedDim));
    uniform_(this.embedding.weight, -0.1, 0.1);
    const options = {
      inputSize: s.embedDim,
      hiddenSize: s.hiddenSize,
      numLayers: s.numLayers,
      batchFirst: true,
      dropout: s.numLayers > 1 ? s.dropout : 0,
    };
    const rnn =
      s.cell === 'lstm' ? new LSTM(options) : s.cell === 'gru' ? new GRU(options) : new RNN(options);
    this.rnn = this.registerModule(s.cell, rnn);
    this.dropout = s.dropout > 0 ? this.registerModule('dropout', new Dropout(s.dropout)) : null;
    if (s.tieWeights) {
      this.fc = this.registerModule('fc', new TiedLinear(this.embedding.weight));
    } else {
      const fc = new Linear(s.hiddenSize, s.vocabSize);
      uniform_(fc.weight, -0.1, 0.1);
      zeros_(fc.bias!);
      this.fc = this.registerModule('fc', fc);
    }
  }

  /** inputs (B, T) int32, state from the previous chunk or null for zeros → [logits (B, T, V), state]. */
  forward(inputs: Tensor, state?: LmState | null): [Tensor, LmState] {
    this.checkInputs(inputs);
    let x = this.embedding.forward(inputs); // (B, T, E)
    if (this.dropout) x = this.dropout.forward(x);
    let out: Tensor; // (B, T, H)
    let next: LmState;
    if (this.rnn instanceof LSTM) {
      [out, next] = this.rnn.forward(x, (state as readonly [Tensor, Tensor] | null | undefined) ?? null);
    } else {
      [out, next] = this.rnn.forward(x, (state as Tensor | null | undefined) ?? null);
    }
    if (this.dropout) out = this.dropout.forward(out);
    return [this.fc.forward(out), next];
  }

  /** Token-at-a-time inference over `batch` streams (evaluation semantics: no dropout). */
  streamer(options: { batch?: number } = {}): LanguageModelStreamer {
    if (this.training && this.settings.dropout > 0) {
      throw new ValueError(
        `${WHERE}.streamer: the model is in training mode with dropout ${this.settings.dropout}, which a step does not apply; call eval() first`,
      );
    }
    return new LanguageModelStreamer(this, options.batch ?? 1);
  }

  config(): { type: 'LanguageModel' } & Required<LanguageModelConfig> {
    return { type: 'LanguageModel', ...this.settings };
  }

  static fromConfig(config: LanguageModelConfig & { type?: string }): LanguageModel {
    if (config?.type !== undefined && config.type !== 'LanguageModel') {
      throw new ValueError(
        `LanguageModel.fromConfig: config.type must be "LanguageModel", got "${config.type}"`,
      );
    }
    const { type: _type, ...rest } = config;
    return new LanguageModel(rest);
  }

  private checkInputs(inputs: Tensor): void {
    if (!(inputs instanceof Tensor) || inputs.ndim !== 2) {
      throw new ShapeError(
        `${WHERE}.forward: inputs must be a (B, T) tensor of token ids, got ${inputs instanceof Tensor ? formatShape(inputs.shape) : typeof inputs}`,
      );
    }
    if (inputs.dtype !== 'int32') {
      throw new DTypeError(`${WHERE}.forward: inputs must be int32 token ids, got ${inputs.dtype}`);
    }
  }
}

/** A state cut from the graph that produced it, to carry into the next chunk (truncated BPTT). */
export function detachState(state: LmState): LmState {
  return state instanceof Tensor ? state.detach() : [state[0].detach(), state[1].detach()];
}

/**
 * One token per stream per {@link step}: the embedding row, one recurrent step on the layer's
 * streamer, the output layer. O(1) work per token, whatever came before. At batch 1 the layer's
 * streamer keeps each token's input product from its first step (`stepTokens`), computed from the
 * weights as they are then: make a new streamer after training further.
 */
export class LanguageModelStreamer {
  readonly batch: number;
  readonly vocabSize: number;
  private readonly model: LanguageModel;
  private readonly rnn: RecurrentStreamer<Tensor | [Tensor, Tensor]>;

  constructor(model: LanguageModel, batch: number) {
    if (!Number.isInteger(batch) || batch < 1) {
      throw new ValueError(`${WHERE}.streamer: batch must be a positive integer, got ${String(batch)}`);
    }
    this.model = model;
    this.batch = batch;
    this.vocabSize = model.settings.vocabSize;
    this.rnn = model.rnn.streamer({ batch }) as RecurrentStreamer<Tensor | [Tensor, Tensor]>;
  }

  /** Feeds one token id per stream; returns the next-token logits, (B, V) row-major (a new array). */
  step(ids: ArrayLike<number>): Float32Array {
    const { batch: B, vocabSize: V } = this;
    if (ids === null || typeof ids !== 'object' || ids.length !== B) {
      throw new ShapeError(
        `${WHERE}.streamer: step needs ${B} token id(s), one per stream, got ${describe(ids)}`,
      );
    }
    for (let b = 0; b < B; b++) {
      const id = ids[b]!;
      if (!Number.isInteger(id) || id < 0 || id >= V) {
        throw new IndexError(
          `${WHERE}.streamer: token id ${id} (stream ${b}) is outside the vocabulary [0, ${V})`,
        );
      }
    }
    const h = this.rnn.stepTokens(ids, this.model.embedding.weight); // (B, H)
    const fc = this.model.fc;
    const H = h.length / B;
    if (B > 1) return noGrad(() => linear(new Tensor(h, [B, H]), fc.weight, fc.bias)).f32;
    // One stream: the output layer as one matrix-vector product, without the op's tensors.
    const logits = new Float32Array(V);
    matVecAdd(V, H, h, fc.weight.f32, fc.bias ? fc.bias.f32 : null, logits);
    return logits;
  }

  /** Starts again from zeros, or from a state as `forward` returns it (batch B). */
  reset(state?: LmState | null): void {
    this.rnn.reset(state as Tensor | [Tensor, Tensor] | null | undefined);
  }

  /** The current state, as `forward` takes it. */
  get state(): LmState {
    return this.rnn.state;
  }
}

function describe(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v);
  return `${(v as ArrayLike<number>).length} value(s)`;
}
