// kioku's Node entry: everything in the platform-neutral entry, plus file I/O (model
// directories, datasets, exports) and the native backend, selected on import.
import { initBackend } from './backend/native/init.js';

initBackend();

export { initBackend } from './backend/native/init.js';
export * from './index.js';
export {
  FileError,
  keepLastCheckpoints,
  listCheckpoints,
  recoverDir,
  replaceDirAtomic,
  type WriteDirOptions,
  writeDirAtomic,
  writeFileAtomic,
} from './io/atomic-node.js';
export * from './io/datasets/index.js';
export {
  loadModelDir,
  newestValidCheckpoint,
  type SkippedCheckpoint,
  saveModelDir,
  type ValidCheckpoint,
} from './io/model-dir-node.js';
export {
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportModelOptions,
  exportModel,
} from './io/onnx/export-model.js';
export { writeOnnx } from './io/onnx/node.js';
export {
  type ImportPytorchOptions,
  importPytorchStateDict,
  pytorchModelSource,
} from './io/pytorch.js';
export { exportPytorch } from './io/pytorch-node.js';
export { readSafetensors, writeSafetensors } from './io/safetensors-node.js';
export { kiokuVersion } from './io/version.js';
export { type PngOptions, svgToPng } from './plot/png.js';
export {
  findCheckpoint,
  latestCheckpoint,
  modelDirCheckpoint,
  readCheckpoint,
  resumeFromCheckpoint,
  rollingCheckpoints,
} from './train/checkpoint-node.js';
export { type NodeRunStoreOptions, nodeCheckpointStore, nodeRunStore } from './train/run-store-node.js';
