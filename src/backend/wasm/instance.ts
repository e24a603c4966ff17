import { KiokuError } from '../../tensor/errors.js';
import { requireWasmApi, type WasmGlobal, type WasmMemory, type WasmModule } from './wasm-api.js';

/*
 * One instantiated kioku module (native/wasm/kioku-*.wasm) and its linear memory: the allocator
 * for the argument arena, the stack pointer a failed call leaves behind, and the host import
 * through which a C++ error becomes a JS one (native/src/wasm/abi.cc).
 */

/** What the module exports besides one function per native kernel (native/src/wasm/entry.cc). */
interface Exports {
  memory: WasmMemory;
  __stack_pointer: WasmGlobal;
  _initialize(): void;
  alloc(bytes: number): number;
  free(ptr: number): void;
  [kernel: string]: unknown;
}

// kioku.fail's kinds (abi.cc): 0 TypeError, 1 RangeError, 2 out of memory, 3 internal.
function failure(kind: number, message: string): Error {
  if (kind === 0) return new TypeError(message);
  if (kind === 1) return new RangeError(message);
  if (kind === 2) return new RangeError(`the WebAssembly backend ran out of memory (${message})`);
  return new KiokuError(`the WebAssembly backend failed: ${message}`);
}

/** WASI calls that libc's unused error printing links in; none runs, each reports ENOSYS. */
const ENOSYS = 52;
const WASI = { fd_write: () => ENOSYS, fd_seek: () => ENOSYS, fd_close: () => ENOSYS };

/** Views of the module's memory, remade whenever it grows (growing replaces the ArrayBuffer). */
export interface HeapViews {
  f64: Float64Array;
  f32: Float32Array;
  i32: Int32Array;
}

export class WasmInstance {
  exports!: Exports;
  private heap: HeapViews = { f64: new Float64Array(0), f32: new Float32Array(0), i32: new Int32Array(0) };
  private arena = 0;
  private arenaBytes = 0;

  constructor(module: WasmModule) {
    this.load(module);
  }

  /**
   * Instantiates `module` and makes it the one every call runs in from now on (a fresh memory:
   * the arena and the heap views start again).
   */
  load(module: WasmModule): void {
    let memory: WasmMemory | null = null;
    const imports = {
      kioku: {
        fail: (kind: number, ptr: number, length: number) => {
          const bytes = new Uint8Array(memory!.buffer, ptr, length);
          throw failure(kind, new TextDecoder().decode(bytes.slice()));
        },
      },
      wasi_snapshot_preview1: WASI,
    };
    this.exports = new (requireWasmApi().Instance)(module, imports).exports as unknown as Exports;
    memory = this.exports.memory;
    this.exports._initialize();
    this.arena = 0;
    this.arenaBytes = 0;
  }

  /** The module's memory, viewed as float64, float32 and int32. */
  views(): HeapViews {
    const buffer = this.exports.memory.buffer;
    if (this.heap.f64.buffer !== buffer)
      this.heap = {
        f64: new Float64Array(buffer),
        f32: new Float32Array(buffer),
        i32: new Int32Array(buffer),
      };
    return this.heap;
  }

  /**
   * A 16-byte aligned block of at least `bytes` for one call's arguments, reused by the next call:
   * it only grows (by half again), so a training loop's calls stop allocating after the first step.
   */
  arenaFor(bytes: number): number {
    if (bytes <= this.arenaBytes) return this.arena;
    if (this.arena) this.exports.free(this.arena);
    const size = Math.max(bytes, Math.ceil(this.arenaBytes * 1.5));
    this.arena = this.exports.alloc(size);
    this.arenaBytes = this.arena ? size : 0;
    if (!this.arena)
      throw new RangeError(
        `the WebAssembly backend ran out of memory (a call needs ${bytes} bytes of arguments)`,
      );
    return this.arena;
  }

  /** Runs a kernel export; any error (a kernel's own check, a trap) leaves the stack as it found it. */
  run(name: string, slots: number): void {
    const fn = this.exports[name] as (slots: number) => void;
    const sp = this.exports.__stack_pointer.value as number;
    try {
      fn(slots);
    } catch (err) {
      this.exports.__stack_pointer.value = sp;
      if (err instanceof requireWasmApi().RuntimeError)
        throw new KiokuError(
          `${name}: the WebAssembly kernel stopped (${err.message}); its outputs are unchanged`,
        );
      throw err;
    }
  }
}
