import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { TextCorpus } from '../../data/corpus.js';
import { DataError } from '../../data/errors.js';
import { ValueError } from '../../tensor/errors.js';

export interface ImdbOptions {
  /** 'train' or 'test'. Default 'train'. */
  split?: 'train' | 'test';
  /** Read at most this many reviews per class (the first by id), for quick experiments. */
  limitPerClass?: number;
  /** Replace the `<br />` tags of the raw reviews with spaces. Default true. */
  stripHtml?: boolean;
}

/** IMDB reviews: labels 0 = neg, 1 = pos; `ratings` (1–10) and `ids` come from the file names. */
export interface ImdbCorpus extends TextCorpus {
  ratings: Int32Array;
  ids: Int32Array;
}

const NAME = /^(\d+)_(\d+)\.txt$/;

/**
 * Loads the Large Movie Review Dataset in its `aclImdb` layout:
 * `<root>/<split>/{neg,pos}/<id>_<rating>.txt`. Reviews are ordered neg then pos, by id.
 */
export async function loadImdb(root: string, options: ImdbOptions = {}): Promise<ImdbCorpus> {
  const { split = 'train', limitPerClass, stripHtml = true } = options;
  if (typeof root !== 'string' || root === '')
    throw new ValueError(`loadImdb: root must be a directory path, got ${String(root)}`);
  if (split !== 'train' && split !== 'test')
    throw new ValueError(`loadImdb: split must be 'train' or 'test', got ${String(split)}`);
  if (limitPerClass !== undefined && (!Number.isInteger(limitPerClass) || limitPerClass < 1)) {
    throw new ValueError(`loadImdb: limitPerClass must be a positive integer, got ${limitPerClass}`);
  }
  const splitDir = join(root, split);
  if (!(await isDir(root))) throw new DataError('IMDB directory not found', { file: root });
  if (!(await isDir(splitDir))) {
    throw new DataError(`IMDB directory has no ${split}/ folder (expected the aclImdb layout)`, {
      file: root,
    });
  }
  const classes = ['neg', 'pos'];
  const texts: string[] = [];
  const labels: number[] = [];
  const ratings: number[] = [];
  const ids: number[] = [];
  for (const [label, cls] of classes.entries()) {
    const dir = join(splitDir, cls);
    if (!(await isDir(dir))) {
      throw new DataError(`IMDB ${split}/ folder is missing ${cls}/ (it needs both pos/ and neg/)`, {
        file: splitDir,
      });
    }
    const files: { name: string; id: number; rating: number }[] = [];
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.txt')) continue;
      const m = NAME.exec(name);
      if (m === null)
        throw new DataError('review file name must be <id>_<rating>.txt', { file: join(dir, name) });
      const id = Number(m[1]);
      const rating = Number(m[2]);
      if (!Number.isSafeInteger(id) || id > 2 ** 31 - 1) {
        throw new DataError(`review id ${m[1]} is larger than 2147483647`, { file: join(dir, name) });
      }
      // aclImdb rates reviews 1–10; its unlabelled reviews carry 0.
      if (rating > 10) {
        throw new DataError(`review rating ${m[2]} is outside 0–10`, { file: join(dir, name) });
      }
      files.push({ name, id, rating });
    }
    if (files.length === 0) throw new DataError('no <id>_<rating>.txt reviews', { file: dir });
    files.sort((a, b) => a.id - b.id || (a.name < b.name ? -1 : 1));
    for (let i = 1; i < files.length; i++) {
      if (files[i]!.id === files[i - 1]!.id) {
        throw new DataError(
          `two reviews share id ${files[i]!.id}: ${files[i - 1]!.name} and ${files[i]!.name}`,
          {
            file: dir,
          },
        );
      }
    }
    const chosen = limitPerClass === undefined ? files : files.slice(0, limitPerClass);
    // Read in parallel chunks: tens of thousands of small files.
    for (let s = 0; s < chosen.length; s += 64) {
      const chunk = chosen.slice(s, s + 64);
      const contents = await Promise.all(chunk.map((f) => readReview(join(dir, f.name))));
      chunk.forEach((f, k) => {
        const text = contents[k]!;
        texts.push(stripHtml ? text.replace(/<br\s*\/?>/gi, ' ') : text);
        labels.push(label);
        ratings.push(f.rating);
        ids.push(f.id);
      });
    }
  }
  return {
    texts,
    labels: Int32Array.from(labels),
    classes,
    ratings: Int32Array.from(ratings),
    ids: Int32Array.from(ids),
    source: splitDir,
  };
}

/** Reads one review; a directory, a dangling link or an unreadable file is a DataError naming it. */
async function readReview(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new DataError(`cannot read review: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      file: path,
    });
  }
}

async function isDir(path: string): Promise<boolean> {
  const s = await stat(path).catch(() => null);
  return s?.isDirectory() ?? false;
}
