import { afterAll, beforeAll, describe } from 'vitest';
import { nativeBackend } from '../../src/backend/native/index.js';
import { type BackendName, backend, setBackend } from '../../src/backend/registry.js';

/** Backends available in this process: 'js' always, 'native' when the addon loaded. */
export function availableBackends(): BackendName[] {
  return nativeBackend().addon ? ['js', 'native'] : ['js'];
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
