import type { BackendName } from '../registry.js';
import { setBackend } from '../registry.js';
import { chooseBackend } from '../select.js';
import { loadWasmSync } from '../wasm/load-node.js';
import { activateNative, nativeBackend } from './index.js';

/**
 * Node's backend choice, once per process: KIOKU_BACKEND=js, native or wasm forces one (one that
 * cannot load throws); unset, the native addon is used when it loads, else the WebAssembly module,
 * else JS, with a one-line notice on stderr. KIOKU_NUM_THREADS and KIOKU_ISA are read when the
 * addon loads (loader.ts).
 */
export function initBackend(): BackendName {
  return chooseBackend({
    want: process.env.KIOKU_BACKEND ?? '',
    source: 'KIOKU_BACKEND',
    activateNative: () => (activateNative() ? '' : nativeBackend().reason),
    activateWasm: () => {
      const reason = loadWasmSync();
      if (reason === '') setBackend('wasm');
      return reason;
    },
    notice: (line) => process.stderr.write(line),
  });
}
