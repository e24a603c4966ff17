import { allocateFloat32 } from './alloc.js';
import { type GradFn, runBackward } from './autograd.js';
import type { DType, TypedArray } from './dtype.js';
import { DTypeError, KiokuError, ShapeError, ValueError } from './errors.js';
import { gradientPool, noteTensor, ownBuffer, shareBuffer } from './pool.js';
import { checkShape, formatShape, numel, type Shape } from './shape.js';

export type { DType, TypedArray } from './dtype.js';

/**
 * A dense, contiguous, row-major n-dimensional array of float32 values (or int32 indices).
 * Tensors are garbage-collected; there is nothing to dispose. The one exception is internal to
 * `fit`: the tensors a training step creates are released when the step ends (see step.ts), and
 * reading one afterwards throws.
 */
export class Tensor {
  private _data: TypedArray;
  // Makes the data on its first read (see deferData); null once made, or for ordinary tensors.
  private pending: (() => TypedArray) | null = null;
  private released = false;
  readonly shape: Shape;
  readonly dtype: DType;
  /** Gradient accumulated by `backward()` (leaves only). */
  grad: Tensor | null = null;
  /** The step that produced this tensor; null for leaves. */
  gradFn: GradFn<Tensor> | null = null;
  private _requiresGrad = false;

  constructor(data: TypedArray, shape: Shape, options: { requiresGrad?: boolean } = {}) {
    checkShape(shape, 'Tensor');
    if (data.length !== numel(shape)) {
      throw new ShapeError(
        `Tensor: data has ${data.length} elements but shape ${formatShape(shape)} needs ${numel(shape)}`,
      );
    }
    this._data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = data instanceof Int32Array ? 'int32' : 'float32';
    if (options.requiresGrad) this.requiresGrad = true;
    noteTensor(this, data, options.requiresGrad === true);
  }

  /** The values, row-major. */
  get data(): TypedArray {
    if (this.released) {
      throw new KiokuError(
        `tensor of shape ${formatShape(this.shape)} was released when its training step ended (fit reuses the memory of the tensors a step creates); keep a clone() or detach() made during the step instead`,
      );
    }
    if (this.pending !== null) this.settle();
    return this._data;
  }

  /**
   * @internal The buffer whether or not it was released, for the training-step machinery; of a
   * tensor whose data is still to be made (deferData), the buffer it will be made from, which is
   * released with it.
   */
  get storage(): TypedArray {
    return this._data;
  }

  /**
   * @internal Replaces the data by what `produce` returns (as many elements, the same dtype),
   * made on its first read: for an op's output that callers often never read (a recurrent
   * layer's batch-first output when only its final state is used). `produce` must read only
   * buffers nothing else can write, so the result is what it would have been made eagerly.
   */
  deferData(produce: () => TypedArray): this {
    this.pending = produce;
    return this;
  }

  private settle(): void {
    const produce = this.pending!;
    this.pending = null;
    this._data = produce();
  }

  /** @internal Marks the tensor released: its buffer went back to a pool for reuse. */
  markReleased(): void {
    this.released = true;
  }

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }

  set requiresGrad(value: boolean) {
    if (value && this.dtype !== 'float32') {
      throw new DTypeError(
        `requiresGrad: only float32 tensors can require gradients, this one is ${this.dtype}`,
      );
    }
    if (!value && this.gradFn !== null) {
      throw new KiokuError('requiresGrad: cannot turn it off on a computed tensor; use detach() instead');
    }
    this._requiresGrad = value;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    // Deferred data has the length of the data it stands in for: counting needs no making.
    return this.released ? this.data.length : this._data.length;
  }

  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** The float32 data; throws for index tensors so a kernel never reads indices as weights. */
  get f32(): Float32Array {
    if (!(this.data instanceof Float32Array)) {
      throw new DTypeError(
        `expected a float32 tensor, got ${this.dtype} of shape ${formatShape(this.shape)}`,
      );
    }
    return this.data;
  }

  /** The int32 data; throws for float tensors. */
  get i32(): Int32Array {
    if (!(this.data instanceof Int32Array)) {
      throw new DTypeError(`expected an int32 tensor, got ${this.dtype} of shape ${formatShape(this.shape)}`);
    }
    return this.data;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) {
      throw new ShapeError(
        `item: tensor has ${this.data.length} elements (shape ${formatShape(this.shape)}), not 1`,
      );
    }
    return this.data[0]!;
  }

  /** Values as nested arrays in the tensor's shape. */
  tolist(): unknown {
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.shape.length) return this.data[offset];
      const stride = numel(this.shape.slice(dim + 1));
      const out: unknown[] = [];
      for (let i = 0; i < this.shape[dim]!; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** A tensor sharing this one's data but cut from the graph. */
  detach(): Tensor {
    const data = this.data;
    // The detached tensor may outlive a training step: its data must never be reused.
    shareBuffer(data);
    return new Tensor(data, this.shape);
  }

  /** A deep copy (no graph). */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /**
   * Back-propagates from this tensor. A scalar needs no `gradient`; otherwise pass one of
   * the same shape. Gradients accumulate into the leaves' `.grad`.
   */
  backward(gradient?: Tensor): void {
    let seed: Float32Array;
    if (gradient === undefined) {
      if (this.data.length !== 1) {
        throw new ShapeError(
          `backward: a gradient argument is needed for a non-scalar tensor of shape ${formatShape(this.shape)}`,
        );
      }
      seed = new Float32Array([1]);
    } else {
      if (gradient.data.length !== this.data.length) {
        throw new ShapeError(
          `backward: gradient shape ${formatShape(gradient.shape)} does not match tensor shape ${formatShape(this.shape)}`,
        );
      }
      seed = gradient.f32;
    }
    runBackward(this, seed);
  }

  /** @internal The leaf's `.grad` data, created as zeros on first use. */
  leafGradBuffer(): Float32Array {
    if (this.grad === null) {
      const b = gradientPool.take(this.data.length);
      this.grad = new Tensor(b, this.shape);
      ownBuffer(b);
    }
    return this.grad.f32;
  }

  toString(): string {
    return `Tensor(shape=${formatShape(this.shape)}, dtype=${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

type Nested = number | readonly Nested[];

function flatten(value: Nested, shape: number[], depth: number, out: number[]): void {
  if (typeof value === 'number') {
    if (depth !== shape.length) throw new ShapeError('tensor: ragged nested array');
    out.push(value);
    return;
  }
  if (!Array.isArray(value))
    throw new ValueError(`tensor: expected a number or an array, got ${typeof value}`);
  if (depth === shape.length) shape.push(value.length);
  else if (shape[depth] !== value.length) {
    throw new ShapeError(
      `tensor: ragged nested array (length ${value.length} where ${shape[depth]} was expected)`,
    );
  }
  for (const v of value) flatten(v, shape, depth + 1, out);
}

/**
 * Creates a tensor from nested arrays or a typed array (with an explicit shape).
 * `dtype: 'int32'` makes an index tensor.
 */
export function tensor(
  values: Nested | TypedArray,
  options: { shape?: Shape; dtype?: DType; requiresGrad?: boolean } = {},
): Tensor {
  if (values instanceof Float32Array || values instanceof Int32Array) {
    const shape = options.shape ?? [values.length];
    const data =
      options.dtype && options.dtype !== (values instanceof Int32Array ? 'int32' : 'float32')
        ? convert(values, options.dtype)
        : values;
    return new Tensor(data, shape, options);
  }
  const shape: number[] = [];
  const flat: number[] = [];
  flatten(values, shape, 0, flat);
  if (typeof values !== 'number' && flat.length === 0 && shape.length === 0) shape.push(0);
  const dtype = options.dtype ?? 'float32';
  if (dtype === 'int32') {
    for (const v of flat) {
      if (!Number.isInteger(v)) throw new DTypeError(`tensor: int32 tensor given the non-integer value ${v}`);
    }
  }
  const data = dtype === 'int32' ? Int32Array.from(flat) : Float32Array.from(flat);
  return new Tensor(data, options.shape ?? shape, options);
}

function convert(values: TypedArray, dtype: DType): TypedArray {
  return dtype === 'int32' ? Int32Array.from(values, Math.trunc) : Float32Array.from(values);
}

export function zeros(shape: Shape, options: { requiresGrad?: boolean } = {}): Tensor {
  checkShape(shape, 'zeros');
  return new Tensor(allocateFloat32(numel(shape), shape, 'zeros'), shape, options);
}

export function ones(shape: Shape, options: { requiresGrad?: boolean } = {}): Tensor {
  return full(shape, 1, options);
}

export function full(shape: Shape, value: number, options: { requiresGrad?: boolean } = {}): Tensor {
  checkShape(shape, 'full');
  return new Tensor(allocateFloat32(numel(shape), shape, 'full').fill(value), shape, options);
}

/** The scalar (0-d) tensor holding `value`. */
export function scalar(value: number): Tensor {
  return new Tensor(new Float32Array([value]), []);
}
