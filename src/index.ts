// kioku's platform-neutral entry: tensors, ops, layers, optimizers and data tools, on the
// pure-TypeScript backend. Node gets `./node.ts`, which adds file I/O and the native backend.
export { type BackendName, backend, setBackend } from './backend/registry.js';
export { initWasm, type WasmFlavor, type WasmInfo, type WasmSource, wasmInfo } from './backend/wasm/index.js';
export * from './browser/index.js';
export * from './data/forecasting.js';
export * from './data/index.js';
export { htmlToText, type MimeTextOptions, mimeText, utf8ToBytes } from './io/datasets/mime.js';
export {
  CONFIG_FILE,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type ModelConfig,
  type ModelConfigInput,
  ModelDirError,
  parseModelConfig,
  validateModelConfig,
  WEIGHTS_FILE,
} from './io/model-config.js';
export {
  type LoadedModelDir,
  loadWeightsInto,
  MODEL_FILES,
  type ModelFiles,
  type ModelFromFilesOptions,
  modelFromFiles,
  modelToFiles,
  type SaveModelDirOptions,
  type TrainingState as SavedTrainingState,
} from './io/model-format.js';
export { exportOnnx, type OnnxExportable, type OnnxExportOptions } from './io/onnx/index.js';
export { type PytorchExportable, pytorchFiles } from './io/pytorch.js';
export { exportPytorchProject } from './io/pytorch-project/project.js';
export type { ProjectSettings, PytorchProjectOptions } from './io/pytorch-project/settings.js';
export {
  dtypeBytes,
  isSafetensorsDType,
  MAX_HEADER_BYTES,
  type ParseOptions,
  parseSafetensors,
  type SafetensorsDType,
  SafetensorsError,
  type SafetensorsFile,
  type SafetensorsInput,
  type SafetensorsTensor,
  serializeSafetensors,
  toFloat32,
  toInt32,
  toKiokuTensor,
  toStateDict,
} from './io/safetensors.js';
export {
  exportTfjs,
  fromKerasWeights,
  importTfjs,
  type KerasRecurrentWeights,
  type TfjsArtifacts,
  TfjsFormatError,
  type TfjsModelJson,
  type TorchRecurrentWeights,
  tfjsFiles,
  toKerasWeights,
} from './io/tfjs.js';
export {
  isTorchFile,
  type PickleDict,
  type PickleLimits,
  type PickleTuple,
  type PickleValue,
  type ReadTorchOptions,
  readTorchFile,
  type TorchDType,
  TorchFileError,
  type TorchLimits,
  type TorchStateDictOptions,
  TorchTensor,
  type TorchValue,
  torchStateDict,
  UnsafePickleError,
} from './io/torch/index.js';
export { type CellOptions, GRUCell, LSTMCell, RNNCell, type RNNCellOptions } from './nn/cells.js';
export { Dropout } from './nn/dropout.js';
export { Embedding, type EmbeddingOptions } from './nn/embedding.js';
export {
  BagOfWordsClassifier,
  type BagOfWordsConfig,
  type Cell,
  type ForecastOptions,
  modelFromConfig,
  type Pooling,
  SequenceForecaster,
  type SequenceForecasterConfig,
  TextClassifier,
  type TextClassifierConfig,
} from './nn/heads.js';
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
export {
  type RecurrentMode,
  RecurrentStreamer,
  type StreamableLayer,
  type StreamerOptions,
  TOKEN_TABLE_MAX_BYTES,
  TOKEN_TABLE_MIN_INPUT,
} from './nn/streaming.js';
export * from './ops/index.js';
export * from './optim/index.js';
export * from './plot/index.js';
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
export * from './text.js';
export * from './train/baselines/index.js';
export {
  type PackedTrainingState,
  packTrainingState,
  type RestoredTraining,
  type ResumeTargets,
  restoreTrainingState,
  type SavedTraining,
} from './train/checkpoint.js';
export * from './train/inspect/index.js';
export { METRICS, type MetricFn, resolveMetric } from './train/metric-registry.js';
export {
  accuracy,
  type ClassificationReport,
  classificationReport,
  confusionMatrix,
  f1Score,
  mae,
  mape,
  mase,
  mse,
  precision,
  recall,
  rmse,
  smape,
} from './train/metrics.js';
export * from './train/recipes/index.js';
export {
  argmaxRows,
  classificationTask,
  type LabelledSequences,
  type RegressionTaskOptions,
  regressionTask,
  type SequenceClassifierModel,
  softmaxRows,
  type WindowBatch,
  type WindowModel,
} from './train/tasks.js';
export {
  type Batches,
  type BatchLogs,
  type Callbacks,
  type CheckpointWriter,
  type EarlyStopping,
  type EpochLogs,
  type EvaluateOptions,
  type Evaluation,
  evaluate,
  type FitOptions,
  type FitResult,
  fit,
  type History,
  NonFiniteError,
  predict,
  type ResumeState,
  type Task,
  type TrainingState,
} from './train/trainer.js';
