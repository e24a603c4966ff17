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
import { registerKernel, setBackend } from '../registry.js';
import { loadAddon, type NativeAddon } from './loader.js';

let registered: NativeAddon | null | undefined;

/**
 * The native addon with its kernels registered under 'native', or null when it cannot be loaded
 * (`reason` then says why). Loading and registration happen once. The addon binds every kernel
 * the contract marks native (native/src/generated/contract.h); the rest fall back to JS.
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
      const fn = addon[name];
      if (CONTRACT[name].native && typeof fn === 'function')
        registerKernel(name, 'native', fn as Kernels[typeof name]);
    }
    registered = result.addon;
  }
  return { addon: result.addon, reason: '' };
}

/** Loads the addon and makes 'native' the active backend; false (and JS stays active) when unavailable. */
export function activateNative(): boolean {
  if (nativeBackend().addon === null) return false;
  setBackend('native');
  return true;
}
