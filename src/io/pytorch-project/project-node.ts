import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ValueError } from '../../tensor/errors.js';
import { writeDirAtomic } from '../atomic-node.js';
import { CONFIG_FILE, ModelDirError, parseModelConfig, WEIGHTS_FILE } from '../model-config.js';
import { builtinDataFile } from './builtin-data-node.js';
import { exportPytorchProject } from './project.js';
import type { PytorchProjectOptions } from './settings.js';

async function read(dir: string, name: string): Promise<Uint8Array> {
  try {
    return await readFile(join(dir, name));
  } catch (e) {
    throw new ModelDirError(
      `writePytorchProject: cannot read "${join(dir, name)}" (${(e as Error).message})`,
    );
  }
}

/**
 * Writes the PyTorch project of the model in `modelDir` into `outDir` (created if needed,
 * updated atomically), bundling the data when the model was trained on built-in data. Returns
 * the names of the files written.
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
  const files = {
    [CONFIG_FILE]: await read(modelDir, CONFIG_FILE),
    [WEIGHTS_FILE]: await read(modelDir, WEIGHTS_FILE),
  };
  const config = parseModelConfig(files[CONFIG_FILE], join(modelDir, CONFIG_FILE));
  const dataFile = options.data === undefined ? await builtinDataFile(config) : null;
  const project = exportPytorchProject(files, { ...options, ...(dataFile ? { dataFile } : {}) });
  await writeDirAtomic(outDir, project);
  return Object.keys(project);
}
