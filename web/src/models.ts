import { zipSync } from 'fflate';
import {
  deleteStoredModel,
  exportOnnx,
  listStoredModels,
  loadStoredModel,
  type ModelDirFiles,
  modelDirFromUrl,
  modelDirsFromDrop,
  modelDirsFromFiles,
  type OnnxExportable,
  openModel,
  type PytorchExportable,
  pytorchFiles,
  saveStoredModel,
  zipModelDir,
} from '../../src/index.js';
import { $, download, messageOf, say } from './dom.js';
import type { CurrentModel } from './try.js';

/** Opening models (folders, files, zips, drops, URLs, this browser's storage), saving and downloading them. */

type Use = (model: CurrentModel) => void;

const status = (text: string, error = false) => say($('models-status'), text, error);

/** Opens the first model directory found ('model' before its siblings, e.g. a run's bag-of-words). */
function openFirst(dirs: ModelDirFiles[], label: string, use: Use): void {
  if (dirs.length === 0)
    throw new Error(`${label}: no config.json found; pick a model directory saved by kioku`);
  const dir = dirs.find((d) => /(^|\/)model$/.test(d.dir)) ?? dirs[0]!;
  const where = dir.dir || label;
  use({ opened: openModel(dir.files, { source: where }), files: dir.files, label: where });
  status(
    `Opened ${where}${
      dirs.length > 1
        ? ` (also found: ${dirs
            .filter((d) => d !== dir)
            .map((d) => d.dir)
            .join(', ')})`
        : ''
    }`,
  );
}

async function attempt(what: () => Promise<void>): Promise<void> {
  try {
    await what();
  } catch (e) {
    status(messageOf(e), true);
  }
}

export async function renderStored(use: Use): Promise<void> {
  const list = $('stored');
  const models = await listStoredModels().catch(() => []);
  list.replaceChildren(
    ...models.map(({ name, savedAt }) => {
      const li = document.createElement('li');
      const open = Object.assign(document.createElement('button'), { textContent: 'Open' });
      const remove = Object.assign(document.createElement('button'), { textContent: 'Delete' });
      open.onclick = () =>
        attempt(async () => openFirst([{ dir: name, files: await loadStoredModel(name) }], name, use));
      remove.onclick = () =>
        attempt(async () => {
          await deleteStoredModel(name);
          await renderStored(use);
        });
      li.append(
        Object.assign(document.createElement('span'), {
          textContent: `${name} · saved ${savedAt.slice(0, 16).replace('T', ' ')}`,
        }),
        open,
        remove,
      );
      return li;
    }),
  );
}

export function openDrop(transfer: DataTransfer, use: Use): Promise<void> {
  return attempt(async () => openFirst(await modelDirsFromDrop(transfer), 'the drop', use));
}

const encoder = new TextEncoder();

/** Wires the Models panel; `current` gives the model the buttons act on. */
export function setUpModels(use: Use, current: () => CurrentModel | null): void {
  for (const id of ['open-dir', 'open-files']) {
    const input = $<HTMLInputElement>(id);
    input.onchange = () =>
      attempt(async () => {
        openFirst(await modelDirsFromFiles(input.files ?? []), input.files?.[0]?.name ?? 'the files', use);
        input.value = '';
      });
  }
  $<HTMLFormElement>('url-form').onsubmit = (e) => {
    e.preventDefault();
    const url = $<HTMLInputElement>('model-url').value;
    void attempt(async () => openFirst([await modelDirFromUrl(url)], url, use));
  };
  const name = () => $<HTMLInputElement>('store-name').value.trim() || 'model';
  $('save-store').onclick = () =>
    attempt(async () => {
      await saveStoredModel(name(), current()!.files);
      await renderStored(use);
      status(`Saved as "${name()}" in this browser`);
    });
  $('download-model').onclick = () =>
    attempt(async () => download(zipModelDir(current()!.files), `${name()}.zip`, 'application/zip'));
  $('download-pytorch').onclick = () =>
    attempt(async () => {
      const files = pytorchFiles(current()!.opened.model as PytorchExportable);
      const tree = Object.fromEntries(
        Object.entries(files).map(([f, b]) => [
          `${name()}-pytorch/${f}`,
          typeof b === 'string' ? encoder.encode(b) : b,
        ]),
      );
      download(zipSync(tree), `${name()}-pytorch.zip`, 'application/zip');
    });
  $('download-onnx').onclick = () =>
    attempt(async () => download(exportOnnx(current()!.opened.model as OnnxExportable), `${name()}.onnx`));
  void renderStored(use);
}

/** Enables the buttons that need a model. */
export function enableModelButtons(): void {
  for (const id of ['save-store', 'download-model', 'download-pytorch', 'download-onnx'])
    ($(id) as HTMLButtonElement).disabled = false;
}
