import { DTypeError, ShapeError, ValueError } from '../tensor/errors.js';
import { formatShape, numel } from '../tensor/shape.js';
import { type DType, Tensor, type TypedArray } from '../tensor/tensor.js';

export interface PadOptions {
  /** Output (B, T, *) when true, (T, B, *) when false (PyTorch's default). */
  batchFirst?: boolean;
  paddingValue?: number;
  /** 'right' keeps each sequence at the start (PyTorch); 'left' aligns the sequences' ends. */
  side?: 'right' | 'left';
  /** Element type for plain number arrays; default 'int32' (token ids). */
  dtype?: DType;
}

/**
 * Stacks variable-length sequences into one padded tensor (PyTorch `pad_sequence`).
 * Sequence i has shape (T_i, *) with the same trailing dimensions *; the result is
 * (T, B, *) or, with batchFirst, (B, T, *), where T = max T_i. Tensors keep their dtype,
 * Int32Arrays give int32, number arrays give `dtype` (default int32).
 */
export function padSequence(
  sequences: readonly Tensor[] | readonly Int32Array[] | readonly (readonly number[])[],
  options: PadOptions = {},
): Tensor {
  const { batchFirst = false, paddingValue = 0, side = 'right' } = options;
  if (!Array.isArray(sequences) || sequences.length === 0) {
    throw new ValueError('padSequence: sequences must be a non-empty array');
  }
  if (side !== 'right' && side !== 'left') {
    throw new ValueError(`padSequence: side must be 'right' or 'left', got ${String(side)}`);
  }
  if (typeof paddingValue !== 'number' || Number.isNaN(paddingValue)) {
    throw new ValueError(`padSequence: paddingValue must be a number, got ${String(paddingValue)}`);
  }
  const { rows, lengths, trailing, dtype } = normalize(sequences, options.dtype);
  if (dtype === 'int32' && !Number.isInteger(paddingValue)) {
    throw new DTypeError(
      `padSequence: paddingValue must be an integer for int32 sequences, got ${paddingValue}`,
    );
  }
  const B = rows.length;
  let T = 0;
  for (const L of lengths) if (L > T) T = L;
  const F = numel(trailing);
  const out: TypedArray = dtype === 'int32' ? new Int32Array(B * T * F) : new Float32Array(B * T * F);
  if (paddingValue !== 0) out.fill(paddingValue);
  for (let b = 0; b < B; b++) {
    const src = rows[b]!;
    const L = lengths[b]!;
    const shift = side === 'left' ? T - L : 0;
    for (let t = 0; t < L; t++) {
      const tt = t + shift;
      // (B, T, F) row index or (T, B, F) row index.
      const dst = (batchFirst ? b * T + tt : tt * B + b) * F;
      for (let f = 0; f < F; f++) out[dst + f] = src[t * F + f]!;
    }
  }
  const shape = batchFirst ? [B, T, ...trailing] : [T, B, ...trailing];
  return new Tensor(out, shape);
}

function normalize(
  sequences: readonly (Tensor | Int32Array | readonly number[])[],
  dtypeOption: DType | undefined,
): { rows: ArrayLike<number>[]; lengths: number[]; trailing: number[]; dtype: DType } {
  const first = sequences[0];
  if (first instanceof Tensor) {
    const trailing = first.shape.slice(1);
    const rows: ArrayLike<number>[] = [];
    const lengths: number[] = [];
    sequences.forEach((s, i) => {
      if (!(s instanceof Tensor)) {
        throw new ValueError(
          `padSequence: sequences[${i}] must be a Tensor like sequences[0], got ${describe(s)}`,
        );
      }
      if (s.ndim < 1)
        throw new ShapeError(`padSequence: sequences[${i}] must have at least 1 dimension, got a scalar`);
      if (s.dtype !== first.dtype) {
        throw new DTypeError(`padSequence: sequences[${i}] is ${s.dtype} but sequences[0] is ${first.dtype}`);
      }
      const tr = s.shape.slice(1);
      if (tr.length !== trailing.length || tr.some((d, k) => d !== trailing[k])) {
        throw new ShapeError(
          `padSequence: sequences[${i}] has shape ${formatShape(s.shape)}; trailing dimensions must match sequences[0] ${formatShape(first.shape)}`,
        );
      }
      rows.push(s.data);
      lengths.push(s.shape[0]!);
    });
    return { rows, lengths, trailing: [...trailing], dtype: first.dtype };
  }
  const dtype: DType = first instanceof Int32Array ? 'int32' : (dtypeOption ?? 'int32');
  if (dtype !== 'int32' && dtype !== 'float32') {
    throw new ValueError(`padSequence: dtype must be 'int32' or 'float32', got ${String(dtype)}`);
  }
  const rows: ArrayLike<number>[] = [];
  sequences.forEach((s, i) => {
    if (s instanceof Int32Array) {
      rows.push(s);
      return;
    }
    if (!Array.isArray(s)) {
      throw new ValueError(
        `padSequence: sequences[${i}] must be a Tensor, an Int32Array or an array of numbers, got ${describe(s)}`,
      );
    }
    for (let t = 0; t < s.length; t++) {
      const v = s[t];
      if (typeof v !== 'number' || (dtype === 'int32' && !Number.isInteger(v))) {
        throw new DTypeError(
          `padSequence: sequences[${i}][${t}] must be ${dtype === 'int32' ? 'an integer' : 'a number'}, got ${String(v)}`,
        );
      }
    }
    rows.push(s as readonly number[]);
  });
  return { rows, lengths: rows.map((r) => r.length), trailing: [], dtype };
}

function describe(v: unknown): string {
  if (v instanceof Tensor) return `a Tensor of shape ${formatShape(v.shape)}`;
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  return Array.isArray(v) ? 'an array' : typeof v;
}
