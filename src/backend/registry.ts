import { KiokuError } from '../tensor/errors.js';
import type { KernelName, Kernels } from './contract.js';

export type { KernelArgs, KernelName, Kernels } from './contract.js';
export type BackendName = 'js' | 'native' | 'wasm';

const LABEL: Record<BackendName, string> = { js: 'JS', native: 'native', wasm: 'WebAssembly' };

/** A backend's name as notices write it: 'JS', 'native', 'WebAssembly'. */
export const backendLabel = (name: BackendName): string => LABEL[name];

const registry = new Map<string, Map<string, unknown>>();
let activeBackend: BackendName = 'js';

/**
 * The resolved kernels of the active backend; ops call `kernels.gemm(…)`. Properties are
 * rebound when a backend or kernel changes, so the lookup on the hot path is a field read.
 */
export const kernels = {} as Kernels;

/**
 * Registers `fn` as `name` for `backend`. Registering a key twice is a bug and throws. (TypeScript
 * accepts a function with fewer parameters than the contract's; test/backend/contract.test.ts checks
 * every kernel's arity.)
 */
export function registerKernel<K extends KernelName>(name: K, backend: BackendName, fn: Kernels[K]): void {
  let byBackend = registry.get(name);
  if (byBackend === undefined) {
    byBackend = new Map();
    registry.set(name, byBackend);
  }
  if (byBackend.has(backend))
    throw new KiokuError(`registerKernel: ${name} is already registered for ${backend}`);
  byBackend.set(backend, fn);
  bind(name);
}

/** Selects the backend whose kernels ops use; kernels it lacks fall back to the JS reference. */
export function setBackend(name: BackendName): void {
  activeBackend = name;
  for (const kernel of registry.keys()) bind(kernel);
}

/** The backend in use. */
export function backend(): BackendName {
  return activeBackend;
}

/** The kernel `name` as registered for `backend` (tests compare backends with it). */
export function kernelFor<K extends KernelName>(name: K, backendName: BackendName): Kernels[K] | undefined {
  return registry.get(name)?.get(backendName) as Kernels[K] | undefined;
}

function bind(name: string): void {
  const byBackend = registry.get(name)!;
  const fn = byBackend.get(activeBackend) ?? byBackend.get('js');
  (kernels as unknown as Record<string, unknown>)[name] = fn;
}
