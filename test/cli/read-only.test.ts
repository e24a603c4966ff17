import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeBundle, runKioku } from './cli-process.js';

/**
 * An --out on a read-only file system (EROFS): one line naming the path and the problem, exit 1.
 * The file system is a read-only tmpfs mounted in a user and mount namespace of the CLI's own
 * (`unshare -rm`); where the kernel allows no such namespace, the test cannot run and says so.
 */

const canMount =
  spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o ro tmpfs /mnt'], { stdio: 'ignore' }).status ===
  0;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-erofs-'));
  await chmod(root, 0o755);
  const rows = Array.from({ length: 120 }, (_, i) => {
    const date = new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10);
    return `${date},${i % 7}`;
  });
  await writeFile(join(root, 'series.csv'), `date,y\n${rows.join('\n')}\n`);
  await mkdir(join(root, 'mnt'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await removeBundle();
});

describe('--out on a read-only file system', () => {
  it.skipIf(!canMount)('exits 1 naming the path and EROFS (needs unshare -rm)', async () => {
    const mnt = join(root, 'mnt');
    const r = await runKioku(
      [
        'train',
        'series',
        '--data',
        join(root, 'series.csv'),
        '--target',
        'y',
        '--quiet',
        '--out',
        join(mnt, 'run'),
      ],
      { wrapper: ['unshare', '-rm', 'sh', '-c', 'mount -t tmpfs -o ro tmpfs "$0" && exec "$@"', mnt] },
    );
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `kioku: cannot create "${join(mnt, 'run')}": read-only file system (EROFS); choose an --out on a writable file system\n`,
    );
    expect(r.code).toBe(1);
  });

  it.skipIf(!canMount)('exits 1 when --out exists there (needs unshare -rm)', async () => {
    const mnt = join(root, 'mnt');
    const r = await runKioku(
      ['train', 'series', '--data', join(root, 'series.csv'), '--target', 'y', '--quiet', '--out', mnt],
      { wrapper: ['unshare', '-rm', 'sh', '-c', 'mount -t tmpfs -o ro tmpfs "$0" && exec "$@"', mnt] },
    );
    expect(r.stderr).toBe(
      `kioku: cannot write into "${mnt}": read-only file system (EROFS); choose an --out on a writable file system\n`,
    );
    expect(r.code).toBe(1);
  });
});
