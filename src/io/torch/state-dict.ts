import { ValueError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { toKiokuTensor } from '../safetensors.js';
import { TorchFileError } from './errors.js';
import { kind } from './pickle.js';
import { type ReadTorchOptions, readTorchFile, type TorchValue } from './read.js';
import { TorchTensor } from './tensors.js';

export interface TorchStateDictOptions extends ReadTorchOptions {
  /**
   * The top-level key holding the state_dict when the file is a checkpoint dict
   * (`torch.save({'model': model.state_dict(), 'optimizer': …})` → key 'model').
   */
  key?: string;
}

const isTensorDict = (v: TorchValue): v is Map<string, TorchTensor> =>
  v instanceof Map &&
  v.size > 0 &&
  [...v].every(([k, t]) => typeof k === 'string' && t instanceof TorchTensor);

/** Top-level keys of a checkpoint dict whose values are state_dicts, to suggest as `key`. */
function stateDictKeys(root: TorchValue): string[] {
  if (!(root instanceof Map)) return [];
  return [...root].filter(([k, v]) => typeof k === 'string' && isTensorDict(v)).map(([k]) => k as string);
}

/**
 * The state_dict in a torch.save file as kioku tensors keyed by name: floating dtypes as
 * float32, integer and bool dtypes as int32 (range-checked). The file must hold a dict of
 * tensors, or a dict holding one under `key`. Load the result with `model.loadStateDict(...)`.
 */
export function torchStateDict(
  bytes: Uint8Array,
  options: TorchStateDictOptions = {},
): Record<string, Tensor> {
  const { key, ...readOptions } = options;
  if (key !== undefined && (typeof key !== 'string' || key === '')) {
    throw new ValueError(`torchStateDict: key must be a non-empty string, got ${String(key)}`);
  }
  const where = options.source === undefined ? 'torch file' : `torch file "${options.source}"`;
  const root = readTorchFile(bytes, readOptions);
  let dict: TorchValue = root;
  if (key !== undefined) {
    if (!(root instanceof Map) || !root.has(key)) {
      const keys = root instanceof Map ? [...root.keys()].map((k) => kind(k)).join(', ') : kind(root);
      throw new TorchFileError(`${where}: has no top-level key "${key}" (it holds ${keys})`);
    }
    dict = root.get(key)!;
  }
  if (!isTensorDict(dict)) {
    const suggestions = key === undefined ? stateDictKeys(root) : [];
    const what = dict instanceof Map ? describeEntries(dict) : kind(dict);
    throw new TorchFileError(
      `${where}${key === undefined ? '' : ` key "${key}"`}: expected a state_dict (a dict of tensors), found ${what}` +
        (suggestions.length ? `; pass key: ${suggestions.map((s) => JSON.stringify(s)).join(' or ')}` : ''),
    );
  }
  // fromEntries defines each key, so a tensor named "__proto__" is stored and not taken as the prototype.
  return Object.fromEntries(Array.from(dict, ([name, t]) => [name, toKiokuTensor(t, name)]));
}

function describeEntries(dict: Map<TorchValue, TorchValue>): string {
  if (dict.size === 0) return 'an empty dict';
  const parts = [...dict]
    .slice(0, 4)
    .map(([k, v]) => `${typeof k === 'string' ? JSON.stringify(k) : kind(k)}: ${kind(v)}`);
  return `a dict of ${parts.join(', ')}${dict.size > 4 ? ', …' : ''}`;
}
