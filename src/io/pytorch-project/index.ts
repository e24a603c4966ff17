export { builtinDataFile, corpusJsonl, seriesCsv } from './builtin-data.js';
export { writePytorchProject } from './node.js';
export { exportPytorchProject, type ProjectSettings, type PytorchProjectOptions } from './project.js';
