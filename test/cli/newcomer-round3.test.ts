import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageDir } from '../../src/io/datasets/files.js';
import { kioku } from '../helpers/cli.js';

/**
 * A newcomer's third pass with data nothing was built for (vega-datasets' Iowa electricity by
 * source, …): each refusal says what would work instead.
 */

const vega = (file: string) => join(packageDir('vega-datasets', 'newcomer test'), 'data', file);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-newcomer3-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('kioku train series on a short yearly panel (Iowa electricity by source)', () => {
  const iowa = (out: string, ...more: string[]) =>
    kioku(
      'train',
      'series',
      '--data',
      vega('iowa-electricity.csv'),
      '--date-col',
      'year',
      '--series-col',
      'source',
      '--target',
      'net_generation',
      '--hidden',
      '2',
      '--epochs',
      '1',
      '--quiet',
      '--out',
      join(root, out),
      ...more,
    );

  it('names the largest --lookback that fits the training split', async () => {
    const r = await iowa('default');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'kioku: --lookback 30 with --horizon 1 needs 32 training rows (1 more for the log difference), but the longest training split (source Fossil Fuels) has 12; --lookback 10 is the largest that fits\n',
    );
    expect(existsSync(join(root, 'default'))).toBe(false);
    const fits = await iowa('fits', '--lookback', '10');
    expect(fits.code, fits.stderr).toBe(0);
  }, 60_000);

  it('names a shorter --horizon when no lookback fits the one asked for', async () => {
    const r = await iowa('long', '--lookback', '8', '--horizon', '4');
    expect(r.stderr).toBe(
      'kioku: --lookback 8 with --horizon 4 needs 13 training rows (1 more for the difference), but the longest training split (source Fossil Fuels) has 5; --horizon 3 with --lookback 4 is the largest that fits\n',
    );
    const fits = await iowa('short', '--lookback', '4', '--horizon', '3');
    expect(fits.code, fits.stderr).toBe(0);
  }, 60_000);
});
