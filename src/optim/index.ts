export { Adam, type AdamHyper, type AdamOptions, AdamW } from './adam.js';
export { type ClipGradNormOptions, clipGradNorm, clipGradValue } from './clip.js';
export {
  type BaseHyper,
  type HyperValue,
  Optimizer,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamState,
  type ParamsArg,
} from './optimizer.js';
export { RMSprop, type RMSpropHyper, type RMSpropOptions } from './rmsprop.js';
export {
  CosineAnnealingLR,
  type CosineAnnealingLROptions,
  ExponentialLR,
  LinearLR,
  LinearWarmup,
  type LinearWarmupOptions,
  LRScheduler,
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
  type SchedulerStateDict,
  StepLR,
  type StepLROptions,
} from './schedulers.js';
export { SGD, type SGDHyper, type SGDOptions } from './sgd.js';
export { SparseAdam, type SparseAdamHyper, type SparseAdamOptions } from './sparse-adam.js';
