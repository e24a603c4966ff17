import { ValueError } from '../tensor/errors.js';
import { writeDirAtomic } from './atomic-node.js';
import { type PytorchExportable, pytorchFiles } from './pytorch.js';

/** Writes model.safetensors and model.py into `dir` (created if needed; updated atomically). */
export async function exportPytorch(model: PytorchExportable, dir: string): Promise<void> {
  if (typeof dir !== 'string' || dir === '') {
    throw new ValueError(`exportPytorch: dir must be a non-empty string, got ${String(dir)}`);
  }
  await writeDirAtomic(dir, pytorchFiles(model));
}
