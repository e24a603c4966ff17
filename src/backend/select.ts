import { ValueError } from '../tensor/errors.js';
import { type BackendName, backend, setBackend } from './registry.js';

/**
 * What a platform entry asks for. The Node entry (src/backend/native/init.ts) fills it from
 * KIOKU_BACKEND and the addon; this module reads no environment and loads nothing itself.
 */
export interface BackendChoice {
  /** 'js' or 'native' forces that backend; '' uses native when it loads, else JS. */
  want: string;
  /** Where `want` came from, for messages ('KIOKU_BACKEND'). */
  source: string;
  /** Makes the native backend active: '' when it did, else why it could not; null where there is none. */
  activateNative: (() => string) | null;
  /** Receives the one-line notice that native is unavailable and JS is used. */
  notice: (line: string) => void;
}

let initialised = false;

/**
 * Chooses the backend once per process; later calls return the current backend without doing
 * anything. A forced native backend that cannot load throws.
 */
export function chooseBackend(choice: BackendChoice): BackendName {
  if (initialised) return backend();
  const { want, source } = choice;
  if (want !== '' && want !== 'js' && want !== 'native')
    throw new ValueError(`${source} must be 'js' or 'native', got '${want}'`);
  if (want === 'js') {
    setBackend('js');
  } else {
    const reason = choice.activateNative ? choice.activateNative() : 'no native backend on this platform';
    if (reason !== '' && want === 'native')
      throw new ValueError(
        `${source}=native, but the native addon could not be loaded (${reason}); build it with 'npm run build:native'`,
      );
    if (reason !== '') choice.notice(`kioku: native backend unavailable (${reason}); using the JS backend\n`);
  }
  initialised = true;
  return backend();
}
