import type { WasmModule } from './wasm-api.js';

/*
 * The worker threads of the threaded build (native/wasm/kioku-*-threads.wasm): each worker
 * instantiates the same module on the same shared memory, with a stack and a thread_local block of
 * its own that the calling instance allocates, and enters the module's thread_run, a loop that
 * waits on memory.atomic.wait32 and takes tasks of the large products (native/src/wasm/pool.cc).
 * Products never wait for a worker to start: until one runs, the caller takes every task itself.
 */

/**
 * How a platform starts one worker from a script's source (Node's worker_threads, a Web Worker):
 * `onError` is called if the worker fails (an exception in its script, a failed start), `onExit`
 * when its thread ends (Node's 'exit'; a platform without such an event never calls it). A worker
 * must not keep the process alive (Node: unref).
 */
export type SpawnWorker = (
  source: string,
  onError: (err: Error) => void,
  onExit: () => void,
) => { postMessage(message: unknown): void };

/** Web Workers from a Blob URL (browsers; the threaded build needs a cross-origin-isolated page). */
export const spawnWebWorker: SpawnWorker = (source, onError) => {
  const g = globalThis as unknown as {
    Worker: new (
      url: string,
    ) => { postMessage(m: unknown): void; onerror: ((e: { message?: string }) => void) | null };
    URL: { createObjectURL(blob: unknown): string };
    Blob: new (parts: string[], options: { type: string }) => unknown;
  };
  const script = `${source}\nself.onmessage = (event) => start(event.data);\n`;
  const worker = new g.Worker(g.URL.createObjectURL(new g.Blob([script], { type: 'text/javascript' })));
  worker.onerror = (e) => onError(new Error(e.message ?? 'the worker failed'));
  return worker;
};

/** Bytes of each worker's stack: a task needs a few KiB (GEMM edge tiles, packing offsets). */
export const WORKER_STACK_BYTES = 256 << 10;

/**
 * The script a worker runs: `start` takes one message (the module, the memory and the worker's
 * block: its stack, then its thread_local data) and enters the module's loop, which returns only
 * when the pool stops (pool.cc's thread_stop). If the loop throws (a trap in a task), the worker
 * tells the pool, whose caller then stops waiting for its task and falls back to one thread, and
 * rethrows for the platform's error event. Plain JavaScript; each platform's spawner adds the line
 * that listens for the message.
 */
export const WORKER_SOURCE = `
'use strict';
const start = ({ module, memory, block, stackBytes }) => {
  const fail = (kind, ptr, length) => {
    const text = new TextDecoder().decode(new Uint8Array(memory.buffer, ptr, length).slice());
    throw new Error('kioku WebAssembly worker: ' + text);
  };
  const enosys = () => 52;
  const { exports } = new WebAssembly.Instance(module, {
    env: { memory },
    kioku: { fail, now: () => performance.now() },
    wasi_snapshot_preview1: { fd_write: enosys, fd_seek: enosys, fd_close: enosys },
  });
  const top = block + stackBytes;
  exports.__stack_pointer.value = top;
  try {
    exports.thread_run(top);
  } catch (err) {
    exports.__stack_pointer.value = top;
    exports.thread_lost();
    throw err;
  }
};
`;

/** The calling instance's side: what a worker needs from it. */
export interface ThreadHost {
  module: WasmModule;
  memory: unknown;
  /** A 16-byte aligned block of `bytes` in the shared memory, for a worker's stack and thread_local data. */
  allocate(bytes: number): number;
  /** Bytes of the module's thread_local data. */
  tlsBytes(): number;
}

/** What happens to the workers of one start: each failure or end is reported here. */
export interface WorkerEvents {
  /** A worker's script threw: before it ran (a failed start) or in the module's loop. */
  failed(err: Error): void;
  /** A worker's thread ended without a failure (platforms without the event never call it). */
  exited(): void;
}

/** Starts `count` workers on `host`'s module and memory, reporting what befalls them to `events`. */
export function startWorkers(
  host: ThreadHost,
  count: number,
  spawn: SpawnWorker,
  events: WorkerEvents,
): void {
  const bytes = WORKER_STACK_BYTES + host.tlsBytes();
  for (let i = 0; i < count; i++) {
    const block = host.allocate(bytes);
    let failed = false;
    const worker = spawn(
      WORKER_SOURCE,
      (err) => {
        failed = true;
        events.failed(err);
      },
      () => {
        if (!failed) events.exited();
      },
    );
    worker.postMessage({ module: host.module, memory: host.memory, block, stackBytes: WORKER_STACK_BYTES });
  }
}
