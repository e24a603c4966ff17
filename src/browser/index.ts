// Browser-facing tools, platform-neutral: opening and saving model directories from what a page
// has (files, drops, URLs, IndexedDB, zip archives), the browser's backend choice, and training
// in a worker.
export { BROWSER_BACKENDS, initBrowserBackend } from './backend.js';
export { groupModelDirs, type ModelDirFiles, unzipModelDirs, zipModelDir } from './model-archive.js';
export {
  type DataTransferLike,
  type FileLike,
  modelDirFromUrl,
  modelDirsFromDrop,
  modelDirsFromFiles,
} from './model-sources.js';
export { deleteStoredModel, listStoredModels, loadStoredModel, saveStoredModel } from './model-storage.js';
export { openModel } from './open-model.js';
export { type ServeTrainingOptions, serveTraining } from './serve-training.js';
export { trainInWorker, type WorkerRunOptions } from './train-in-worker.js';
export type {
  ForecasterWorkerResult,
  MessageEndpoint,
  ModelFileMap,
  TextClassifierWorkerResult,
  WorkerRecipe,
  WorkerRecipes,
} from './worker-protocol.js';
