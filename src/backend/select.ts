import { ValueError } from '../tensor/errors.js';
import { activateNative, nativeBackend } from './native/index.js';
import { type BackendName, backend, setBackend } from './registry.js';

let initialised = false;

/**
 * Chooses the backend once per process: KIOKU_BACKEND=js or native forces one (native that
 * cannot load throws); unset, the native addon is used when it loads, else JS with a one-line
 * notice on stderr. Later calls return the current backend without doing anything.
 */
export function initBackend(): BackendName {
  if (initialised) return backend();
  const want = process.env.KIOKU_BACKEND ?? '';
  if (want !== '' && want !== 'js' && want !== 'native')
    throw new ValueError(`KIOKU_BACKEND must be 'js' or 'native', got '${want}'`);
  if (want === 'js') {
    setBackend('js');
  } else if (!activateNative()) {
    const { reason } = nativeBackend();
    if (want === 'native')
      throw new ValueError(
        `KIOKU_BACKEND=native, but the native addon could not be loaded (${reason}); build it with 'npm run build:native'`,
      );
    process.stderr.write(`kioku: native backend unavailable (${reason}); using the JS backend\n`);
  }
  initialised = true;
  return backend();
}
