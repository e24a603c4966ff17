import { join } from 'node:path';
import { ValueError } from '../../tensor/errors.js';
import { replaceDirAtomic } from '../atomic-node.js';
import { CONFIG_FILE, parseModelConfig, WEIGHTS_FILE } from '../model-config.js';
import { readRegularFile } from '../read-file-node.js';
import { builtinDataFile } from './builtin-data-node.js';
import { exportPytorchProject } from './project.js';
import type { PytorchProjectOptions } from './settings.js';

/** The largest config.json and weights read, as loading a model directory caps them. */
const MAX_BYTES = { [CONFIG_FILE]: 256 * 1024 * 1024, [WEIGHTS_FILE]: 2 ** 32 - 1 };

/**
 * Writes the PyTorch project of the model in `modelDir` into `outDir` (the directory replaced
 * whole, so a reader sees the old project or the new one), bundling the data when the model was
 * trained on built-in data. Returns the names of the files written.
 */
export async function writePytorchProject(
  modelDir: string,
  outDir: string,
  options: Omit<PytorchProjectOptions, 'dataFile'> = {},
): Promise<string[]> {
  for (const [name, v] of [
    ['modelDir', modelDir],
    ['outDir', outDir],
  ] as const) {
    if (typeof v !== 'string' || v === '')
      throw new ValueError(`writePytorchProject: ${name} must be a non-empty string, got ${String(v)}`);
  }
  const files: Record<string, Uint8Array> = {};
  for (const name of [CONFIG_FILE, WEIGHTS_FILE] as const) {
    files[name] = await readRegularFile(join(modelDir, name), { maxBytes: MAX_BYTES[name], noFollow: true });
  }
  const config = parseModelConfig(files[CONFIG_FILE]!, join(modelDir, CONFIG_FILE));
  const dataFile = options.data === undefined ? await builtinDataFile(config) : null;
  const project = exportPytorchProject(files, { ...options, ...(dataFile ? { dataFile } : {}) });
  await replaceDirAtomic(outDir, project);
  return Object.keys(project);
}
