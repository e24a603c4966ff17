import '../js/adam.js';
import '../js/binary.js';
import '../js/embedding.js';
import '../js/gemm.js';
import '../js/gru.js';
import '../js/lstm.js';
import '../js/rnn.js';
import '../js/shape.js';
import '../js/unary.js';
import { type KernelName, type Kernels, kernelFor, registerKernel, setBackend } from '../registry.js';
import { loadAddon, type NativeAddon } from './loader.js';

// Kernels the addon implements; each is registered only when the loaded build exports it.
const NATIVE_KERNELS = [
  'gemm',
  'binary',
  'sumToShape',
  'unary',
  'unaryBackward',
  'embeddingForward',
  'embeddingBackward',
  'adamStep',
  'gruForward',
  'gruBackward',
  'rnnForward',
  'rnnBackward',
  'permute',
] as const satisfies readonly KernelName[];

let registered: NativeAddon | null | undefined;

/**
 * The native addon with its kernels registered under 'native', or null when it cannot be loaded
 * (`reason` then says why). Loading and registration happen once.
 */
export function nativeBackend(): { addon: NativeAddon | null; reason: string } {
  const result = loadAddon();
  if (!result.ok) {
    registered = null;
    return { addon: null, reason: result.reason };
  }
  if (registered === undefined) {
    const addon = result.addon;
    for (const name of NATIVE_KERNELS) {
      const fn = addon[name];
      if (typeof fn === 'function') registerKernel(name, 'native', fn as Kernels[typeof name]);
    }
    registerLstm(addon);
    registered = addon;
  }
  return { addon: result.addon, reason: '' };
}

// The addon's LSTM has no projection (P = 0); projected layers keep the JS reference kernel.
function registerLstm(addon: NativeAddon): void {
  const fwd = addon.lstmForward;
  const bwd = addon.lstmBackward;
  const jsFwd = kernelFor('lstmForward', 'js');
  const jsBwd = kernelFor('lstmBackward', 'js');
  if (!fwd || !bwd || !jsFwd || !jsBwd) return;
  registerKernel('lstmForward', 'native', (...args: Parameters<Kernels['lstmForward']>) =>
    args[4] > 0 ? jsFwd(...args) : fwd(...args),
  );
  registerKernel('lstmBackward', 'native', (...args: Parameters<Kernels['lstmBackward']>) =>
    args[4] > 0 ? jsBwd(...args) : bwd(...args),
  );
}

/** Loads the addon and makes 'native' the active backend; false (and JS stays active) when unavailable. */
export function activateNative(): boolean {
  if (nativeBackend().addon === null) return false;
  setBackend('native');
  return true;
}
