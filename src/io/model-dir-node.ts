/**
 * Model directories on disk (Node). The format and every check live in model-format.ts; this
 * module reads and writes the files.
 *
 * Saving replaces the directory whole (dir-swap-node.ts): other tools and kioku alike see the
 * complete previous model or the complete new one, never a mix. Loading never writes: it reads
 * regular files only (never through a link, never a FIFO or device), and reads again when a save
 * swapped the directory while it was being read.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KiokuError, ValueError } from '../tensor/errors.js';
import { FileError, listCheckpoints, readableDir, replaceDirAtomic } from './atomic-node.js';
import { describe, ModelDirError, OPTIMIZER_FILE, TRAINING_STATE_FILE } from './model-config.js';
import {
  type LoadedModelDir,
  MODEL_FILES,
  modelFromFiles,
  modelToFiles,
  type SaveModelDirOptions,
} from './model-format.js';
import { readRegularFile, UnreadableFileError } from './read-file-node.js';

/** The largest JSON file read (V8's strings stop near 512 MiB), and the largest weights file (one buffer). */
const MAX_JSON_BYTES = 256 * 1024 * 1024;
const MAX_WEIGHTS_BYTES = 2 ** 32 - 1;
/** Reads of a directory that a concurrent save keeps swapping, before giving up. */
const READ_ATTEMPTS = 8;

/**
 * Saves a model directory: config.json (with the format marker, format version and kioku
 * version added), model.safetensors and, when given, the training state. An existing directory
 * is replaced whole; other files in it are kept, stale optional files removed.
 */
export async function saveModelDir(dir: string, options: SaveModelDirOptions): Promise<void> {
  if (typeof dir !== 'string' || dir === '') {
    throw new ValueError(`saveModelDir: dir must be a non-empty string, got ${describe(dir)}`);
  }
  const files = modelToFiles(options, 'saveModelDir');
  const remove = [TRAINING_STATE_FILE, OPTIMIZER_FILE].filter((f) => !files.has(f));
  await replaceDirAtomic(dir, files, { remove });
}

/** The identity of a directory: it changes when a save swaps in a new one or renames entries in it. */
async function identity(dir: string): Promise<string | null> {
  try {
    const st = await stat(dir, { bigint: true });
    return st.isDirectory() ? `${st.dev}:${st.ino}:${st.ctimeNs}` : 'not a directory';
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return null;
    throw e;
  }
}

/** The model files present in `dir`, each read as a regular file inside it. */
async function readFiles(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const name of MODEL_FILES) {
    const maxBytes = name.endsWith('.json') ? MAX_JSON_BYTES : MAX_WEIGHTS_BYTES;
    try {
      files.set(name, await readRegularFile(join(dir, name), { maxBytes, noFollow: true }));
    } catch (e) {
      if (e instanceof UnreadableFileError && e.code === 'ENOENT') continue;
      if (e instanceof FileError) throw new ModelDirError(`loadModelDir: ${e.message}`, { cause: e });
      throw e;
    }
  }
  return files;
}

async function checkIsDirectory(dir: string): Promise<void> {
  try {
    if (!(await stat(dir)).isDirectory())
      throw new ModelDirError(`loadModelDir: "${dir}" is not a directory`);
  } catch (e) {
    if (e instanceof ModelDirError) throw e;
    if ((e as { code?: string }).code === 'ENOENT' && (await readableDir(dir)) !== null) return;
    throw new ModelDirError(
      `loadModelDir: "${dir}" does not exist or cannot be read (${(e as Error).message})`,
      {
        cause: e,
      },
    );
  }
}

/**
 * Loads a model directory: the validated config, the weights as kioku tensors and, when present,
 * the training state, checked as {@link modelFromFiles} does before anything is built from them.
 * Never writes to the directory.
 */
export async function loadModelDir(dir: string): Promise<LoadedModelDir> {
  if (typeof dir !== 'string' || dir === '') {
    throw new ValueError(`loadModelDir: dir must be a non-empty string, got ${describe(dir)}`);
  }
  await checkIsDirectory(dir);
  for (let attempt = 1; attempt <= READ_ATTEMPTS; attempt++) {
    const source = await readableDir(dir);
    const before = source && (await identity(source));
    if (source !== null && before !== null) {
      const files = await readFiles(source);
      if ((await identity(source)) === before) {
        return modelFromFiles(files, {
          source,
          pathOf: (name) => join(source, name),
          caller: 'loadModelDir',
        });
      }
    }
    await new Promise((r) => setTimeout(r, attempt * 5));
  }
  throw new ModelDirError(
    `loadModelDir: "${dir}" kept changing while it was read (another process is saving into it); load it again once the save has finished`,
  );
}

/** A checkpoint {@link newestValidCheckpoint} passed over, and why. */
export interface SkippedCheckpoint {
  dir: string;
  reason: string;
}

export interface ValidCheckpoint {
  /** The newest checkpoint that loads with a training state, or null when none does. */
  dir: string | null;
  loaded: LoadedModelDir | null;
  /** Newer checkpoints that do not load (corrupt, truncated, no training state), newest first. */
  skipped: SkippedCheckpoint[];
}

/**
 * The newest checkpoint `<prefix><n>` in `root` that loads completely with a training state (and
 * passes `check`, which throws a KiokuError to refuse one), passing over (and reporting) newer
 * ones that do not. Never writes.
 */
export async function newestValidCheckpoint(
  root: string,
  prefix = 'checkpoint-',
  check?: (loaded: LoadedModelDir, dir: string) => void,
): Promise<ValidCheckpoint> {
  const skipped: SkippedCheckpoint[] = [];
  for (const dir of (await listCheckpoints(root, prefix)).reverse()) {
    try {
      const loaded = await loadModelDir(dir);
      check?.(loaded, dir);
      if (loaded.trainingState) return { dir, loaded, skipped };
      skipped.push({ dir, reason: `"${dir}" holds a model but no ${TRAINING_STATE_FILE} to resume from` });
    } catch (e) {
      if (!(e instanceof KiokuError)) throw e;
      skipped.push({ dir, reason: (e as Error).message });
    }
  }
  return { dir: null, loaded: null, skipped };
}
