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

interface ReviewFile {
  name: string;
  id: number;
  rating: number;
}

/** The options with their defaults, checked. */
function imdbOptions(
  root: string,
  options: ImdbOptions,
): { split: 'train' | 'test'; limitPerClass: number | undefined; stripHtml: boolean } {
  const { split = 'train', limitPerClass, stripHtml = true } = options;
  if (typeof root !== 'string' || root === '')
    throw new ValueError(`loadImdb: root must be a directory path, got ${String(root)}`);
  if (split !== 'train' && split !== 'test')
    throw new ValueError(`loadImdb: split must be 'train' or 'test', got ${String(split)}`);
  if (limitPerClass !== undefined && (!Number.isInteger(limitPerClass) || limitPerClass < 1)) {
    throw new ValueError(`loadImdb: limitPerClass must be a positive integer, got ${limitPerClass}`);
  }
  return { split, limitPerClass, stripHtml };
}

/** `<root>/<split>`, once both are known to be directories. */
async function splitDirOf(root: string, split: string): Promise<string> {
  const splitDir = join(root, split);
  if (!(await isDir(root))) throw new DataError('IMDB directory not found', { file: root });
  if (!(await isDir(splitDir))) {
    throw new DataError(`IMDB directory has no ${split}/ folder (expected the aclImdb layout)`, {
      file: root,
    });
  }
  return splitDir;
}

/** The id and rating in a review's file name `<id>_<rating>.txt`. */
function parseReviewName(dir: string, name: string): ReviewFile {
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
  return { name, id, rating };
}

/** The `.txt` reviews of one class folder, by id; none, or two with one id, is a DataError. */
async function reviewFiles(dir: string): Promise<ReviewFile[]> {
  const files = (await readdir(dir))
    .filter((name) => name.endsWith('.txt'))
    .map((n) => parseReviewName(dir, n));
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
  return files;
}

/** The reviews' texts, in the order given, `<br />` tags made spaces when `stripHtml`. */
async function readReviews(dir: string, files: ReviewFile[], stripHtml: boolean): Promise<string[]> {
  const texts: string[] = [];
  // Read in parallel chunks: tens of thousands of small files.
  for (let s = 0; s < files.length; s += 64) {
    const chunk = files.slice(s, s + 64);
    for (const text of await Promise.all(chunk.map((f) => readReview(join(dir, f.name))))) {
      texts.push(stripHtml ? text.replace(/<br\s*\/?>/gi, ' ') : text);
    }
  }
  return texts;
}

/**
 * Loads the Large Movie Review Dataset in its `aclImdb` layout:
 * `<root>/<split>/{neg,pos}/<id>_<rating>.txt`. Reviews are ordered neg then pos, by id.
 */
export async function loadImdb(root: string, options: ImdbOptions = {}): Promise<ImdbCorpus> {
  const { split, limitPerClass, stripHtml } = imdbOptions(root, options);
  const splitDir = await splitDirOf(root, split);
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
    const files = await reviewFiles(dir);
    const chosen = limitPerClass === undefined ? files : files.slice(0, limitPerClass);
    texts.push(...(await readReviews(dir, chosen, stripHtml)));
    for (const f of chosen) {
      labels.push(label);
      ratings.push(f.rating);
      ids.push(f.id);
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
