import { afterAll, beforeAll, describe } from 'vitest';
import { nativeBackend } from '../../src/backend/native/index.js';
import { type BackendName, backend, setBackend } from '../../src/backend/registry.js';
import { loadWasmSync } from '../../src/backend/wasm/load-node.js';

/**
 * Every backend the suites run on, with whether it is available in this process. Adding a backend
 * (WebAssembly next) is one line here; each suite written with describeEachBackend then covers it.
 */
const BACKENDS: Record<BackendName, () => boolean> = {
  js: () => true,
  native: () => nativeBackend().addon !== null,
  wasm: () => loadWasmSync() === '',
};

/** Backends available in this process: 'js' always, 'native' and 'wasm' when they load. */
export function availableBackends(): BackendName[] {
  return (Object.keys(BACKENDS) as BackendName[]).filter((b) => BACKENDS[b]());
}

/**
 * The instruction sets a backend's kernels can be run with, lowest first (native: every one this
 * build and CPU run; JS: the one it has, named '').
 */
export function isasOf(name: BackendName): string[] {
  const addon = name === 'native' ? nativeBackend().addon : null;
  return addon ? addon.info().isas : [''];
}

/** Runs fn with `isa` active on the native addon ('' leaves it), restoring the best one after. */
export function withIsa<T>(isa: string, fn: () => T): T {
  const addon = nativeBackend().addon;
  if (!addon || isa === '') return fn();
  addon.setIsa(isa as Parameters<typeof addon.setIsa>[0]);
  try {
    return fn();
  } finally {
    addon.setIsa(addon.info().detectedIsa);
  }
}

/**
 * Repeats a suite once per available backend (`name [js]`, `name [native]`), making that backend
 * active for the suite's tests and restoring the previous one afterwards.
 */
export function describeEachBackend(name: string, fn: (backend: BackendName) => void): void {
  for (const b of availableBackends()) {
    describe(`${name} [${b}]`, () => {
      let previous: BackendName = 'js';
      beforeAll(() => {
        previous = backend();
        setBackend(b);
      });
      afterAll(() => setBackend(previous));
      fn(b);
    });
  }
}
