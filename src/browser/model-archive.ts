import { unzipSync, zipSync } from 'fflate';
import { ModelDirError } from '../io/model-config.js';
import { MODEL_FILES } from '../io/model-format.js';
import { ValueError } from '../tensor/errors.js';

/**
 * Model directories as one zip archive: what a page downloads (unzipped, it is a directory the
 * CLI opens as it is) and what it reads back. Only the model format's files are read from an
 * archive; anything else in it (charts, history.json) is skipped.
 */

/** A model directory found in an archive or a file selection: its path and its files by name. */
export interface ModelDirFiles {
  /** The directory's path inside the selection ('' for loose files, 'model', 'run/model', …). */
  dir: string;
  files: Map<string, Uint8Array>;
}

/** Files that belong to a model directory, by base name. */
const WANTED = new Set<string>(MODEL_FILES);

/** Whether the file at `path` belongs to a model directory (by its base name). */
export const isModelFile = (path: string): boolean => WANTED.has(splitPath(path)[1]);

/** Splits 'a/b/config.json' into ['a/b', 'config.json']. */
export function splitPath(path: string): [string, string] {
  const clean = path.replaceAll('\\', '/').replace(/^\/+/, '');
  const cut = clean.lastIndexOf('/');
  return cut < 0 ? ['', clean] : [clean.slice(0, cut), clean.slice(cut + 1)];
}

/** Groups model files by their directory; only directories holding a config.json count. */
export function groupModelDirs(entries: Iterable<[path: string, bytes: Uint8Array]>): ModelDirFiles[] {
  const dirs = new Map<string, Map<string, Uint8Array>>();
  for (const [path, bytes] of entries) {
    if (!isModelFile(path)) continue;
    const [dir, name] = splitPath(path);
    let files = dirs.get(dir);
    if (!files) dirs.set(dir, (files = new Map()));
    files.set(name, bytes);
  }
  return [...dirs]
    .filter(([, files]) => files.has('config.json'))
    .sort(([a], [b]) => a.split('/').length - b.split('/').length || a.localeCompare(b))
    .map(([dir, files]) => ({ dir, files }));
}

/** The model directories inside a zip archive. */
export function unzipModelDirs(archive: Uint8Array, source = 'archive'): ModelDirFiles[] {
  if (!(archive instanceof Uint8Array)) {
    throw new ValueError(`unzipModelDirs: archive must be a Uint8Array, got ${typeof archive}`);
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(archive, { filter: (f) => isModelFile(f.name) });
  } catch (e) {
    throw new ModelDirError(`${source}: not a readable zip archive (${(e as Error).message})`);
  }
  return groupModelDirs(Object.entries(entries));
}

/**
 * One zip archive holding the model directory's files under `folder/` (default 'model'), so that
 * unzipping it gives a directory `kioku predict` and `kioku forecast` open unchanged.
 */
export function zipModelDir(files: ReadonlyMap<string, Uint8Array>, folder = 'model'): Uint8Array {
  if (!(files instanceof Map)) throw new ValueError('zipModelDir: files must be a Map of file name → bytes');
  if (typeof folder !== 'string' || folder === '' || /[\\/]|^\.\.?$/.test(folder)) {
    throw new ValueError(`zipModelDir: folder must be a plain directory name, got ${JSON.stringify(folder)}`);
  }
  const tree: Record<string, Uint8Array> = {};
  for (const [name, bytes] of files) {
    if (!WANTED.has(name)) {
      throw new ValueError(`zipModelDir: "${name}" is not a model file; expected ${MODEL_FILES.join(', ')}`);
    }
    tree[`${folder}/${name}`] = bytes;
  }
  return zipSync(tree, { level: 6 });
}
