import { KiokuError } from '../../tensor/errors.js';
import { CONTRACT, KERNEL_NAMES, type Kernels } from '../contract.js';
import { type BackendName, backend, backendLabel, registerKernel, setBackend } from '../registry.js';
import { detectFlavor, sharedMemorySupported, type WasmFlavor, wasmUrl } from './features.js';
import { WasmInstance } from './instance.js';
import { wasmKernel } from './marshal.js';
import { type SpawnWorker, spawnWebWorker } from './threads.js';
import { requireWasmApi, type WasmApi, type WasmModule, wasmApi } from './wasm-api.js';

/*
 * The WebAssembly backend: the native kernels compiled for WebAssembly SIMD128
 * (scripts/build-wasm.sh), loaded from native/wasm/ and registered under 'wasm'. Platform-neutral:
 * a browser fetches the module, Node reads it through the file reader load-node.ts installs.
 */

export type { WasmFlavor } from './features.js';

/** A module to load: its URL, its bytes, a fetch Response, or a compiled WebAssembly.Module. */
export type WasmSource = string | URL | ArrayBuffer | ArrayBufferView | Response | WasmModule;

export interface WasmBackend {
  readonly instance: WasmInstance;
  /** Which build runs: 'relaxed' where the engine has relaxed SIMD, else 'simd128'. */
  readonly flavor: WasmFlavor;
}

/** Which WebAssembly build runs, and on how many threads. */
export interface WasmInfo {
  flavor: WasmFlavor;
  /** Whether it is the threaded build (shared memory, worker threads). */
  threaded: boolean;
  /**
   * Threads that take part in large products now: 1, or with the threaded build 1 + the workers
   * running (they start asynchronously; until then the caller does all the work).
   */
  threads: number;
}

let loaded: WasmBackend | null = null;
let readFile: ((url: URL) => Uint8Array) | null = null;

/** The loaded backend, or null before a load succeeded. */
export function wasmBackend(): WasmBackend | null {
  return loaded;
}

/** The loaded WebAssembly build and its threads, or null before a load succeeded. */
export function wasmInfo(): WasmInfo | null {
  if (!loaded) return null;
  const { instance, flavor } = loaded;
  return { flavor, threaded: instance.threaded, threads: instance.threads() };
}

/**
 * Gives the loaded threaded build `workers` worker threads (nothing for a one-thread build); a
 * worker that fails prints one line through `notice`. The calling thread waits for the workers'
 * tasks by blocking where it may (`callerMayWait`: Node, a Web Worker), else by polling.
 */
export function startWasmThreads(
  workers: number,
  spawn: SpawnWorker,
  notice: (line: string) => void,
  callerMayWait = true,
): void {
  loaded?.instance.startThreads(workers, spawn, notice, callerMayWait);
}

/** How `file:` URLs are read where there is a file system (set by load-node.ts in Node). */
export function setWasmFileReader(read: (url: URL) => Uint8Array): void {
  readFile = read;
}

/** Registers every native kernel of the contract under 'wasm', from a compiled module (once). */
export function installWasm(module: WasmModule, flavor: WasmFlavor): WasmBackend {
  if (loaded) return loaded;
  const instance = new WasmInstance(module);
  for (const name of KERNEL_NAMES) {
    const spec = CONTRACT[name];
    if (spec.native)
      registerKernel(name, 'wasm', wasmKernel(instance, name, spec) as unknown as Kernels[typeof name]);
  }
  loaded = { instance, flavor };
  return loaded;
}

/**
 * Runs the loaded backend's kernels on another build of the module from now on (tests and
 * benchmarks compare the builds this way; the engine must support the build's features).
 */
export function switchWasmBuild(module: WasmModule, flavor: WasmFlavor): void {
  // The worker threads of a threaded build stop with it; startWasmThreads gives the new one its own.
  if (!loaded) throw new KiokuError('switchWasmBuild: the WebAssembly backend is not loaded');
  loaded.instance.load(module);
  loaded = { instance: loaded.instance, flavor };
}

/** Why this engine cannot run the backend, or '' when it can. */
export function wasmUnsupported(): string {
  if (!wasmApi()) return 'this engine has no WebAssembly';
  return detectFlavor() ? '' : 'this engine has no WebAssembly SIMD';
}

/**
 * Compiles while the body downloads where the engine can (WebAssembly.compileStreaming, which needs
 * the server to send application/wasm). It is also the path on which Chromium caches the module's
 * optimized code: a page that loads kioku again starts on that code instead of compiling each
 * function on its first call and running it on baseline code until it has run enough.
 */
async function compileResponse(api: WasmApi, response: Response): Promise<WasmModule> {
  const wasmType = response.headers.get('content-type')?.split(';')[0]?.trim() === 'application/wasm';
  if (api.compileStreaming && wasmType) return api.compileStreaming(response);
  return api.compile(await response.arrayBuffer());
}

async function compile(source: WasmSource): Promise<WasmModule> {
  const api = requireWasmApi();
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return api.compile(source);
  if (typeof source === 'string' || source instanceof URL) {
    const base = (globalThis as { location?: { href: string } }).location?.href;
    const url = new URL(String(source), base);
    if (url.protocol === 'file:' && readFile) return api.compile(readFile(url));
    return compile(await fetch(url));
  }
  if (typeof Response === 'function' && source instanceof Response) {
    if (!source.ok) throw new KiokuError(`fetching ${source.url} gave HTTP ${source.status}`);
    return compileResponse(api, source);
  }
  return source as WasmModule;
}

/** Worker threads a page gives the threaded build: one per core but the caller's, at most 7. */
function browserWorkers(): number {
  const cores =
    (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  const canSpawn = typeof (globalThis as { Worker?: unknown }).Worker === 'function';
  return canSpawn && sharedMemorySupported() ? Math.min(Math.max(cores - 1, 0), 7) : 0;
}

/**
 * Loads the WebAssembly backend and makes it the active one; resolves to the backend in use. Without
 * a source, the build this engine supports is fetched from beside kioku (native/wasm/ in the
 * package): the threaded build where the page is cross-origin isolated (SharedArrayBuffer) and has
 * Web Workers, with one worker per further core; `source` may give the module, or a function that
 * picks one for the build wanted. A failed load leaves the backend as it was and prints a one-line
 * notice (console.warn).
 */
export async function initWasm(
  source?: WasmSource | ((flavor: WasmFlavor, threaded: boolean) => WasmSource),
): Promise<BackendName> {
  if (!loaded) {
    const flavor = detectFlavor();
    try {
      if (!flavor) throw new KiokuError(wasmUnsupported());
      const workers = browserWorkers();
      const chosen =
        typeof source === 'function' ? source(flavor, workers > 0) : (source ?? wasmUrl(flavor, workers > 0));
      installWasm(await compile(chosen), flavor);
      // A page's main thread may not block on memory.atomic.wait32; a Web Worker may.
      const onMainThread = typeof (globalThis as { document?: unknown }).document !== 'undefined';
      startWasmThreads(workers, spawnWebWorker, (line) => console.warn(line), !onMainThread);
    } catch (err) {
      const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
      console.warn(
        `kioku: WebAssembly backend unavailable (${reason}); using the ${backendLabel(backend())} backend`,
      );
      return backend();
    }
  }
  setBackend('wasm');
  return backend();
}
