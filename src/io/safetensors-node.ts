/** safetensors files on disk (Node). The format itself lives in safetensors.ts. */
import { readFile } from 'node:fs/promises';
import { FileError, writeFileAtomic } from './atomic-node.js';
import {
  parseSafetensors,
  type SafetensorsFile,
  type SafetensorsInput,
  serializeSafetensors,
} from './safetensors.js';

/** Reads and validates a safetensors file; errors name `path`. */
export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new FileError(`readSafetensors: cannot read "${path}" (${(e as Error).message})`, { cause: e });
  }
  return parseSafetensors(bytes, { source: path });
}

/** Writes tensors (and string metadata) to `path` atomically: a crash leaves the old or the new file. */
export async function writeSafetensors(
  path: string,
  tensors: Map<string, SafetensorsInput> | Record<string, SafetensorsInput>,
  metadata: Record<string, string> | null = null,
): Promise<void> {
  await writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}
