/** safetensors files on disk (Node). The format itself lives in safetensors.ts. */
import { writeFileAtomic } from './atomic-node.js';
import { FileError } from './durable-node.js';
import { readRegularFile, UnreadableFileError } from './read-file-node.js';
import {
  parseSafetensors,
  type SafetensorsFile,
  type SafetensorsInput,
  serializeSafetensors,
} from './safetensors.js';

/** The largest file read: one buffer. */
const MAX_FILE_BYTES = 2 ** 32 - 1;

/**
 * Reads and validates a safetensors file; errors name `path`. Only a regular file is read (a
 * link to one is followed; a device, FIFO or directory is refused before reading).
 */
export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path, { maxBytes: MAX_FILE_BYTES });
  } catch (e) {
    const why = e instanceof UnreadableFileError ? `it ${e.reason}` : (e as Error).message;
    throw new FileError(`readSafetensors: cannot read "${path}": ${why}`, { cause: e });
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
