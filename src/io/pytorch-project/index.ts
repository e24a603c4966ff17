export { builtinDataFile, corpusJsonl, seriesCsv } from './builtin-data.js';
export { writePytorchProject } from './node.js';
export { exportPytorchProject } from './project.js';
export type { ProjectSettings, PytorchProjectOptions } from './settings.js';
