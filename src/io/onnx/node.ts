/** ONNX files on disk (Node). The format itself lives in export.ts. */
import { writeFileAtomic } from '../atomic-node.js';
import { kiokuVersion } from '../version.js';
import { exportOnnx, type OnnxExportable, type OnnxExportOptions } from './export.js';

/** Exports `model` (see {@link exportOnnx}) to `path` atomically, recording kioku's version. */
export async function writeOnnx(
  model: OnnxExportable,
  path: string,
  options: OnnxExportOptions = {},
): Promise<void> {
  const bytes = exportOnnx(model, { producerVersion: kiokuVersion(), ...options });
  await writeFileAtomic(path, bytes);
}
