/*
 * Reuse of large float32 buffers that never reach a Tensor: the autograd engine's intermediate
 * gradients and the state an op saves for its backward. V8 frees an ArrayBuffer only when a GC
 * runs, so a training loop that allocates these afresh every step carries a few steps of
 * garbage at its peak; their single owner returns them here once provably dead and the next
 * step takes them back.
 */

/** Below this many elements a fresh allocation is as cheap as the bookkeeping. */
const MIN_ELEMENTS = 1 << 14;
/** Free buffers kept per length and in all; past these a released buffer is left to the GC. */
const MAX_PER_LENGTH = 4;
const MAX_BYTES = 128 << 20;

/** Free float32 buffers by length. */
export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private freeBytes = 0;
  // Each release gets a new stamp, so a buffer handed out and released again is told apart.
  private readonly stamps = new WeakMap<Float32Array, number>();
  private clock = 0;

  /** A zero-filled buffer of n elements, reused when one was released. */
  take(n: number): Float32Array {
    const b = n >= MIN_ELEMENTS ? this.free.get(n)?.pop() : undefined;
    if (b === undefined) return new Float32Array(n);
    this.freeBytes -= b.byteLength;
    return b.fill(0);
  }

  /**
   * Hands a buffer back for reuse; returns the release's stamp, or 0 when the pool did not keep
   * it. Only its sole owner may call this, and may read it again only after a successful
   * {@link reclaim}. Views are not kept.
   */
  release(b: Float32Array): number {
    const n = b.length;
    if (n < MIN_ELEMENTS || b.byteOffset !== 0 || b.buffer.byteLength !== b.byteLength) return 0;
    if (this.freeBytes + b.byteLength > MAX_BYTES) return 0;
    let list = this.free.get(n);
    if (list === undefined) {
      list = [];
      this.free.set(n, list);
    }
    if (list.length >= MAX_PER_LENGTH || list.includes(b)) return 0;
    list.push(b);
    this.freeBytes += b.byteLength;
    this.stamps.set(b, ++this.clock);
    return this.clock;
  }

  /**
   * Takes back the buffer released with `stamp`, contents intact, if nobody has taken it since;
   * false when it was handed out again (even if released once more: its contents changed).
   */
  reclaim(b: Float32Array, stamp: number): boolean {
    const list = this.free.get(b.length);
    const i = list ? list.indexOf(b) : -1;
    if (i < 0 || this.stamps.get(b) !== stamp) return false;
    list!.splice(i, 1);
    this.freeBytes -= b.byteLength;
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
