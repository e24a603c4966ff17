import { ModelDirError } from '../io/model-config.js';
import { ValueError } from '../tensor/errors.js';
import { groupModelDirs, isModelFile, type ModelDirFiles, unzipModelDirs } from './model-archive.js';

/**
 * Model directories from what a page is given: files the user picked (a directory, its files, or
 * a zip archive), files dropped on the page, or a URL. Only reading happens here; `openModel`
 * checks the files exactly as loading from disk does.
 */

/** What reading needs of a File (a browser's File, or Node's). */
export interface FileLike {
  name: string;
  /** Set by `<input type="file" webkitdirectory>`: the path inside the chosen directory. */
  webkitRelativePath?: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

const isZip = (name: string) => name.toLowerCase().endsWith('.zip');

/**
 * The model directories among picked files (a FileList, an array of Files, or files with the
 * paths they were dropped with): loose model files form one directory, a chosen directory gives
 * each of its subdirectories holding a config.json, a zip archive the directories inside it.
 * Files that are not part of a model directory are not read.
 */
export async function modelDirsFromFiles(
  files: Iterable<FileLike> | ArrayLike<FileLike>,
  paths?: readonly string[],
): Promise<ModelDirFiles[]> {
  const list = Array.from(files as ArrayLike<FileLike>);
  if (list.some((f) => typeof f?.name !== 'string' || typeof f.arrayBuffer !== 'function')) {
    throw new ValueError(
      'modelDirsFromFiles: files must be File objects (from an input, a drop or new File)',
    );
  }
  if (paths !== undefined && (!Array.isArray(paths) || paths.length !== list.length)) {
    const got = Array.isArray(paths) ? paths.length : typeof paths;
    throw new ValueError(
      `modelDirsFromFiles: paths must be an array with one path per file (${list.length}), got ${got}`,
    );
  }
  const entries: Array<[string, Uint8Array]> = [];
  const found: ModelDirFiles[] = [];
  for (const [i, file] of list.entries()) {
    const path = paths?.[i] || file.webkitRelativePath || file.name;
    if (isZip(file.name)) {
      const inside = unzipModelDirs(new Uint8Array(await file.arrayBuffer()), path);
      found.push(...inside.map((d) => ({ dir: d.dir === '' ? path : `${path}/${d.dir}`, files: d.files })));
    } else if (isModelFile(path)) {
      entries.push([path, new Uint8Array(await file.arrayBuffer())]);
    }
  }
  return [...groupModelDirs(entries), ...found];
}

/** What walking a drop needs of a browser's FileSystemEntry. */
interface EntryLike {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  fullPath: string;
  file?(ok: (f: FileLike) => void, fail: (e: unknown) => void): void;
  createReader?(): { readEntries(ok: (entries: EntryLike[]) => void, fail: (e: unknown) => void): void };
}

/** What reading a drop needs of a DataTransfer. */
export interface DataTransferLike {
  items?: ArrayLike<{ kind: string; webkitGetAsEntry?(): unknown }>;
  files: ArrayLike<FileLike>;
}

/** Every file under a dropped entry, with its path from the drop. */
async function walkEntry(entry: EntryLike, out: Array<[FileLike, string]>): Promise<void> {
  const path = entry.fullPath.replace(/^\//, '');
  if (entry.isFile && entry.file) {
    out.push([await new Promise<FileLike>((ok, fail) => entry.file!(ok, fail)), path]);
    return;
  }
  if (!entry.isDirectory || !entry.createReader) return;
  const reader = entry.createReader();
  // readEntries hands out a directory's entries in batches until an empty one.
  for (;;) {
    const batch = await new Promise<EntryLike[]>((ok, fail) => reader.readEntries(ok, fail));
    if (batch.length === 0) break;
    for (const child of batch) await walkEntry(child, out);
  }
}

/** The model directories in a drop: dropped folders (walked), model files, or zip archives. */
export async function modelDirsFromDrop(transfer: DataTransferLike): Promise<ModelDirFiles[]> {
  if (typeof transfer !== 'object' || transfer === null || !transfer.files) {
    throw new ValueError('modelDirsFromDrop: expected the DataTransfer of a drop event');
  }
  const entries = Array.from(transfer.items ?? [])
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry?.() as EntryLike | null | undefined)
    .filter((e): e is EntryLike => !!e);
  if (entries.length === 0) return modelDirsFromFiles(transfer.files);
  const picked: Array<[FileLike, string]> = [];
  for (const entry of entries) await walkEntry(entry, picked);
  return modelDirsFromFiles(
    picked.map(([f]) => f),
    picked.map(([, p]) => p),
  );
}

/**
 * A model directory served over HTTP: `url` is the directory (its files are fetched beside it)
 * or a .zip archive. The optional training-state files may be absent (404).
 */
export async function modelDirFromUrl(
  url: string | URL,
  fetchFn: typeof fetch = fetch,
): Promise<ModelDirFiles> {
  let base: URL;
  try {
    base = new URL(url, (globalThis as { location?: { href: string } }).location?.href);
  } catch {
    throw new ValueError(`modelDirFromUrl: url must be a URL, got ${JSON.stringify(String(url))}`);
  }
  const get = async (u: URL, optional: boolean): Promise<Uint8Array | undefined> => {
    const response = await fetchFn(u);
    if (response.ok) return new Uint8Array(await response.arrayBuffer());
    if (optional && response.status === 404) return undefined;
    throw new ModelDirError(`${u.href}: HTTP ${response.status} ${response.statusText}`.trim());
  };
  if (isZip(base.pathname)) {
    const dirs = unzipModelDirs((await get(base, false))!, base.href);
    if (dirs.length === 0) throw new ModelDirError(`${base.href}: the archive holds no config.json`);
    return dirs[0]!;
  }
  const dir = base.href.endsWith('/') ? base : new URL(`${base.href}/`);
  const files = new Map<string, Uint8Array>();
  for (const [name, optional] of [
    ['config.json', false],
    ['model.safetensors', false],
    ['training-state.json', true],
    ['optimizer.safetensors', true],
  ] as const) {
    const bytes = await get(new URL(name, dir), optional);
    if (bytes) files.set(name, bytes);
  }
  return { dir: dir.href, files };
}
