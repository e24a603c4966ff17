import { type BackendName, backend, setBackend } from '../backend/registry.js';
import { initWasm } from '../backend/wasm/index.js';

/**
 * The backend a browser (or a Web Worker) trains and predicts on, chosen once: the first of
 * {@link BROWSER_BACKENDS} that loads. WebAssembly goes first (initWasm fetches the build this
 * engine runs from beside kioku, or says in one line why it cannot); the pure-TypeScript backend
 * always loads, so it closes the list.
 */

interface BrowserBackend {
  name: BackendName;
  /** Loads the backend; false (or a throw) when it cannot run here. */
  load(): Promise<boolean>;
}

export const BROWSER_BACKENDS: readonly BrowserBackend[] = [
  { name: 'wasm', load: async () => (await initWasm()) === 'wasm' },
  { name: 'js', load: async () => true },
];

let chosen: Promise<BackendName> | null = null;

async function choose(): Promise<BackendName> {
  for (const candidate of BROWSER_BACKENDS) {
    if (await candidate.load().catch(() => false)) {
      setBackend(candidate.name);
      return candidate.name;
    }
  }
  return backend();
}

/** Selects the best backend this browser runs (once; later calls return the same choice). */
export function initBrowserBackend(): Promise<BackendName> {
  chosen ??= choose();
  return chosen;
}
