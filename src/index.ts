// kioku's platform-neutral entry: tensors, ops, layers, optimizers and data tools, on the
// pure-TypeScript backend. Node gets `./node.ts`, which adds file I/O and the native backend.
export { type BackendName, backend, setBackend } from './backend/registry.js';
export * from './data/index.js';
export { type CellOptions, GRUCell, LSTMCell, RNNCell, type RNNCellOptions } from './nn/cells.js';
export { Dropout } from './nn/dropout.js';
export { Embedding, type EmbeddingOptions } from './nn/embedding.js';
export { fanInAndFanOut, kaimingUniform_, normal_, uniform_, zeros_ } from './nn/init.js';
export { Linear, type LinearOptions } from './nn/linear.js';
export {
  BCEWithLogitsLoss,
  type BCEWithLogitsOptions,
  bceWithLogitsLoss,
  CrossEntropyLoss,
  type CrossEntropyOptions,
  crossEntropy,
  HuberLoss,
  type HuberLossOptions,
  huberLoss,
  L1Loss,
  l1Loss,
  MSELoss,
  mseLoss,
  type Reduction,
  type ReductionOptions,
  type WeightLike,
} from './nn/losses.js';
export { type LoadStateDictOptions, Module, Parameter } from './nn/module.js';
export {
  GRU,
  LSTM,
  type LSTMOptions,
  type RecurrentForwardOptions,
  type RecurrentOptions,
  RNN,
  type RNNOptions,
} from './nn/rnn.js';
export { type Layer, Sequential } from './nn/sequential.js';
export * from './ops/index.js';
export * from './optim/index.js';
export { type GradFn, isGradEnabled, noGrad } from './tensor/autograd.js';
export {
  DTypeError,
  IndexError,
  KiokuError,
  ShapeError,
  StateDictError,
  ValueError,
} from './tensor/errors.js';
export { defaultGenerator, Generator, type GeneratorState, manualSeed } from './tensor/random.js';
export { rand, randint, randn, uniform } from './tensor/random-tensors.js';
export { formatShape, numel, type Shape } from './tensor/shape.js';
export { type DType, full, ones, scalar, Tensor, type TypedArray, tensor, zeros } from './tensor/tensor.js';
