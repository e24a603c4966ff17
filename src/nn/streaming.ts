import { gateCount, type RecurrentKind, recurrentKind } from '../backend/recurrent-kinds.js';
import type { LstmWeights } from '../ops/recurrent.js';
import { matVecAdd, PreparedStep, type StepBuffers, type StepWeights } from '../ops/recurrent-step.js';
import { DTypeError, IndexError, ShapeError, ValueError } from '../tensor/errors.js';
import { formatShape, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/*
 * Step-by-step inference through a unidirectional RNN, LSTM or GRU: one call per time step, for
 * streams whose inputs arrive one at a time (sensors, token-by-token generation).
 *
 * x: (B, E) per step → h of the top layer: (B, R)    state: h (L, B, R), c (L, B, H) for LSTM
 *
 * Each step runs the layer's fused sequence kernel with T = 1 on buffers allocated once, so a step
 * allocates no tensors and records no autograd graph. The step's input is copied into one of them:
 * the kernel then sees the same arrays at every step, so each layer's call is made once
 * (ops/recurrent-step.ts's PreparedStep), and the native backend reads and checks its arguments
 * once per stream (src/backend/native/bound.ts) whatever array the caller passes. The numbers are those of
 * `layer.forward` over the whole sequence (within float32 rounding: a kernel may sum in another
 * order for T = 1).
 *
 * Token inputs (`stepTokens`: an embedding row per sample, as an Embedding in front of the layer
 * gives): at batch 1 the first layer's input product W_ih·E[v] + b_ih depends on the token v
 * alone, so it is computed at v's first step, kept, and handed to later steps of v in place of
 * b_ih with no input (E = 0): such a step reads W_hh alone instead of W_ih and W_hh. The kept rows
 * take V·G floats (one array, made when the streamer first steps on the embedding; each row is
 * computed at its token's first step), and a streamer keeps them only while that is at most
 * TOKEN_TABLE_MAX_BYTES and E is at least TOKEN_TABLE_MIN_INPUT (otherwise, and at batch > 1,
 * steps gather the embedding rows as inputs).
 */

/** The most memory a streamer spends on its kept input products (V·G floats); beyond, it keeps none. */
export const TOKEN_TABLE_MAX_BYTES = 32 * 2 ** 20;

/**
 * The fewest input features for which a streamer keeps input products: with fewer, reading W_ih
 * (E·G floats, in cache) costs no more than fetching a kept row from memory (at H 64 and 5000
 * tokens the two were even at E 32, and the kept rows slower at E 1–16).
 */
export const TOKEN_TABLE_MIN_INPUT = 32;

// The input of a step given its input product: E = 0, no x and an empty W_ih.
const NO_INPUT = new Float32Array(0);

/** The recurrence a layer runs (the kinds of src/backend/recurrent-kinds.ts). */
export type RecurrentMode = RecurrentKind;

export interface StreamerOptions {
  /** Samples stepped together (B, default 1). */
  batch?: number;
}

/** What a streamer reads from its layer; the layer's parameters are read at every step. */
export interface StreamableLayer {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly projSize: number;
  readonly bidirectional: boolean;
  readonly dropout: number;
  readonly training: boolean;
}

/**
 * Runs a recurrent layer one time step per {@link RecurrentStreamer.step} call. `S` is the layer's
 * state as `forward` returns it: `[h, c]` for LSTM, `h` for RNN and GRU. Made by the layers'
 * `streamer()` method.
 */
export class RecurrentStreamer<S extends Tensor | readonly [Tensor, Tensor]> {
  /** Samples per step (B). */
  readonly batch: number;
  /** Features of each step's input (E). */
  readonly inputSize: number;
  /** Features of each step's output, the top layer's h (R = projSize or hiddenSize). */
  readonly outputSize: number;
  private readonly name: string;
  private readonly layer: StreamableLayer;
  private readonly mode: RecurrentMode;
  private readonly weights: readonly LstmWeights[];
  private readonly H: number;
  private readonly P: number;
  // The first layer's input (B, E), copied from each step's x.
  private readonly input: Float32Array;
  // Per layer: the state the next step reads (h and c, views of one array so that one copy moves
  // the step's hNext and cNext, views of another, into them), its step's weights (filled in at each
  // step rather than made anew) and its step (the first layer's second one runs on a given input
  // product).
  private readonly h: Float32Array[];
  private readonly c: Float32Array[];
  private readonly states: Float32Array[];
  private readonly nextStates: Float32Array[];
  private readonly stepWeights: StepWeights[];
  private readonly stepBuffers: StepBuffers[];
  private readonly steps: PreparedStep[];
  private readonly givenStep: PreparedStep;
  // Token steps: the kept input products of the embedding they were computed from (null: none yet).
  private tokens: TokenInputTable | null = null;

  /** Use `lstm.streamer()`, `gru.streamer()` or `rnn.streamer()`. */
  constructor(
    name: string,
    layer: StreamableLayer,
    mode: RecurrentMode,
    weights: readonly LstmWeights[],
    options: StreamerOptions = {},
  ) {
    if (typeof options !== 'object' || options === null) {
      throw new ValueError(
        `${name}.streamer: options must be an object like { batch: 1 }, got ${String(options)}`,
      );
    }
    const B = options.batch ?? 1;
    if (typeof B !== 'number' || !Number.isInteger(B) || B <= 0) {
      throw new ValueError(`${name}.streamer: batch must be a positive integer, got ${String(B)}`);
    }
    if (layer.bidirectional) {
      throw new ValueError(
        `${name}.streamer: a bidirectional layer cannot stream (its reverse direction starts from the last step); use bidirectional: false`,
      );
    }
    this.name = name;
    this.layer = layer;
    this.mode = mode;
    this.weights = weights;
    this.batch = B;
    this.inputSize = layer.inputSize;
    this.H = layer.hiddenSize;
    this.P = layer.projSize;
    this.outputSize = this.P > 0 ? this.P : this.H;
    this.checkMode();
    const L = layer.numLayers;
    const H = this.H;
    const R = this.outputSize;
    const isLstm = mode === 'LSTM';
    const buffer = (n: number) => new Float32Array(n);
    const stateSize = B * R + (isLstm ? B * H : 0);
    this.states = Array.from({ length: L }, () => buffer(stateSize));
    this.nextStates = Array.from({ length: L }, () => buffer(stateSize));
    this.h = this.states.map((s) => s.subarray(0, B * R));
    this.c = this.states.map((s) => s.subarray(B * R));
    this.input = buffer(B * this.inputSize);
    this.stepWeights = Array.from({ length: L }, () => ({
      weightIh: NO_INPUT,
      weightHh: NO_INPUT,
      biasIh: null,
      biasHh: null,
      weightHr: null,
    }));
    this.stepBuffers = Array.from({ length: L }, (_, l) => ({
      x: NO_INPUT,
      h: this.h[l]!,
      c: this.c[l]!,
      out: buffer(B * R),
      hNext: this.nextStates[l]!.subarray(0, B * R),
      cNext: this.nextStates[l]!.subarray(B * R),
      gates: buffer(B * recurrentKind(mode).savedBlocks * H),
      cells: buffer(isLstm ? B * H : 0),
      hidden: isLstm && this.P > 0 ? buffer(B * H) : null,
    }));
    // Each layer reads the one below's output; the first reads this.input, or nothing when its
    // input product is given.
    const dims = (E: number) => ({ B, E, H, P: this.P });
    this.steps = this.stepBuffers.map((sb, l) => {
      sb.x = l === 0 ? this.input : this.stepBuffers[l - 1]!.out;
      return new PreparedStep(mode, dims(l === 0 ? this.inputSize : R), sb);
    });
    this.givenStep = new PreparedStep(mode, dims(0), { ...this.stepBuffers[0]!, x: NO_INPUT });
  }

  /**
   * Runs one time step: x holds the B samples' inputs, (B, E) row-major as a Float32Array of
   * B·E values or a float32 Tensor of shape (B, E) (or (E) when B = 1). Returns the top layer's
   * new h, (B, R) row-major; the array is reused, so copy it to keep it past the next step.
   */
  step(x: Float32Array | Tensor): Float32Array {
    this.input.set(this.inputOf(x));
    return this.run(null);
  }

  /**
   * Runs one step on token ids: sample b's input is row ids[b] of `embedding`, a float32 (V, E)
   * tensor (an Embedding layer's weight), as `step` would take it. At batch 1 each token's input
   * product is computed from the weights at its first step and kept (see the top of this file),
   * so train no further while stepping, or make a new streamer after. Returns as `step` does.
   */
  stepTokens(ids: ArrayLike<number>, embedding: Tensor): Float32Array {
    const table = this.tokenTable(embedding);
    const V = embedding.shape[0]!;
    const E = this.inputSize;
    if (ids === null || typeof ids !== 'object' || ids.length !== this.batch) {
      throw new ShapeError(
        `${this.name}.streamer: stepTokens needs ${this.batch} token id(s), one per sample, got ${describe(ids)}`,
      );
    }
    for (let b = 0; b < this.batch; b++) {
      const id = ids[b]!;
      if (!Number.isInteger(id) || id < 0 || id >= V) {
        throw new IndexError(
          `${this.name}.streamer: token id ${id} (sample ${b}) is outside the embedding's rows [0, ${V})`,
        );
      }
      if (!table) this.input.set(embedding.f32.subarray(id * E, (id + 1) * E), b * E);
    }
    if (!table) return this.run(null);
    return this.run(table.select(ids[0]!));
  }

  // The kept input products for `embedding` (made or remade when it is another), or null when
  // the steps gather embedding rows instead.
  private tokenTable(embedding: Tensor): TokenInputTable | null {
    if (!(embedding instanceof Tensor) || embedding.dtype !== 'float32' || embedding.ndim !== 2) {
      throw new ValueError(
        `${this.name}.streamer: embedding must be a float32 (V, E) Tensor, got ${describe(embedding)}`,
      );
    }
    if (embedding.shape[1] !== this.inputSize) {
      throw new ShapeError(
        `${this.name}.streamer: embedding rows must have inputSize = ${this.inputSize} values, got shape ${formatShape(embedding.shape)}`,
      );
    }
    if (this.tokens?.source === embedding.f32) return this.tokens;
    const G = gateCount(this.mode) * this.H;
    const keep =
      this.batch === 1 &&
      this.inputSize >= TOKEN_TABLE_MIN_INPUT &&
      embedding.shape[0]! * G * 4 <= TOKEN_TABLE_MAX_BYTES;
    if (!keep) return null;
    this.tokens = new TokenInputTable(
      embedding.f32,
      embedding.shape[0]!,
      this.inputSize,
      G,
      this.weights[0]!,
    );
    return this.tokens;
  }

  // One step through every layer: the first layer's input is this.input, or, when `product` is
  // given, that product in place of W_ih·x + b_ih.
  private run(product: Float32Array | null): Float32Array {
    this.checkMode();
    const L = this.h.length;
    for (let l = 0; l < L; l++) {
      const w = this.weights[l]!;
      const given = l === 0 && product !== null;
      // The weights are read at every step, as forward reads them.
      const sw = this.stepWeights[l]!;
      sw.weightIh = given ? NO_INPUT : w.weightIh.f32;
      sw.weightHh = w.weightHh.f32;
      sw.biasIh = given ? product : w.biasIh ? w.biasIh.f32 : null;
      sw.biasHh = w.biasHh ? w.biasHh.f32 : null;
      sw.weightHr = w.weightHr ? w.weightHr.f32 : null;
      (given ? this.givenStep : this.steps[l]!).run(sw);
      // The next step reads the state from the same arrays, so that every step of a layer makes
      // the same kernel call (which the native backend binds once).
      this.states[l]!.set(this.nextStates[l]!);
    }
    return this.stepBuffers[L - 1]!.out;
  }

  /**
   * Starts a new stream: from zeros, or from `state` as `forward` takes it — `[h, c]` for LSTM
   * with h (L, B, R) and c (L, B, H), `h` (L, B, H) for RNN and GRU.
   */
  reset(state?: S | null): void {
    if (state == null) {
      for (const a of this.h) a.fill(0);
      for (const a of this.c) a.fill(0);
      return;
    }
    const L = this.h.length;
    const B = this.batch;
    if (this.mode === 'LSTM') {
      if (!Array.isArray(state) || state.length !== 2) {
        throw new ValueError(
          `${this.name}.streamer: state must be a pair [h, c] of tensors, got ${describe(state)}`,
        );
      }
      const [h, c] = state as readonly [Tensor, Tensor];
      const hd = stateData(this.name, 'state h', h, [L, B, this.outputSize]);
      const cd = stateData(this.name, 'state c', c, [L, B, this.H]);
      this.load(hd, cd);
      return;
    }
    this.load(stateData(this.name, 'state', state as Tensor, [L, B, this.H]), null);
  }

  /** The current state as new tensors: `[h (L, B, R), c (L, B, H)]` for LSTM, h (L, B, H) otherwise. */
  get state(): S {
    const L = this.h.length;
    const B = this.batch;
    const h = stateTensor(this.h, [L, B, this.outputSize]);
    if (this.mode !== 'LSTM') return h as S;
    return [h, stateTensor(this.c, [L, B, this.H])] as unknown as S;
  }

  private load(h: Float32Array, c: Float32Array | null): void {
    const nh = this.h[0]!.length;
    const nc = this.c[0]!.length;
    for (let l = 0; l < this.h.length; l++) {
      this.h[l]!.set(h.subarray(l * nh, (l + 1) * nh));
      if (c) this.c[l]!.set(c.subarray(l * nc, (l + 1) * nc));
    }
  }

  // Inter-layer dropout is a training-time operation a step does not run.
  private checkMode(): void {
    if (this.layer.training && this.layer.dropout > 0) {
      throw new ValueError(
        `${this.name}.streamer: the layer is in training mode with dropout ${this.layer.dropout}, which a step does not apply; call eval() first`,
      );
    }
  }

  private inputOf(x: Float32Array | Tensor): Float32Array {
    const n = this.batch * this.inputSize;
    if (x instanceof Float32Array) {
      if (x.length !== n) {
        throw new ShapeError(
          `${this.name}.streamer: x must hold batch·inputSize = ${this.batch}·${this.inputSize} = ${n} values, got ${x.length}`,
        );
      }
      return x;
    }
    if (!(x instanceof Tensor)) {
      throw new ValueError(`${this.name}.streamer: x must be a Float32Array or a Tensor, got ${describe(x)}`);
    }
    if (x.dtype !== 'float32')
      throw new DTypeError(`${this.name}.streamer: x must be float32, got ${x.dtype}`);
    const ok =
      (x.ndim === 2 && x.shape[0] === this.batch && x.shape[1] === this.inputSize) ||
      (x.ndim === 1 && this.batch === 1 && x.shape[0] === this.inputSize);
    if (!ok) {
      throw new ShapeError(
        `${this.name}.streamer: x must have shape (batch, inputSize) = (${this.batch}, ${this.inputSize})${this.batch === 1 ? ` or (${this.inputSize})` : ''}, got ${formatShape(x.shape)}`,
      );
    }
    return x.f32;
  }
}

/**
 * The first layer's input products W_ih·E[v] + b_ih of an embedding's V rows, each computed at its
 * first use from the weights as they are then. They lie in one array, row v at v·G (a row is one
 * copy away, with no object of its own to fetch first), followed by the step's row: the token's
 * product is copied there, so that the kernel reads the same array as b_ih at every step (and the
 * native backend binds the call once).
 */
class TokenInputTable {
  readonly source: Float32Array;
  private readonly products: Float32Array;
  private readonly made: Uint8Array;
  private readonly step: Float32Array;

  constructor(
    source: Float32Array,
    V: number,
    private readonly E: number,
    private readonly G: number,
    private readonly weights: LstmWeights,
  ) {
    this.source = source;
    this.products = new Float32Array((V + 1) * G);
    this.made = new Uint8Array(V);
    this.step = this.products.subarray(V * G);
  }

  /** The step's row holding token `id`'s input product, computed now if it is its first use. */
  select(id: number): Float32Array {
    const { E, G } = this;
    if (this.made[id] === 0) {
      const w = this.weights;
      const x = this.source.subarray(id * E, (id + 1) * E);
      const row = this.products.subarray(id * G, (id + 1) * G);
      matVecAdd(G, E, x, w.weightIh.f32, w.biasIh ? w.biasIh.f32 : null, row);
      this.made[id] = 1;
    }
    this.products.copyWithin(this.products.length - G, id * G, (id + 1) * G);
    return this.step;
  }
}

function describe(v: unknown): string {
  if (v instanceof Tensor) return `a Tensor of shape ${formatShape(v.shape)}`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `an array of length ${(v as Float32Array).length}`;
  return v === null ? 'null' : typeof v;
}

function stateData(layer: string, what: string, t: unknown, shape: Shape): Float32Array {
  if (!(t instanceof Tensor))
    throw new ValueError(`${layer}.streamer: ${what} must be a Tensor, got ${describe(t)}`);
  if (t.dtype !== 'float32')
    throw new DTypeError(`${layer}.streamer: ${what} must be float32, got ${t.dtype}`);
  if (t.ndim !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(
      `${layer}.streamer: ${what} must have shape ${formatShape(shape)} (layers, batch, features), got ${formatShape(t.shape)}`,
    );
  }
  return t.f32;
}

function stateTensor(parts: readonly Float32Array[], shape: Shape): Tensor {
  const n = parts[0]!.length;
  const data = new Float32Array(parts.length * n);
  for (let l = 0; l < parts.length; l++) data.set(parts[l]!, l * n);
  return new Tensor(data, shape);
}
