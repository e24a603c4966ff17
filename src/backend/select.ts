import { ValueError } from '../tensor/errors.js';
import { type BackendName, backend, backendLabel, setBackend } from './registry.js';

/**
 * What a platform entry asks for. The Node entry (src/backend/native/init.ts) fills it from
 * KIOKU_BACKEND, the addon and the WebAssembly module; this module reads no environment and loads
 * nothing itself.
 */
export interface BackendChoice {
  /** 'js', 'native' or 'wasm' forces that backend; '' uses the first that loads: native, wasm, JS. */
  want: string;
  /** Where `want` came from, for messages ('KIOKU_BACKEND'). */
  source: string;
  /** Makes the native backend active: '' when it did, else why it could not; null where there is none. */
  activateNative: (() => string) | null;
  /** Makes the WebAssembly backend active: '' when it did, else why it could not; null where there is none. */
  activateWasm?: (() => string) | null;
  /** Receives the one-line notice that a faster backend is unavailable and which one is used. */
  notice: (line: string) => void;
}

let initialised = false;

const BUILD_HINT: Record<string, string> = {
  native: "build it with 'npm run build:native'",
  wasm: "rebuild it with 'npm run build:wasm'",
};

/**
 * Chooses the backend once per process; later calls return the current backend without doing
 * anything. A forced backend that cannot load throws.
 */
export function chooseBackend(choice: BackendChoice): BackendName {
  if (initialised) return backend();
  const { want, source } = choice;
  if (want !== '' && want !== 'js' && want !== 'native' && want !== 'wasm')
    throw new ValueError(`${source} must be 'js', 'native' or 'wasm', got '${want}'`);
  const loaders: [BackendName, (() => string) | null | undefined][] = [
    ['native', choice.activateNative],
    ['wasm', choice.activateWasm],
  ];
  const unavailable: string[] = [];
  for (const [name, activate] of loaders) {
    if (want !== '' && want !== name) continue;
    const reason = activate ? activate() : `no ${name} backend on this platform`;
    if (reason === '') break;
    if (want === name)
      throw new ValueError(
        `${source}=${name}, but the ${backendLabel(name)} backend could not be loaded (${reason}); ${BUILD_HINT[name]}`,
      );
    unavailable.push(`${backendLabel(name)} backend unavailable (${reason})`);
  }
  if (want === 'js') setBackend('js');
  if (unavailable.length > 0)
    choice.notice(`kioku: ${unavailable.join('; ')}; using the ${backendLabel(backend())} backend\n`);
  initialised = true;
  return backend();
}
