import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceDirAtomic } from '../../src/io/atomic-node.js';
import { loadModelDir, saveModelDir } from '../../src/io/model-dir-node.js';
import type { LoadedModelDir } from '../../src/io/model-format.js';
import { parseSafetensors, toStateDict } from '../../src/io/safetensors.js';
import { expectVersion, killAt, runKilledAt, startWriter } from './crash.js';
import { versionOptions } from './crash-versions.js';
import { snapshot } from './tree.js';

/**
 * A model directory is replaced whole: whatever the moment a save is killed at, every reader —
 * another tool reading the files by path, or loadModelDir — sees the complete old model or the
 * complete new one, and reading writes nothing.
 */

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-replace-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('replaceDirAtomic', () => {
  it('swaps in the new files, keeps every other entry as it was, and leaves nothing beside the directory', async () => {
    const parent = join(root, 'unit');
    const dir = join(parent, 'model');
    await replaceDirAtomic(dir, { 'a.json': '1', 'old.bin': 'stale' });
    await writeFile(join(dir, 'notes.txt'), 'mine');
    await mkdir(join(dir, 'plots'));
    await writeFile(join(dir, 'plots', 'curve.svg'), '<svg/>');
    await writeFile(join(root, 'target.txt'), 'outside');
    await symlink(join(root, 'target.txt'), join(dir, 'link'));
    await replaceDirAtomic(dir, new Map([['a.json', new TextEncoder().encode('2')]]), {
      remove: ['old.bin'],
    });
    expect((await readdir(dir)).sort()).toEqual(['a.json', 'link', 'notes.txt', 'plots']);
    expect(await readFile(join(dir, 'a.json'), 'utf8')).toBe('2');
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(await readFile(join(dir, 'plots', 'curve.svg'), 'utf8')).toBe('<svg/>');
    expect(await readlink(join(dir, 'link'))).toBe(join(root, 'target.txt'));
    expect(await readdir(parent)).toEqual(['model']);
  });

  it('refuses names that are not plain, a file in the way and the working directory', async () => {
    const dir = join(root, 'refusals');
    await expect(replaceDirAtomic(dir, { '../x': '1' })).rejects.toThrow(
      'replaceDirAtomic: "../x" is not a plain file name (it holds a path separator or NUL)',
    );
    await writeFile(dir, 'a file');
    await expect(replaceDirAtomic(dir, { 'a.json': '1' })).rejects.toThrow(
      /"[^"]*refusals" exists and is not a directory/,
    );
    await expect(replaceDirAtomic(process.cwd(), { 'a.json': '1' })).rejects.toThrow(
      /holds the working directory/,
    );
  });
});

/** Reads the model's files by path as any other tool would; the version they all hold. */
async function otherToolView(dir: string): Promise<number> {
  let at = dir;
  if (!existsSync(dir)) {
    // Only between the swap's two renames: the committed new version sits beside it.
    const parent = join(dir, '..');
    const committed = (await readdir(parent)).filter((n) => /^model\.new-[0-9a-f]{12}$/.test(n));
    expect(committed).toHaveLength(1);
    at = join(parent, committed[0]!);
  }
  const config = JSON.parse(await readFile(join(at, 'config.json'), 'utf8'));
  const k = config.architecture.version as number;
  expectVersion(toStateDict(parseSafetensors(await readFile(join(at, 'model.safetensors')))), k);
  expect(JSON.parse(await readFile(join(at, 'training-state.json'), 'utf8'))).toEqual({ version: k });
  const optimizer = toStateDict(parseSafetensors(await readFile(join(at, 'optimizer.safetensors'))));
  expect(optimizer.m!.shape).toEqual([k % 5]);
  return k;
}

function expectLoaded(loaded: LoadedModelDir, k: number): void {
  expect(loaded.config.architecture.version).toBe(k);
  expectVersion(loaded.tensors, k);
  expect(loaded.trainingState!.state).toEqual({ version: k });
  expect(loaded.trainingState!.tensors!.m!.shape).toEqual([k % 5]);
}

describe('a model directory saved by a process killed', () => {
  it('before each file operation of a save in turn: every reader sees one whole version, reading writes nothing', async () => {
    const parent = join(root, 'exact');
    const dir = join(parent, 'model');
    await saveModelDir(dir, versionOptions(0));
    let version = 0;
    for (let op = 1; op <= 16; op++) {
      const done = await runKilledAt(dir, version + 1, op);
      const before = await snapshot(parent);
      const seen = await otherToolView(dir);
      expect([done, done + 1]).toContain(seen);
      expectLoaded(await loadModelDir(dir), seen);
      expect(await snapshot(parent)).toEqual(before);
      version = Math.max(seen, done);
    }
    // The next save completes whatever was interrupted and leaves nothing beside the directory.
    await saveModelDir(dir, versionOptions(version + 1));
    expect(await readdir(parent)).toEqual(['model']);
    expectLoaded(await loadModelDir(dir), version + 1);
  });

  it('while another process loads it: each load is one whole version', async () => {
    const dir = join(root, 'concurrent', 'model');
    await saveModelDir(dir, versionOptions(0));
    const { child, done } = await startWriter('dir', dir, 1, 1);
    const seen = new Set<number>();
    try {
      for (let i = 0; i < 40; i++) {
        const loaded = await loadModelDir(dir);
        const k = loaded.config.architecture.version as number;
        expectLoaded(loaded, k);
        seen.add(k);
      }
    } finally {
      await killAt(child, 0);
    }
    // The loads overlapped several saves.
    expect(seen.size).toBeGreaterThan(1);
    expect(done()).toBeGreaterThan(1);
  });
});
