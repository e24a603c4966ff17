// kioku's Node entry: everything in the platform-neutral entry, plus file I/O (model
// directories, datasets, exports) and the native backend, selected on import.
import { initBackend } from './backend/select.js';

initBackend();

export { initBackend } from './backend/select.js';
export * from './index.js';
export {
  FileError,
  keepLastCheckpoints,
  listCheckpoints,
  recoverDir,
  type WriteDirOptions,
  writeDirAtomic,
  writeFileAtomic,
} from './io/atomic.js';
export * from './io/datasets/index.js';
export {
  CONFIG_FILE,
  type LoadedModelDir,
  loadModelDir,
  loadWeightsInto,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type ModelConfig,
  type ModelConfigInput,
  ModelDirError,
  parseModelConfig,
  type SaveModelDirOptions,
  saveModelDir,
  type TrainingState as SavedTrainingState,
  validateModelConfig,
  WEIGHTS_FILE,
} from './io/model-dir.js';
export {
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportModelOptions,
  exportModel,
} from './io/onnx/export-model.js';
export { writeOnnx } from './io/onnx/node.js';
export {
  exportPytorch,
  type ImportPytorchOptions,
  importPytorchStateDict,
  pytorchModelSource,
} from './io/pytorch.js';
export {
  exportPytorchProject,
  type ProjectSettings,
  type PytorchProjectOptions,
  writePytorchProject,
} from './io/pytorch-project/index.js';
export { readSafetensors, writeSafetensors } from './io/safetensors-node.js';
export { kiokuVersion } from './io/version.js';
export { type PngOptions, svgToPng } from './plot/png.js';
export {
  latestCheckpoint,
  modelDirCheckpoint,
  type ResumeTargets,
  resumeFromCheckpoint,
  rollingCheckpoints,
} from './train/checkpoint.js';
