import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { threadCount } from '../native/loader.js';
import { detectFlavor, sharedMemorySupported, type WasmFlavor, wasmUrl } from './features.js';
import { installWasm, setWasmFileReader, startWasmThreads, wasmBackend, wasmUnsupported } from './index.js';
import type { SpawnWorker } from './threads.js';
import { requireWasmApi } from './wasm-api.js';

/*
 * The WebAssembly backend in Node: the module is read from the package and compiled synchronously,
 * so the Node entry can choose it on import (src/backend/native/init.ts), and initWasm() reads
 * file: URLs from disk. With more than one thread (KIOKU_NUM_THREADS, default
 * os.availableParallelism(), as for the native addon) the threaded build runs, its workers on
 * worker_threads; with one, or where it cannot load, the one-thread build.
 */

setWasmFileReader((url) => readFileSync(url));

/** worker_threads workers that never keep the process alive. */
export const spawnNodeWorker: SpawnWorker = (source, onError, onExit) => {
  // A dynamic import works whether Node evaluates the script as CommonJS or (under a loader) as a module.
  const listen = "import('node:worker_threads').then((w) => w.parentPort.once('message', start));";
  const worker = new Worker(`${source}\n${listen}\n`, { eval: true });
  worker.on('error', onError);
  worker.on('exit', onExit);
  worker.unref();
  return worker;
};

const notice = (line: string) => process.stderr.write(`${line}\n`);

function install(flavor: WasmFlavor, threaded: boolean): void {
  installWasm(new (requireWasmApi().Module)(readFileSync(wasmUrl(flavor, threaded))), flavor);
}

/** Loads the backend (once) without making it active: '' when it loaded, else why it could not. */
export function loadWasmSync(): string {
  if (wasmBackend()) return '';
  const flavor = detectFlavor();
  if (!flavor) return wasmUnsupported();
  const threads = threadCount();
  if (threads > 1 && sharedMemorySupported()) {
    try {
      install(flavor, true);
      startWasmThreads(threads - 1, spawnNodeWorker, notice);
      return '';
    } catch (err) {
      const reason = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      notice(`kioku: the threaded WebAssembly build is unavailable (${reason}); using one thread`);
    }
  }
  try {
    install(flavor, false);
    return '';
  } catch (err) {
    return err instanceof Error ? err.message.split('\n')[0]! : String(err);
  }
}
