import { gateCount, type RecurrentKind } from '../backend/recurrent-kinds.js';
import { dropout as dropoutOp } from '../ops/dropout.js';
import { transposeEmbedded } from '../ops/embedding.js';
import {
  checkLengths,
  type FrozenRecurrent,
  freezeWeights,
  gruSequence,
  type Lengths,
  type LstmWeights,
  lstmSequence,
  rnnSequence,
} from '../ops/recurrent.js';
import { concat, reshape, split, stack, transposeDeferred, transposeScratch } from '../ops/shape.js';
import { isGradEnabled } from '../tensor/autograd.js';
import { ShapeError, ValueError } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { formatShape, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { uniform_ } from './init.js';
import { Module, Parameter } from './module.js';
import { RecurrentStreamer, type StreamerOptions } from './streaming.js';

/*
 * Multi-layer, optionally bidirectional recurrent layers with PyTorch's parameters and shapes.
 *
 * x: (T, B, E), or (B, T, E) with batchFirst
 * h0, hN: (L·D, B, R)   c0, cN (LSTM): (L·D, B, H)   R = projSize or H
 * output: (T, B, D·R), or (B, T, D·R) with batchFirst; the last dimension is [forward ‖ backward]
 *
 * Each layer and direction is one fused sequence op (src/ops/recurrent.ts); the sequence is
 * made time-major once on the way in and back once on the way out (in inference, on the output's
 * first read).
 */

export interface RecurrentOptions {
  /** Features per time step (E). */
  inputSize: number;
  /** Features of the hidden state (H). */
  hiddenSize: number;
  /** Stacked layers (L, default 1). */
  numLayers?: number;
  /** Learn b_ih and b_hh (default true). */
  bias?: boolean;
  /** x and output are (B, T, ·) instead of (T, B, ·) (default false). */
  batchFirst?: boolean;
  /** Dropout probability on each layer's output except the last, while training (default 0). */
  dropout?: number;
  /** Run a second, reversed pass per layer and concatenate (D = 2, default false). */
  bidirectional?: boolean;
  /** Generator for initialisation and inter-layer dropout (default: the global one). */
  generator?: Generator;
}

export interface RNNOptions extends RecurrentOptions {
  nonlinearity?: 'tanh' | 'relu';
}

export interface LSTMOptions extends RecurrentOptions {
  /** Project the hidden state to this many features with weight_hr (0, the default, means none). */
  projSize?: number;
}

export interface RecurrentForwardOptions {
  /**
   * Valid length of each sample of a right-padded batch (integers in [0, T]). Outputs past a
   * sample's length are 0 and its final state is the state at its last valid step; the reverse
   * direction starts at that step. Omitted: every sample runs all T steps.
   */
  lengths?: Lengths | null;
}

function checkPositiveInt(layer: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ValueError(`${layer}: ${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

function checkBool(layer: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ValueError(`${layer}: ${name} must be a boolean, got ${String(v)}`);
  return v;
}

/** Shared machinery of RNN, LSTM and GRU: parameters, validation and the layer/direction loop. */
abstract class RecurrentBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  protected readonly generator: Generator;
  /** The recurrence, PyTorch's `mode`: 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'. */
  readonly mode: RecurrentKind;
  private readonly layerName: string;
  // Each layer and direction's weights as the backend froze them (freeze()), or null.
  private frozenWeights: (FrozenRecurrent | null)[] | null = null;
  // Each parameter's requiresGrad before freeze(), which unfreeze() gives back.
  private requiredGrad: boolean[] = [];

  protected constructor(layerName: string, mode: RecurrentKind, options: RecurrentOptions, projSize: number) {
    super();
    if (typeof options !== 'object' || options === null) {
      throw new ValueError(`${layerName}: expected an options object with inputSize and hiddenSize`);
    }
    this.layerName = layerName;
    this.mode = mode;
    this.inputSize = checkPositiveInt(layerName, 'inputSize', options.inputSize);
    this.hiddenSize = checkPositiveInt(layerName, 'hiddenSize', options.hiddenSize);
    this.numLayers = checkPositiveInt(layerName, 'numLayers', options.numLayers ?? 1);
    this.bias = checkBool(layerName, 'bias', options.bias ?? true);
    this.batchFirst = checkBool(layerName, 'batchFirst', options.batchFirst ?? false);
    this.bidirectional = checkBool(layerName, 'bidirectional', options.bidirectional ?? false);
    const p = options.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new ValueError(`${layerName}: dropout must be a probability in [0, 1], got ${String(p)}`);
    }
    if (p > 0 && this.numLayers === 1) {
      throw new ValueError(
        `${layerName}: dropout ${p} acts between stacked layers and would do nothing with numLayers = 1; use numLayers > 1 or dropout 0`,
      );
    }
    this.dropout = p;
    if (!Number.isInteger(projSize) || projSize < 0 || projSize >= this.hiddenSize) {
      throw new ValueError(
        `${layerName}: projSize must be an integer in [0, hiddenSize = ${this.hiddenSize}), got ${projSize}`,
      );
    }
    this.projSize = projSize;
    this.generator = options.generator ?? defaultGenerator;

    // PyTorch's order: per layer, per direction: weight_ih, weight_hh, bias_ih, bias_hh, weight_hr.
    const G = gateCount(mode) * this.hiddenSize;
    const H = this.hiddenSize;
    const R = this.outputSize;
    const D = this.numDirections;
    const param = (shape: Shape) => new Parameter(new Float32Array(shape.reduce((a, d) => a * d, 1)), shape);
    for (let l = 0; l < this.numLayers; l++) {
      const E = l === 0 ? this.inputSize : R * D;
      for (let d = 0; d < D; d++) {
        const sfx = suffix(l, d);
        this.registerParameter(`weight_ih${sfx}`, param([G, E]));
        this.registerParameter(`weight_hh${sfx}`, param([G, R]));
        if (this.bias) {
          this.registerParameter(`bias_ih${sfx}`, param([G]));
          this.registerParameter(`bias_hh${sfx}`, param([G]));
        }
        if (projSize > 0) this.registerParameter(`weight_hr${sfx}`, param([projSize, H]));
      }
    }
    this.resetParameters();
  }

  /** Features of h: projSize when projecting, else hiddenSize (R). */
  get outputSize(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  /** 2 when bidirectional, else 1 (D). */
  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** Re-draws every parameter from U(−1/√H, 1/√H), in registration order, as PyTorch does. */
  resetParameters(generator: Generator = this.generator): void {
    this.unfreeze();
    const k = 1 / Math.sqrt(this.hiddenSize);
    for (const [, p] of this.namedParameters()) uniform_(p, -k, k, generator);
  }

  /**
   * Makes the layer inference-only, for a served model: each layer and direction's weights are
   * copied, and on the native backend packed for its products, once; a forward that records no
   * gradient then runs on that copy instead of packing W_ihᵀ and W_hhᵀ on every call (results
   * are bit-identical). The JS and WebAssembly backends prepare nothing across calls: there
   * nothing changes but `frozen`. While frozen, the parameters require no gradient (unfreeze()
   * gives each back the requiresGrad it had), and freezing drops the gradients they hold.
   *
   * A stale copy cannot be used, by construction rather than by care: a frozen forward reads
   * every weight from the copy (never the arrays it is passed), so its packs and its weights are
   * one snapshot; and every way kioku writes a layer's weights drops the copy first (unfreeze):
   * loadStateDict and setParameter (Module.weightsWritten), resetParameters, and a forward that
   * may record a gradient — an optimiser step changes only parameters with a gradient, and a
   * frozen parameter has none and gets none, not even from a graph recorded before it was frozen. Writing a
   * parameter's array directly bypasses kioku: the layer answers with the weights it froze until
   * unfreeze().
   */
  freeze(): this {
    const D = this.numDirections;
    const params = this.parameters();
    if (this.frozenWeights === null) this.requiredGrad = params.map((p) => p.requiresGrad);
    this.frozenWeights = Array.from({ length: this.numLayers * D }, (_, k) =>
      freezeWeights(this.weights(Math.floor(k / D), k % D), this.hiddenSize),
    );
    for (const p of params) {
      p.requiresGrad = false;
      p.grad = null;
    }
    return this;
  }

  /** Drops what freeze() made; each parameter requires a gradient again if it did before. */
  unfreeze(): this {
    if (this.frozenWeights === null) return this;
    this.frozenWeights = null;
    this.parameters().forEach((p, i) => {
      p.requiresGrad = this.requiredGrad[i] ?? true;
    });
    return this;
  }

  /** Whether freeze() holds (nothing has written the weights since). */
  get frozen(): boolean {
    return this.frozenWeights !== null;
  }

  protected override weightsWritten(): void {
    this.unfreeze();
  }

  /** The parameters of layer l, direction d (0 forward, 1 reverse), and their frozen copy. */
  protected weights(l: number, d: number): LstmWeights {
    const params = new Map(this.namedParameters());
    const sfx = suffix(l, d);
    return {
      weightIh: params.get(`weight_ih${sfx}`)!,
      weightHh: params.get(`weight_hh${sfx}`)!,
      biasIh: params.get(`bias_ih${sfx}`) ?? null,
      biasHh: params.get(`bias_hh${sfx}`) ?? null,
      weightHr: params.get(`weight_hr${sfx}`) ?? null,
      frozen: this.frozenWeights?.[l * this.numDirections + d] ?? null,
    };
  }

  /** A streamer over this layer's parameters (the subclasses' `streamer` states the types). */
  protected makeStreamer<S extends Tensor | readonly [Tensor, Tensor]>(
    options?: StreamerOptions,
  ): RecurrentStreamer<S> {
    const weights = Array.from({ length: this.numLayers }, (_, l) => this.weights(l, 0));
    return new RecurrentStreamer<S>(this.layerName, this, this.mode, weights, options);
  }

  /**
   * Validates the input and states, then runs every layer and direction. An unbatched 2-D
   * input (T, E) with states (L·D, R) runs as a batch of one, as in PyTorch.
   */
  protected run(
    x: Tensor,
    h0: Tensor | null | undefined,
    c0: Tensor | null | undefined,
    options: RecurrentForwardOptions,
  ): { output: Tensor; hN: Tensor; cN: Tensor | null } {
    if (!(x instanceof Tensor) || x.ndim !== 2) return this.runBatched(x, h0, c0, options);
    const name = this.layerName;
    const [T, E] = x.shape as [number, number];
    const LD = this.numLayers * this.numDirections;
    const R = this.outputSize;
    const H = this.hiddenSize;
    checkState(name, 'h0', h0, [LD, R]);
    checkState(name, 'c0', c0, [LD, H]);
    const r = this.runBatched(
      reshape(x, this.batchFirst ? [1, T, E] : [T, 1, E]),
      h0 ? reshape(h0, [LD, 1, R]) : null,
      c0 ? reshape(c0, [LD, 1, H]) : null,
      options,
    );
    return {
      output: reshape(r.output, [T, this.numDirections * R]),
      hN: reshape(r.hN, [LD, R]),
      cN: r.cN ? reshape(r.cN, [LD, H]) : null,
    };
  }

  private runBatched(
    x: Tensor,
    h0: Tensor | null | undefined,
    c0: Tensor | null | undefined,
    options: RecurrentForwardOptions,
  ): { output: Tensor; hN: Tensor; cN: Tensor | null } {
    const name = this.layerName;
    if (!(x instanceof Tensor)) throw new ValueError(`${name}: input must be a Tensor, got ${typeof x}`);
    // A forward that may record a gradient may lead to an optimiser step: the weights are live again.
    if (isGradEnabled()) this.unfreeze();
    const layout = this.batchFirst ? '(B, T, E)' : '(T, B, E)';
    if (x.ndim !== 3) {
      throw new ShapeError(
        `${name}: input must be 3-D ${layout} or unbatched 2-D (T, E), got shape ${formatShape(x.shape)}`,
      );
    }
    if (x.shape[2] !== this.inputSize) {
      throw new ShapeError(
        `${name}: input must have ${this.inputSize} features (inputSize) in its last dimension, got shape ${formatShape(x.shape)}`,
      );
    }
    const [T, B] = (this.batchFirst ? [x.shape[1], x.shape[0]] : [x.shape[0], x.shape[1]]) as [
      number,
      number,
    ];
    const lengths = options?.lengths == null ? null : checkLengths(options.lengths, B, T, `${name}: lengths`);
    const L = this.numLayers;
    const D = this.numDirections;
    const R = this.outputSize;
    const H = this.hiddenSize;
    const isLstm = this.mode === 'LSTM';
    checkState(name, 'h0', h0, [L * D, B, R]);
    if (isLstm) checkState(name, 'c0', c0, [L * D, B, H]);
    const h0s = h0 ? split(h0, 1, 0).map((t) => reshape(t, [B, R])) : null;
    const c0s = c0 ? split(c0, 1, 0).map((t) => reshape(t, [B, H])) : null;
    // Batch-first input is made time-major for the kernels; without a backward to read it later
    // (inference) the copy goes back to a pool when the layers are done. An embedding's output
    // transposed keeps the embedding's backward: the gradient goes straight to its weight.
    const embedded = this.batchFirst ? transposeEmbedded(x, 0, 1) : null;
    const timeMajor = this.batchFirst && !embedded ? transposeScratch(x, 0, 1) : null;
    let input = embedded ?? timeMajor?.tensor ?? x;
    const hNs: Tensor[] = [];
    const cNs: Tensor[] = [];
    for (let l = 0; l < L; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const k = l * D + d;
        const w = this.weights(l, d);
        const seqOptions = { lengths, reverse: d === 1 };
        const hk = h0s ? h0s[k] : null;
        if (isLstm) {
          const r = lstmSequence(input, hk, c0s ? c0s[k] : null, w, seqOptions);
          outs.push(r.output);
          hNs.push(r.hN);
          cNs.push(r.cN);
        } else if (this.mode === 'GRU') {
          const r = gruSequence(input, hk, w, seqOptions);
          outs.push(r.output);
          hNs.push(r.hN);
        } else {
          const nonlinearity = this.mode === 'RNN_RELU' ? 'relu' : 'tanh';
          const r = rnnSequence(input, hk, w, { ...seqOptions, nonlinearity });
          outs.push(r.output);
          hNs.push(r.hN);
        }
      }
      input = D === 2 ? concat(outs, 2) : outs[0]!;
      if (l < L - 1 && this.dropout > 0 && this.training) {
        input = dropoutOp(input, this.dropout, true, this.generator);
      }
    }
    timeMajor?.release();
    return {
      // Often only h_n is read: in inference the batch-first copy is made on first read.
      output: this.batchFirst ? transposeDeferred(input, 0, 1) : input,
      hN: stack(hNs, 0),
      cN: isLstm ? stack(cNs, 0) : null,
    };
  }
}

/**
 * Freezes every recurrent layer of `model` (RecurrentBase.freeze): a served model's forwards stop
 * preparing its weights on every call. Returns how many layers it froze.
 */
export function freezeRecurrentLayers(model: Module): number {
  let count = 0;
  if (model instanceof RecurrentBase) {
    model.freeze();
    count = 1;
  }
  for (const [, child] of model.namedChildren()) count += freezeRecurrentLayers(child);
  return count;
}

function suffix(l: number, d: number): string {
  return `_l${l}${d === 1 ? '_reverse' : ''}`;
}

function checkState(layer: string, what: string, s: Tensor | null | undefined, shape: Shape): void {
  if (s == null) return;
  if (!(s instanceof Tensor)) throw new ValueError(`${layer}: ${what} must be a Tensor, got ${typeof s}`);
  if (s.ndim !== shape.length || s.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(
      `${layer}: ${what} must have shape ${formatShape(shape)} (layers·directions, ${shape.length === 3 ? 'batch, ' : ''}features), got ${formatShape(s.shape)}`,
    );
  }
}

/**
 * Elman RNN, PyTorch's `nn.RNN`: h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), act = tanh or relu.
 * Parameters weight_ih_l{k}[_reverse] (H, E), weight_hh_l{k} (H, H), bias_ih_l{k}, bias_hh_l{k} (H).
 * `forward(x, h0?, { lengths })` returns [output, hN].
 */
export class RNN extends RecurrentBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(options: RNNOptions) {
    const nl = options?.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') {
      throw new ValueError(`RNN: nonlinearity must be 'tanh' or 'relu', got '${String(nl)}'`);
    }
    super('RNN', nl === 'relu' ? 'RNN_RELU' : 'RNN_TANH', options, 0);
    this.nonlinearity = nl;
  }

  forward(x: Tensor, h0?: Tensor | null, options: RecurrentForwardOptions = {}): [Tensor, Tensor] {
    const r = this.run(x, h0, null, options);
    return [r.output, r.hN];
  }

  /**
   * Step-by-step inference: `s.step(x)` takes one step's input (B, E) and returns the top layer's
   * h (B, H); `s.state` is h (L, B, H). Unidirectional layers only.
   */
  streamer(options: StreamerOptions = {}): RecurrentStreamer<Tensor> {
    return this.makeStreamer<Tensor>(options);
  }
}

/**
 * LSTM, PyTorch's `nn.LSTM`, gates packed i, f, g, o:
 * i, f, o = σ(·), g = tanh(·) of x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh; c' = f ⊙ c + i ⊙ g;
 * h' = o ⊙ tanh(c'), projected by weight_hr (P, H) when projSize = P > 0.
 * `forward(x, [h0, c0]?, { lengths })` returns [output, [hN, cN]].
 */
export class LSTM extends RecurrentBase {
  constructor(options: LSTMOptions) {
    super('LSTM', 'LSTM', options, options?.projSize ?? 0);
  }

  forward(
    x: Tensor,
    state?: readonly [Tensor, Tensor] | null,
    options: RecurrentForwardOptions = {},
  ): [Tensor, [Tensor, Tensor]] {
    if (state != null && (!Array.isArray(state) || state.length !== 2)) {
      throw new ValueError('LSTM: state must be a pair [h0, c0] of tensors (or omitted for zeros)');
    }
    const [h0, c0] = state ?? [null, null];
    if ((h0 == null) !== (c0 == null)) throw new ValueError('LSTM: state needs both h0 and c0, or neither');
    const r = this.run(x, h0, c0, options);
    return [r.output, [r.hN, r.cN!]];
  }

  /**
   * Step-by-step inference: `s.step(x)` takes one step's input (B, E) and returns the top layer's
   * h (B, R); `s.state` is [h (L, B, R), c (L, B, H)]. Unidirectional layers only.
   */
  streamer(options: StreamerOptions = {}): RecurrentStreamer<[Tensor, Tensor]> {
    return this.makeStreamer<[Tensor, Tensor]>(options);
  }
}

/**
 * GRU, PyTorch's `nn.GRU`, gates packed r, z, n:
 * r, z = σ(·); n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); h' = (1 − z) ⊙ n + z ⊙ h.
 * `forward(x, h0?, { lengths })` returns [output, hN].
 */
export class GRU extends RecurrentBase {
  constructor(options: RecurrentOptions) {
    super('GRU', 'GRU', options, 0);
  }

  forward(x: Tensor, h0?: Tensor | null, options: RecurrentForwardOptions = {}): [Tensor, Tensor] {
    const r = this.run(x, h0, null, options);
    return [r.output, r.hN];
  }

  /**
   * Step-by-step inference: `s.step(x)` takes one step's input (B, E) and returns the top layer's
   * h (B, H); `s.state` is h (L, B, H). Unidirectional layers only.
   */
  streamer(options: StreamerOptions = {}): RecurrentStreamer<Tensor> {
    return this.makeStreamer<Tensor>(options);
  }
}
