export { TorchFileError, UnsafePickleError } from './errors.js';
export type { PickleDict, PickleLimits, PickleTuple, PickleValue } from './pickle.js';
export {
  isTorchFile,
  type ReadTorchOptions,
  readTorchFile,
  type TorchLimits,
  type TorchValue,
} from './read.js';
export { type TorchStateDictOptions, torchStateDict } from './state-dict.js';
export { type TorchDType, TorchTensor } from './tensors.js';
