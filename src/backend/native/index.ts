import '../js/adam.js';
import '../js/binary.js';
import '../js/embedding.js';
import '../js/gemm.js';
import '../js/gru.js';
import '../js/lstm.js';
import '../js/rnn.js';
import '../js/shape.js';
import '../js/unary.js';
import { CONTRACT, KERNEL_NAMES, type Kernels } from '../contract.js';
import { type FrozenRecurrent, type RecurrentWeightArrays, registerFreezer } from '../frozen.js';
import { registerKernel, setBackend } from '../registry.js';
import { withBoundSteps } from './bound.js';
import { loadAddon, type NativeAddon } from './loader.js';

// The kernels a streaming step calls with the same arrays at every step (bound.ts).
const STEP_KERNELS = new Set<string>(['lstmForward', 'gruForward', 'rnnForward']);

let registered: NativeAddon | null | undefined;

/**
 * The native addon with its kernels registered under 'native', or null when it cannot be loaded
 * (`reason` then says why). Loading and registration happen once. The addon binds every kernel
 * the contract marks native (native/src/generated/contract.h); the rest fall back to JS. The
 * recurrent forward kernels run repeated one-step calls through bound arguments (bound.ts).
 */
export function nativeBackend(): { addon: NativeAddon | null; reason: string } {
  const result = loadAddon();
  if (!result.ok) {
    registered = null;
    return { addon: null, reason: result.reason };
  }
  if (registered === undefined) {
    const addon = result.addon as unknown as Partial<Record<string, unknown>>;
    for (const name of KERNEL_NAMES) {
      let fn = addon[name];
      if (!CONTRACT[name].native || typeof fn !== 'function') continue;
      const bind = result.addon.bind?.[name];
      if (STEP_KERNELS.has(name) && bind) {
        fn = withBoundSteps(fn as (...args: unknown[]) => void, { bind, runBound: result.addon.runBound });
      }
      registerKernel(name, 'native', fn as Kernels[typeof name]);
    }
    registerNativeFreezer(result.addon);
    registered = result.addon;
  }
  return { addon: result.addon, reason: '' };
}

/** Frozen weights on the addon: a handle to its copy, passed after each forward's arguments. */
function registerNativeFreezer(addon: NativeAddon): void {
  const { freezeRecurrent, frozen } = addon;
  if (!freezeRecurrent || !frozen) return;
  registerFreezer('native', (w: RecurrentWeightArrays): FrozenRecurrent => {
    const handle = freezeRecurrent(w.G, w.E, w.R, w.H, w.P, w.wIh, w.wHh, w.bIh, w.bHh, w.wHr);
    return {
      backend: 'native',
      lstmForward: (...args) => frozen.lstmForward(...args, handle),
      gruForward: (...args) => frozen.gruForward(...args, handle),
      rnnForward: (...args) => frozen.rnnForward(...args, handle),
    };
  });
}

/** Loads the addon and makes 'native' the active backend; false (and JS stays active) when unavailable. */
export function activateNative(): boolean {
  if (nativeBackend().addon === null) return false;
  setBackend('native');
  return true;
}
