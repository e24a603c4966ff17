import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';
import { ModelDirError } from '../io/model-config.js';
import { modelFromFiles } from '../io/model-format.js';
import { ValueError } from '../tensor/errors.js';
import { isModelFile } from './model-archive.js';

/**
 * Model directories kept in the browser's IndexedDB (database 'kioku', store 'models'), by name.
 * A directory is checked as `modelFromFiles` checks it before it is stored, and again when it is
 * opened, so storage never holds a model kioku would refuse to load.
 */

interface StoredModel {
  files: Record<string, Uint8Array>;
  savedAt: string;
}

let store: UseStore | null = null;
const models = (): UseStore => {
  store ??= createStore('kioku', 'models');
  return store;
};

function checkName(name: unknown, caller: string): asserts name is string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new ValueError(`${caller}: name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
}

/** Stores a model directory's files under `name`, replacing what was there. */
export async function saveStoredModel(name: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
  checkName(name, 'saveStoredModel');
  if (!(files instanceof Map))
    throw new ValueError('saveStoredModel: files must be a Map of file name → bytes');
  for (const file of files.keys()) {
    if (!isModelFile(file)) throw new ValueError(`saveStoredModel: "${file}" is not a model file`);
  }
  modelFromFiles(files, { source: name, caller: 'saveStoredModel' });
  const record: StoredModel = { files: Object.fromEntries(files), savedAt: new Date().toISOString() };
  await set(name, record, models());
}

/** The files of the model stored as `name`; a ModelDirError when there is none. */
export async function loadStoredModel(name: string): Promise<Map<string, Uint8Array>> {
  checkName(name, 'loadStoredModel');
  const record = (await get(name, models())) as StoredModel | undefined;
  if (!record) {
    const known = (await listStoredModels()).map((m) => m.name);
    throw new ModelDirError(
      `no model "${name}" in browser storage; stored: ${known.length ? known.join(', ') : 'none'}`,
    );
  }
  return new Map(Object.entries(record.files));
}

/** The stored models, newest first. */
export async function listStoredModels(): Promise<Array<{ name: string; savedAt: string }>> {
  const names = (await keys(models())).map(String);
  const out = await Promise.all(
    names.map(async (name) => ({ name, savedAt: ((await get(name, models())) as StoredModel).savedAt })),
  );
  return out.sort((a, b) => b.savedAt.localeCompare(a.savedAt));
}

/** Removes the model stored as `name` (nothing happens when there is none). */
export async function deleteStoredModel(name: string): Promise<void> {
  checkName(name, 'deleteStoredModel');
  await del(name, models());
}
