import { allocateFloat32, allocateFloat32Unfilled } from './alloc.js';
import type { TypedArray } from './dtype.js';

/*
 * Reuse of large float32 buffers. V8 frees an ArrayBuffer only when a GC runs, so a training
 * loop that allocates afresh every step carries a few steps of garbage at its peak; a buffer's
 * single owner returns it here once provably dead and the next step takes it back.
 *
 * - The autograd engine's intermediate gradients and the state an op saves for its backward
 *   never reach a user: their owner releases them after the backward.
 * - Op outputs and leaf gradients do reach tensors. Only a training step (see step.ts) releases
 *   them: the outputs its ops made when it ends, the gradients when the next step drops them;
 *   the tensors over them are marked released, so reading one throws instead of seeing reuse.
 */

/** Below this many elements a fresh allocation is as cheap as the bookkeeping. */
const MIN_ELEMENTS = 1 << 14;
/** Free buffers kept per size class (by default) and in all; past these a released buffer is left to the GC. */
const MAX_PER_CLASS = 4;
const MAX_BYTES = 128 << 20;
/** Size classes per doubling: a buffer is at most an eighth longer than what was asked. */
const CLASSES_PER_OCTAVE = 8;

/**
 * The length of the buffers that serve a request for n elements: n rounded up to one of 8 sizes
 * per doubling. Shapes that vary from call to call (a server's batches, text batches of varied
 * lengths) then reuse each other's buffers, where exact lengths would miss the pool and allocate
 * megabytes afresh, which V8 answers with garbage collections.
 */
export function sizeClass(n: number): number {
  if (n <= MIN_ELEMENTS) return n;
  const octave = 2 ** Math.floor(Math.log2(n));
  const step = octave / CLASSES_PER_OCTAVE;
  return octave + Math.ceil((n - octave) / step) * step;
}

/**
 * Free float32 buffers by size class. A buffer is handed out as a view of the length asked for
 * over a buffer of its class's length (the same object when the length is the one it was released
 * with), and taken back when it starts its buffer and its buffer is its class's length.
 */
export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private freeBytes = 0;
  // Each release gets a new stamp, so a buffer handed out and released again is told apart.
  private readonly stamps = new WeakMap<ArrayBufferLike, number>();
  private clock = 0;

  constructor(private readonly maxPerClass = MAX_PER_CLASS) {}

  /**
   * A buffer of n elements, reused when one of its class was released: zero-filled, or with
   * `zeroed` false holding stale values for a caller that overwrites every element.
   */
  take(n: number, zeroed = true): Float32Array {
    const size = sizeClass(n);
    const kept = n >= MIN_ELEMENTS ? this.free.get(size)?.pop() : undefined;
    if (kept === undefined) {
      const fresh = allocateFloat32(size, [n], 'buffer');
      return size === n ? fresh : fresh.subarray(0, n);
    }
    this.freeBytes -= kept.buffer.byteLength;
    const b = kept.length === n ? kept : new Float32Array(kept.buffer, 0, n);
    return zeroed ? b.fill(0) : b;
  }

  /**
   * Hands a buffer back for reuse; returns the release's stamp, or 0 when the pool did not keep
   * it. Only its sole owner may call this, and may read it again only after a successful
   * {@link reclaim}. Views into a buffer, other than one the pool handed out, are not kept.
   */
  release(b: Float32Array): number {
    const n = b.length;
    const bytes = b.buffer.byteLength;
    if (n < MIN_ELEMENTS || b.byteOffset !== 0 || bytes !== 4 * sizeClass(n)) return 0;
    if (this.freeBytes + bytes > MAX_BYTES) return 0;
    const size = bytes / 4;
    let list = this.free.get(size);
    if (list === undefined) {
      list = [];
      this.free.set(size, list);
    }
    if (list.length >= this.maxPerClass || list.some((k) => k.buffer === b.buffer)) return 0;
    list.push(b);
    this.freeBytes += bytes;
    this.stamps.set(b.buffer, ++this.clock);
    return this.clock;
  }

  /**
   * Takes back the buffer released with `stamp`, contents intact, if nobody has taken it since;
   * false when it was handed out again (even if released once more: its contents changed).
   */
  reclaim(b: Float32Array, stamp: number): boolean {
    const list = this.free.get(b.buffer.byteLength / 4);
    const i = list ? list.findIndex((k) => k.buffer === b.buffer) : -1;
    if (i < 0 || this.stamps.get(b.buffer) !== stamp) return false;
    list!.splice(i, 1);
    this.freeBytes -= b.buffer.byteLength;
    return true;
  }

  /** Bytes held for reuse. */
  get bytes(): number {
    return this.freeBytes;
  }

  /** Drops every held buffer (they become ordinary garbage). */
  clear(): void {
    this.free.clear();
    this.freeBytes = 0;
  }
}

/** Gradient buffers that live only during `backward()`. */
export const gradientPool = new BufferPool();

/**
 * State ops save for their backward. Only forwards take from it, so a saved buffer released
 * after a backward stays intact, for a second backward, until the next forward.
 */
export const savedStatePool = new BufferPool();

/** Outputs of the ops a training step runs; a model has several of one size (x and xᵀ). */
export const activationPool = new BufferPool(16);

/**
 * Buffers that only kioku's own tensors reach: a running step's op outputs and the engine's
 * leaf gradients. A tensor made over one anywhere else (a user's view, detach()) makes it shared,
 * and a shared buffer is never released.
 */
const owned = new WeakSet<TypedArray>();

/** What a training step does with the tensors it made (step.ts): free their graph, release their buffer. */
export interface StepTensor {
  gradFn: unknown;
  readonly storage: TypedArray;
  markReleased(): void;
}

/** A running training step: the output buffers its ops took and every tensor it made. */
export interface StepRecord {
  readonly buffers: Set<TypedArray>;
  readonly tensors: StepTensor[];
}

let running: StepRecord | null = null;

/** Starts recording a step; steps do not nest. Returns the record {@link endStepRecord} takes. */
export function beginStepRecord(): StepRecord | null {
  if (running !== null) return null;
  running = { buffers: new Set(), tensors: [] };
  return running;
}

/** Whether a training step is recording the tensors and buffers its ops make. */
export function isRecordingStep(): boolean {
  return running !== null;
}

/** Stops recording; the caller then retires the record's tensors and buffers. */
export function endStepRecord(record: StepRecord): void {
  if (running === record) running = null;
}

/**
 * An op's output buffer of n elements: fresh, or inside a training step taken from
 * {@link activationPool} and returned when the step ends. `zeroed` false skips the zero fill
 * (of a reused buffer, or of a fresh one where the runtime allows) for an op that writes every
 * element.
 */
export function outputBuffer(n: number, zeroed = true): Float32Array {
  if (running === null || n < MIN_ELEMENTS) {
    return zeroed ? allocateFloat32(n, [n], 'output') : allocateFloat32Unfilled(n, [n], 'output');
  }
  const b = activationPool.take(n, zeroed);
  running.buffers.add(b);
  owned.add(b);
  return b;
}

/**
 * Marks the buffer of a tensor just made by kioku (a leaf gradient) as reached by that tensor
 * alone, so a training step may release it once it drops the tensor.
 */
export function ownBuffer(data: Float32Array): void {
  owned.add(data);
}

/**
 * Called by every Tensor constructor: records a step's tensors. A buffer met outside its step,
 * or made into a leaf that requires a gradient (a parameter: the caller keeps it), is shared.
 */
export function noteTensor(t: StepTensor, data: TypedArray, leaf: boolean): void {
  if (running !== null) running.tensors.push(t);
  if (owned.has(data) && (leaf || !running?.buffers.has(data))) owned.delete(data);
}

/** Marks a buffer shared (a detached tensor over it may outlive the step): it is never released. */
export function shareBuffer(data: TypedArray): void {
  owned.delete(data);
}

/** Whether `data` may be released: nothing outside kioku's own tensors reaches it. */
export function isOwned(data: TypedArray): data is Float32Array {
  return owned.has(data);
}

/**
 * Returns an owned buffer to `pool`; it stops being owned until taken again. False when the pool
 * did not keep it (too small, or full): it is then left to the GC, and its tensors stay readable.
 */
export function releaseOwned(data: Float32Array, pool: BufferPool): boolean {
  owned.delete(data);
  return pool.release(data) > 0;
}
