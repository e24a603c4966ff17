import { KiokuError } from '../../tensor/errors.js';
import { type SpawnWorker, startWorkers, type WorkerEvents } from './threads.js';
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
  /** Threads taking part in large products now: 1, or in the threaded build 1 + started workers. */
  thread_count(): number;
  /** The threaded build only (native/src/wasm/pool.cc). */
  thread_tls_bytes?(): number;
  thread_stop?(): void;
  thread_caller_may_wait?(may: number): void;
  /** Stops the pool for good (a worker ended without a word); 1 if it was still running. */
  thread_abandon?(): number;
  /** Whether the pool has stopped for good since a worker was lost: then one thread runs everything. */
  thread_abandoned?(): number;
  /** How long the caller waits on a claimed task while none finishes before it takes its worker for dead. */
  thread_stall_ms?(ms: number): void;
  /** Tasks the workers have run so far. */
  thread_worker_tasks?(): number;
  [kernel: string]: unknown;
}

/**
 * The threaded build's memory, which it imports: shared, and as large as the one-thread builds'
 * (scripts/build-wasm.sh: --initial-memory 4 MiB, --max-memory 4 GiB, in 64 KiB pages).
 */
const SHARED_MEMORY = { initial: 64, maximum: 65536, shared: true };

/** A call the threaded build's pool failed: a worker was lost holding part of it (pool.cc). */
class WorkerLost extends KiokuError {}

// kioku.fail's kinds (abi.cc): 0 TypeError, 1 RangeError, 2 out of memory, 3 internal, 4 worker lost.
function failure(kind: number, message: string): Error {
  if (kind === 0) return new TypeError(message);
  if (kind === 1) return new RangeError(message);
  if (kind === 2) return new RangeError(`the WebAssembly backend ran out of memory (${message})`);
  if (kind === 4) return new WorkerLost(message);
  return new KiokuError(`the WebAssembly backend failed: ${message}`);
}

/** WASI calls that libc's unused error printing links in; none runs, each reports ENOSYS. */
const ENOSYS = 52;
const WASI = { fd_write: () => ENOSYS, fd_seek: () => ENOSYS, fd_close: () => ENOSYS };

const ONE_THREAD = 'the WebAssembly backend runs on one thread from now on';

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
  private module: WasmModule | null = null;
  private workers = 0;
  // Bumped whenever the workers are stopped on purpose, so their ends are told from a lost one's.
  private epoch = 0;
  private notice: (line: string) => void = () => {};

  constructor(module: WasmModule) {
    this.load(module);
  }

  /**
   * Instantiates `module` and makes it the one every call runs in from now on (a fresh memory:
   * the arena and the heap views start again).
   */
  load(module: WasmModule): void {
    this.stopThreads();
    const api = requireWasmApi();
    const threaded = api.Module.imports(module).some((i) => i.kind === 'memory');
    let memory: WasmMemory | null = threaded ? new api.Memory(SHARED_MEMORY) : null;
    const imports = {
      env: memory ? { memory } : {},
      kioku: {
        fail: (kind: number, ptr: number, length: number) => {
          const bytes = new Uint8Array(memory!.buffer, ptr, length);
          throw failure(kind, new TextDecoder().decode(bytes.slice()));
        },
        now: () => performance.now(),
      },
      wasi_snapshot_preview1: WASI,
    };
    this.exports = new api.Instance(module, imports).exports as unknown as Exports;
    memory = this.exports.memory;
    this.exports._initialize();
    this.module = module;
    this.arena = 0;
    this.arenaBytes = 0;
  }

  /** Whether this is the threaded build (which startThreads can give worker threads). */
  get threaded(): boolean {
    return this.exports.thread_stop !== undefined;
  }

  /**
   * Starts `workers` worker threads on the threaded build (each takes tasks of the large products
   * once it runs); `notice` gets one line if one fails. Until one runs, products run on the caller.
   * `callerMayWait`: the calling thread may block on memory.atomic.wait32 while the workers finish
   * (Node, a Web Worker; not a browser's main thread), rather than poll.
   */
  startThreads(
    workers: number,
    spawn: SpawnWorker,
    notice: (line: string) => void,
    callerMayWait: boolean,
  ): void {
    if (!this.threaded || workers < 1) return;
    this.notice = notice;
    this.exports.thread_caller_may_wait!(callerMayWait ? 1 : 0);
    const host = {
      module: this.module!,
      memory: this.exports.memory,
      allocate: (bytes: number) => {
        const block = this.exports.alloc(bytes);
        if (!block)
          throw new RangeError(`the WebAssembly backend ran out of memory (a worker's ${bytes} bytes)`);
        return block;
      },
      tlsBytes: () => this.exports.thread_tls_bytes!(),
    };
    startWorkers(host, workers, spawn, this.workerEvents());
    this.workers += workers;
  }

  /**
   * What a failed or ended worker does to this instance's pool. A worker that fails before it runs
   * leaves its share to the others; one lost after it ran (a trap in its loop, which stops the pool
   * in pool.cc; an end nobody asked for, which stops it here) leaves one thread: a one-line notice.
   */
  private workerEvents(): WorkerEvents {
    const epoch = this.epoch;
    // Whether this pool still runs (not stopped on purpose, nor already reported lost).
    const running = () => epoch === this.epoch && this.workers > 0;
    let reported = false;
    return {
      failed: (err) => {
        if (epoch !== this.epoch) return;
        const reason = err.message.split('\n')[0];
        if (this.exports.thread_abandoned!()) {
          this.threadsLost(`a WebAssembly worker thread failed (${reason})`);
        } else if (!reported) {
          reported = true;
          this.notice(
            `kioku: a WebAssembly worker thread failed (${reason}); its share of the work runs on the other threads`,
          );
        }
      },
      exited: () => {
        if (running() && this.exports.thread_abandon!())
          this.threadsLost('a WebAssembly worker thread ended');
      },
    };
  }

  /** The pool has stopped for good: the notice, once, and no workers to stop any more. */
  private threadsLost(what: string): void {
    if (this.workers === 0) return;
    this.workers = 0;
    this.notice(`kioku: ${what}; ${ONE_THREAD}`);
  }

  /** Ends the worker threads' loops (they finish no task: none runs between calls). */
  stopThreads(): void {
    if (this.workers > 0) this.exports.thread_stop?.();
    this.workers = 0;
    this.epoch++;
  }

  /** Threads that take part in large products now (1 until a started worker runs). */
  threads(): number {
    return this.exports.thread_count();
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
      if (err instanceof WorkerLost) {
        this.threadsLost('a WebAssembly worker thread stopped in the middle of a call');
        throw new KiokuError(
          `${name}: a WebAssembly worker thread stopped in the middle of its part of the work; its outputs are unchanged, and ${ONE_THREAD}`,
        );
      }
      if (err instanceof requireWasmApi().RuntimeError)
        throw new KiokuError(
          `${name}: the WebAssembly kernel stopped (${err.message}); its outputs are unchanged`,
        );
      throw err;
    }
  }
}
