import { readFileSync } from 'node:fs';
import { detectFlavor, wasmUrl } from './features.js';
import { installWasm, setWasmFileReader, wasmBackend, wasmUnsupported } from './index.js';
import { requireWasmApi } from './wasm-api.js';

/*
 * The WebAssembly backend in Node: the module is read from the package and compiled synchronously,
 * so the Node entry can choose it on import (src/backend/native/init.ts), and initWasm() reads
 * file: URLs from disk.
 */

setWasmFileReader((url) => readFileSync(url));

/** Loads the backend (once) without making it active: '' when it loaded, else why it could not. */
export function loadWasmSync(): string {
  if (wasmBackend()) return '';
  const flavor = detectFlavor();
  if (!flavor) return wasmUnsupported();
  try {
    installWasm(new (requireWasmApi().Module)(readFileSync(wasmUrl(flavor))), flavor);
    return '';
  } catch (err) {
    return err instanceof Error ? err.message.split('\n')[0]! : String(err);
  }
}
