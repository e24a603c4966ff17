import { gateCount, kindOfLayer, type RecurrentKind } from '../backend/recurrent-kinds.js';
import { gruSequence, lstmSequence, type RecurrentWeights, rnnSequence } from '../ops/recurrent.js';
import { reshape } from '../ops/shape.js';
import { ShapeError, ValueError } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { uniform_ } from './init.js';
import { Module, Parameter } from './module.js';

/*
 * Single-step cells, PyTorch's nn.RNNCell / LSTMCell / GRUCell, for step-by-step loops.
 * x: (B, E) or unbatched (E)   h, c: (B, H) or (H)
 * Parameters weight_ih (G, E), weight_hh (G, H), bias_ih, bias_hh (G), from U(−1/√H, 1/√H).
 * A step is the fused sequence op with T = 1, so cells and layers share one implementation.
 */

export interface CellOptions {
  inputSize: number;
  hiddenSize: number;
  /** Learn bias_ih and bias_hh (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: the global one). */
  generator?: Generator;
}

export interface RNNCellOptions extends CellOptions {
  nonlinearity?: 'tanh' | 'relu';
}

abstract class CellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  readonly weight_ih: Parameter;
  readonly weight_hh: Parameter;
  readonly bias_ih: Parameter | null;
  readonly bias_hh: Parameter | null;
  private readonly cellName: string;

  protected constructor(cellName: string, kind: RecurrentKind, options: CellOptions) {
    super();
    if (typeof options !== 'object' || options === null) {
      throw new ValueError(`${cellName}: expected an options object with inputSize and hiddenSize`);
    }
    this.cellName = cellName;
    for (const key of ['inputSize', 'hiddenSize'] as const) {
      const v = options[key];
      if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
        throw new ValueError(`${cellName}: ${key} must be a positive integer, got ${String(v)}`);
      }
    }
    const E = options.inputSize;
    const H = options.hiddenSize;
    const G = gateCount(kind) * H;
    this.inputSize = E;
    this.hiddenSize = H;
    this.bias = options.bias ?? true;
    this.weight_ih = this.registerParameter('weight_ih', new Parameter(new Float32Array(G * E), [G, E]));
    this.weight_hh = this.registerParameter('weight_hh', new Parameter(new Float32Array(G * H), [G, H]));
    this.bias_ih = this.registerParameter(
      'bias_ih',
      this.bias ? new Parameter(new Float32Array(G), [G]) : null,
    );
    this.bias_hh = this.registerParameter(
      'bias_hh',
      this.bias ? new Parameter(new Float32Array(G), [G]) : null,
    );
    const k = 1 / Math.sqrt(H);
    const generator = options.generator ?? defaultGenerator;
    for (const p of this.parameters()) uniform_(p, -k, k, generator);
  }

  protected get weights(): RecurrentWeights {
    return { weightIh: this.weight_ih, weightHh: this.weight_hh, biasIh: this.bias_ih, biasHh: this.bias_hh };
  }

  /** x as a one-step sequence (1, B, E); `batched` says whether to keep the batch dimension. */
  protected asStep(x: Tensor): { step: Tensor; B: number; batched: boolean } {
    const name = this.cellName;
    if (!(x instanceof Tensor)) throw new ValueError(`${name}: input must be a Tensor, got ${typeof x}`);
    if (x.ndim !== 1 && x.ndim !== 2) {
      throw new ShapeError(
        `${name}: input must be (B, E) or unbatched (E), got shape ${formatShape(x.shape)}`,
      );
    }
    if (x.shape[x.ndim - 1] !== this.inputSize) {
      throw new ShapeError(
        `${name}: input must have ${this.inputSize} features (inputSize), got shape ${formatShape(x.shape)}`,
      );
    }
    const batched = x.ndim === 2;
    const B = batched ? x.shape[0]! : 1;
    return { step: reshape(x, [1, B, this.inputSize]), B, batched };
  }

  /** A state as (B, H), checked against the input's batch; null stays null (zeros). */
  protected asState(s: Tensor | null | undefined, what: string, B: number, batched: boolean): Tensor | null {
    if (s == null) return null;
    const H = this.hiddenSize;
    const expected = batched ? [B, H] : [H];
    if (!(s instanceof Tensor) || s.ndim !== expected.length || s.shape.some((d, i) => d !== expected[i])) {
      const got = s instanceof Tensor ? formatShape(s.shape) : typeof s;
      throw new ShapeError(`${this.cellName}: ${what} must have shape ${formatShape(expected)}, got ${got}`);
    }
    return batched ? s : reshape(s, [1, H]);
  }

  protected unbatch(t: Tensor, batched: boolean): Tensor {
    return batched ? t : reshape(t, [this.hiddenSize]);
  }
}

/** h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), act = tanh (default) or relu. */
export class RNNCell extends CellBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(options: RNNCellOptions) {
    super('RNNCell', kindOfLayer('RNN', options?.nonlinearity === 'relu' ? 'relu' : 'tanh'), options);
    const nl = options.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') {
      throw new ValueError(`RNNCell: nonlinearity must be 'tanh' or 'relu', got '${String(nl)}'`);
    }
    this.nonlinearity = nl;
  }

  /** One step: returns h'. A missing h is zeros. */
  forward(x: Tensor, h?: Tensor | null): Tensor {
    const { step, B, batched } = this.asStep(x);
    const h0 = this.asState(h, 'h', B, batched);
    const r = rnnSequence(step, h0, this.weights, { nonlinearity: this.nonlinearity });
    return this.unbatch(r.hN, batched);
  }
}

/** One LSTM step (gates i, f, g, o): returns [h', c']. */
export class LSTMCell extends CellBase {
  constructor(options: CellOptions) {
    super('LSTMCell', 'LSTM', options);
  }

  /** One step from state [h, c] (zeros when omitted): returns [h', c']. */
  forward(x: Tensor, state?: readonly [Tensor, Tensor] | null): [Tensor, Tensor] {
    if (state != null && (!Array.isArray(state) || state.length !== 2)) {
      throw new ValueError('LSTMCell: state must be a pair [h, c] of tensors (or omitted for zeros)');
    }
    const { step, B, batched } = this.asStep(x);
    const h0 = this.asState(state?.[0], 'h', B, batched);
    const c0 = this.asState(state?.[1], 'c', B, batched);
    const r = lstmSequence(step, h0, c0, this.weights);
    return [this.unbatch(r.hN, batched), this.unbatch(r.cN, batched)];
  }
}

/** One GRU step (gates r, z, n with b_hn inside the reset product): returns h'. */
export class GRUCell extends CellBase {
  constructor(options: CellOptions) {
    super('GRUCell', 'GRU', options);
  }

  /** One step: returns h'. A missing h is zeros. */
  forward(x: Tensor, h?: Tensor | null): Tensor {
    const { step, B, batched } = this.asStep(x);
    const h0 = this.asState(h, 'h', B, batched);
    return this.unbatch(gruSequence(step, h0, this.weights).hN, batched);
  }
}
