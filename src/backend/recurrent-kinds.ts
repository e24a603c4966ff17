import { ValueError } from '../tensor/errors.js';

/*
 * The recurrent kinds kioku runs, as data: how many gate blocks each packs, in which order, how
 * ONNX and Keras order the same blocks, where the biases go and which activations apply. Layers,
 * kernels, importers and exporters read this table instead of restating gate offsets.
 *
 * A weight with G = gateCount·H rows (PyTorch's weight_ih (G, E), weight_hh (G, H), biases (G))
 * is `gateCount` blocks of H rows, in `gates` order:
 *   RNN   h                 h' = act(W_ih x + b_ih + W_hh h + b_hh), act = tanh or relu
 *   LSTM  i, f, g, o        i, f, o = σ(·), g = tanh(·); c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c')
 *   GRU   r, z, n           r, z = σ(·); n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn));
 *                           h' = (1 − z) ⊙ n + z ⊙ h
 */

/** The recurrence of a layer: PyTorch's `mode` names. */
export type RecurrentKind = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

/** PyTorch's layer class for a kind (RNN_TANH and RNN_RELU are both `nn.RNN`). */
export type RecurrentLayerName = 'RNN' | 'LSTM' | 'GRU';

/** A gate block by PyTorch's name; `h` is the single block of a plain RNN. */
export type GateName = 'h' | 'i' | 'f' | 'g' | 'o' | 'r' | 'z' | 'n';

/**
 * How the two bias vectors enter: `sum` adds b_ih + b_hh to every gate before its activation;
 * `gru-reset-after` adds b_hn inside the reset product, r ⊙ (W_hn h + b_hn), so the two biases of
 * the n block cannot be summed.
 */
export type BiasLayout = 'sum' | 'gru-reset-after';

export interface RecurrentKindInfo {
  readonly kind: RecurrentKind;
  readonly layer: RecurrentLayerName;
  /** Gate blocks in PyTorch's packing order. */
  readonly gates: readonly GateName[];
  /** Activation of the candidate (RNN h, LSTM g and cell output, GRU n). */
  readonly activation: 'tanh' | 'relu';
  readonly bias: BiasLayout;
  /**
   * H-wide blocks per sample and step the fused kernels save for BPTT: the LSTM's four gate
   * activations; the GRU's r, z, n and W_hn h + b_hn (needed inside the reset product); none
   * for a plain RNN, whose output is its only state.
   */
  readonly savedBlocks: number;
  readonly onnx: {
    readonly opType: RecurrentLayerName;
    /** ONNX's gate names in ONNX's order (LSTM i, o, f, c; GRU z, r, h). */
    readonly gates: readonly string[];
    /** For each ONNX position, the PyTorch block it takes. */
    readonly order: readonly number[];
    /** The op's `activations` attribute per direction, or null for the default. */
    readonly activations: readonly string[] | null;
  };
  readonly keras: {
    readonly className: 'SimpleRNN' | 'LSTM' | 'GRU';
    /** Keras' gate names in Keras' order (LSTM i, f, c, o; GRU z, r, h). */
    readonly gates: readonly string[];
    /** For each Keras position, the PyTorch block it takes. */
    readonly order: readonly number[];
    /**
     * `sum`: one bias (G) = b_ih + b_hh; `split`: (2, G) = [input bias; recurrent bias], the GRU
     * with reset_after = true (Keras' only GRU that matches PyTorch's).
     */
    readonly bias: 'sum' | 'split';
  };
}

const RNN_LAYOUT = {
  layer: 'RNN',
  gates: ['h'],
  bias: 'sum',
  savedBlocks: 0,
  keras: { className: 'SimpleRNN', gates: ['h'], order: [0], bias: 'sum' },
} as const;

export const RECURRENT_KINDS: Readonly<Record<RecurrentKind, RecurrentKindInfo>> = {
  RNN_TANH: {
    kind: 'RNN_TANH',
    ...RNN_LAYOUT,
    activation: 'tanh',
    onnx: { opType: 'RNN', gates: ['h'], order: [0], activations: null },
  },
  RNN_RELU: {
    kind: 'RNN_RELU',
    ...RNN_LAYOUT,
    activation: 'relu',
    onnx: { opType: 'RNN', gates: ['h'], order: [0], activations: ['Relu'] },
  },
  LSTM: {
    kind: 'LSTM',
    layer: 'LSTM',
    gates: ['i', 'f', 'g', 'o'],
    activation: 'tanh',
    bias: 'sum',
    savedBlocks: 4,
    onnx: { opType: 'LSTM', gates: ['i', 'o', 'f', 'c'], order: [0, 3, 1, 2], activations: null },
    keras: { className: 'LSTM', gates: ['i', 'f', 'c', 'o'], order: [0, 1, 2, 3], bias: 'sum' },
  },
  GRU: {
    kind: 'GRU',
    layer: 'GRU',
    gates: ['r', 'z', 'n'],
    activation: 'tanh',
    bias: 'gru-reset-after',
    savedBlocks: 4,
    onnx: { opType: 'GRU', gates: ['z', 'r', 'h'], order: [1, 0, 2], activations: null },
    keras: { className: 'GRU', gates: ['z', 'r', 'h'], order: [1, 0, 2], bias: 'split' },
  },
};

/** The table entry of `kind`; throws a ValueError naming `what` for anything else. */
export function recurrentKind(kind: RecurrentKind, what = 'kind'): RecurrentKindInfo {
  if (typeof kind !== 'string' || !Object.hasOwn(RECURRENT_KINDS, kind)) {
    throw new ValueError(
      `${what} must be one of ${Object.keys(RECURRENT_KINDS).join(', ')}, got ${String(kind)}`,
    );
  }
  return RECURRENT_KINDS[kind];
}

/** The kind of a PyTorch layer class (`nonlinearity` picks between the two RNNs). */
export function kindOfLayer(
  layer: RecurrentLayerName,
  nonlinearity: 'tanh' | 'relu' = 'tanh',
): RecurrentKind {
  if (layer === 'RNN') return nonlinearity === 'relu' ? 'RNN_RELU' : 'RNN_TANH';
  return layer;
}

/** Gate blocks a weight of `kind` packs (1, 4 or 3). */
export function gateCount(kind: RecurrentKind): number {
  return recurrentKind(kind).gates.length;
}

/** A gate's block index in PyTorch's packing order: `gateBlock('LSTM', 'f')` is 1. */
export function gateBlock(kind: RecurrentKind, gate: GateName): number {
  const i = recurrentKind(kind).gates.indexOf(gate);
  if (i < 0) throw new ValueError(`gateBlock: ${kind} has no gate '${gate}'`);
  return i;
}

/** Rows of `gate`'s block, [start, end), in a (gateCount·H, ·) weight of `kind`. */
export function gateRows(kind: RecurrentKind, gate: GateName, H: number): [number, number] {
  const i = gateBlock(kind, gate);
  return [i * H, (i + 1) * H];
}

/** The inverse of a block order: for each PyTorch block, the position that holds it. */
export function invertOrder(order: readonly number[]): number[] {
  const inverse = new Array<number>(order.length);
  order.forEach((src, dst) => {
    inverse[src] = dst;
  });
  return inverse;
}

/**
 * `data` as `rows` rows of `order.length` blocks of `width` contiguous values, with each row's
 * blocks taken in `order` (block p of a result row is block order[p] of the source row).
 * A (G, C) PyTorch weight reordered for ONNX is one row of blocks of H·C values; a Keras kernel
 * (E, G) is E rows of blocks of H values.
 */
export function permuteBlocks(
  data: Float32Array,
  order: readonly number[],
  width: number,
  rows = 1,
): Float32Array {
  const rowLength = order.length * width;
  if (data.length !== rows * rowLength) {
    throw new ValueError(
      `permuteBlocks: expected ${rows}·${order.length}·${width} = ${rows * rowLength} values, got ${data.length}`,
    );
  }
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * rowLength;
    order.forEach((src, dst) => {
      out.set(data.subarray(base + src * width, base + (src + 1) * width), base + dst * width);
    });
  }
  return out;
}
