import { describe, expect, it } from 'vitest';
import { unzipModelDirs, zipModelDir } from '../../src/browser/model-archive.js';
import { modelDirFromUrl, modelDirsFromDrop, modelDirsFromFiles } from '../../src/browser/model-sources.js';
import { openModel } from '../../src/browser/open-model.js';
import { ModelDirError } from '../../src/io/model-config.js';
import { modelToFiles } from '../../src/io/model-format.js';
import { TextClassifier } from '../../src/nn/heads.js';
import { ValueError } from '../../src/tensor/errors.js';
import { tensor } from '../../src/tensor/tensor.js';

/*
 * Model directories from what a page has — picked files, drops, zip archives, URLs — read in Node
 * with its File and a fetch that serves a map: the same directory comes back, and what is not a
 * model directory is refused with a sentence.
 */

const model = new TextClassifier({ vocabSize: 20, embedDim: 4, hiddenSize: 3, numClasses: 2 });
const files = modelToFiles({
  config: { architecture: model.config(), task: 'classification', labels: ['ham', 'spam'] },
  stateDict: model.stateDict(),
});
const logits = (m: { forward(x: ReturnType<typeof tensor>): { f32: Float32Array } }) =>
  Array.from(m.forward(tensor([[3, 4, 5]], { dtype: 'int32' })).f32);
const expected = logits(model.eval());
const asFiles = (dir: string, map: Map<string, Uint8Array>) =>
  [...map].map(([name, bytes]) => [new File([bytes], name), `${dir}/${name}`] as const);

describe('model directories in the browser', () => {
  it('a zip made by zipModelDir holds model/… and opens to the same model', () => {
    const dirs = unzipModelDirs(zipModelDir(files));
    expect(dirs.map((d) => d.dir)).toEqual(['model']);
    expect([...dirs[0]!.files.keys()].sort()).toEqual(['config.json', 'model.safetensors']);
    expect(logits(openModel(dirs[0]!.files).model as TextClassifier)).toEqual(expected);
  });

  it('finds every model directory in a picked run directory, model first, skipping other files', async () => {
    const picked = [
      ...asFiles('run/bag-of-words', files),
      ...asFiles('run/model', files),
      [new File(['{}'], 'history.json'), 'run/history.json'] as const,
      [new File(['x'], 'forecast.png'), 'run/forecast.png'] as const,
    ];
    const dirs = await modelDirsFromFiles(
      picked.map(([f]) => f),
      picked.map(([, p]) => p),
    );
    expect(dirs.map((d) => d.dir)).toEqual(['run/bag-of-words', 'run/model']);
    expect(logits(openModel(dirs[1]!.files).model as TextClassifier)).toEqual(expected);
    // loose files (no paths) form one directory; a .zip among them is opened
    const loose = await modelDirsFromFiles([
      ...asFiles('', files).map(([f]) => f),
      new File([zipModelDir(files)], 'm.zip'),
    ]);
    expect(loose.map((d) => d.dir)).toEqual(['', 'm.zip/model']);
  });

  it('reads a drop through its entries (folders walked) or, without entries, its files', async () => {
    const entry = (name: string, bytes: Uint8Array) => ({
      isFile: true,
      isDirectory: false,
      name,
      fullPath: `/dropped/${name}`,
      file: (ok: (f: File) => void) => ok(new File([bytes], name)),
    });
    const children = [...files].map(([n, b]) => entry(n, b));
    let read = false;
    const folder = {
      isFile: false,
      isDirectory: true,
      name: 'dropped',
      fullPath: '/dropped',
      createReader: () => ({
        // the first call hands out the children, the next an empty batch: the end
        readEntries: (ok: (e: unknown[]) => void) => {
          ok(read ? [] : children);
          read = true;
        },
      }),
    };
    const dirs = await modelDirsFromDrop({
      items: [{ kind: 'file', webkitGetAsEntry: () => folder }],
      files: [],
    });
    expect(dirs.map((d) => d.dir)).toEqual(['dropped']);
    const flat = await modelDirsFromDrop({ files: asFiles('', files).map(([f]) => f) });
    expect([...flat[0]!.files.keys()].sort()).toEqual(['config.json', 'model.safetensors']);
  });

  it('fetches a directory by URL (optional files may be 404) or a .zip', async () => {
    const served = new Map<string, Uint8Array>([
      ...[...files].map(([n, b]) => [`https://models.test/spam/${n}`, b] as [string, Uint8Array]),
      ['https://models.test/spam.zip', zipModelDir(files)],
    ]);
    const asked: string[] = [];
    const fake = (async (url: URL) => {
      asked.push(url.href);
      const body = served.get(url.href);
      return body ? new Response(body) : new Response('no', { status: 404, statusText: 'Not Found' });
    }) as typeof fetch;
    const dir = await modelDirFromUrl('https://models.test/spam', fake);
    expect(dir.dir).toBe('https://models.test/spam/');
    expect(asked).toEqual(
      ['config.json', 'model.safetensors', 'training-state.json', 'optimizer.safetensors'].map(
        (n) => `https://models.test/spam/${n}`,
      ),
    );
    expect(logits(openModel(dir.files).model as TextClassifier)).toEqual(expected);
    expect((await modelDirFromUrl('https://models.test/spam.zip', fake)).dir).toBe('model');
    await expect(modelDirFromUrl('https://models.test/gone/', fake)).rejects.toThrow(
      new ModelDirError('https://models.test/gone/config.json: HTTP 404 Not Found'),
    );
  });

  it('refuses what is not a model directory, with a sentence', async () => {
    expect(() => unzipModelDirs(new Uint8Array([1, 2, 3]), 'upload.zip')).toThrow(
      /upload.zip: not a readable zip archive/,
    );
    expect(() => zipModelDir(new Map([['notes.txt', new Uint8Array()]]))).toThrow(
      /"notes.txt" is not a model file; expected config.json, model.safetensors/,
    );
    expect(() => zipModelDir(files, '../up')).toThrow(/folder must be a plain directory name/);
    await expect(modelDirsFromFiles(['config.json' as never])).rejects.toThrow(ValueError);
    await expect(modelDirsFromFiles([new File([], 'a')], [])).rejects.toThrow(
      /one path per file \(1\), got 0/,
    );
    const broken = new Map(files);
    broken.delete('model.safetensors');
    expect(() => openModel(broken, { source: 'picked' })).toThrow(
      /openModel: "picked\/model.safetensors" is missing/,
    );
  });
});
