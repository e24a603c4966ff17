import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FileError,
  keepLastCheckpoints,
  listCheckpoints,
  readableDir,
  recoverDir,
  removeDir,
  writeDirAtomic,
  writeFileAtomic,
} from '../../src/io/atomic-node.js';
import { loadModelDir, saveModelDir } from '../../src/io/model-dir-node.js';
import { parseSafetensors, serializeSafetensors, toStateDict } from '../../src/io/safetensors.js';
import { ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { expectVersion, killAt, startWriter } from './crash.js';
import { versionOptions, versionTensors } from './crash-versions.js';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-atomic-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces the content and leaves no temporary file', async () => {
    const dir = join(root, 'file');
    await mkdir(dir);
    const path = join(dir, 'a.bin');
    await writeFileAtomic(path, 'old');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect(new Uint8Array(await readFile(path))).toEqual(new Uint8Array([1, 2, 3]));
    expect(await readdir(dir)).toEqual(['a.bin']);
  });

  it('fails with FileError naming the path and cleans up', async () => {
    const path = join(root, 'missing-dir', 'a.bin');
    await expect(writeFileAtomic(path, 'x')).rejects.toThrow(FileError);
    await expect(writeFileAtomic(path, 'x')).rejects.toThrow(/cannot write ".*missing-dir\/a\.bin"/);
    await expect(writeFileAtomic(path, 42 as never)).rejects.toThrow(ValueError);
  });
});

describe('writeDirAtomic and recoverDir', () => {
  it('creates a directory, then updates it keeping unrelated files and removing stale ones', async () => {
    const dir = join(root, 'model');
    await writeDirAtomic(dir, { 'a.json': '1', 'b.bin': '2' });
    await writeFile(join(dir, 'notes.txt'), 'mine');
    await writeDirAtomic(dir, { 'a.json': '3' }, { remove: ['b.bin'] });
    expect((await readdir(dir)).sort()).toEqual(['a.json', 'notes.txt']);
    expect(await readFile(join(dir, 'a.json'), 'utf8')).toBe('3');
    await expect(writeDirAtomic(dir, { '../x': '1' })).rejects.toThrow(/"\.\.\/x" is not a plain file name/);
  });

  it('rolls a committed journal forward and drops an uncommitted one', async () => {
    const dir = join(root, 'journal');
    await writeDirAtomic(dir, { 'a.json': 'old-a', 'b.bin': 'old-b', 'c.txt': 'old-c' });
    // A crash after the commit, with a.json already moved: b.bin is still in the journal.
    const committed = join(dir, '.kioku-journal-000000000001');
    await mkdir(join(committed, 'data'), { recursive: true });
    await writeFile(join(committed, 'data', 'b.bin'), 'new-b');
    await writeFile(
      join(committed, 'COMMIT'),
      JSON.stringify({ files: ['a.json', 'b.bin'], remove: ['c.txt'] }),
    );
    // A crash before the commit: its files must not appear.
    const partial = join(dir, '.kioku-journal-000000000002');
    await mkdir(join(partial, 'data'), { recursive: true });
    await writeFile(join(partial, 'data', 'a.json'), 'half-written');
    await writeFile(join(partial, 'COMMIT.part'), '{"files":["a.json"]');
    await recoverDir(dir);
    expect((await readdir(dir)).sort()).toEqual(['a.json', 'b.bin']);
    expect(await readFile(join(dir, 'a.json'), 'utf8')).toBe('old-a');
    expect(await readFile(join(dir, 'b.bin'), 'utf8')).toBe('new-b');
  });
});

describe('checkpoints', () => {
  it('lists by number and keeps the newest n, removing crashed temporaries', async () => {
    const dir = join(root, 'ckpt');
    for (const n of [2, 10, 9, 1])
      await writeDirAtomic(join(dir, `checkpoint-${n}`), { 'x.json': String(n) });
    await mkdir(join(dir, 'checkpoint-11.tmp-0123456789ab'));
    await writeFile(join(dir, 'checkpoint-12'), 'a file, not a checkpoint');
    expect(await listCheckpoints(dir)).toEqual([1, 2, 9, 10].map((n) => join(dir, `checkpoint-${n}`)));
    const removed = await keepLastCheckpoints(dir, 2);
    expect(removed.sort()).toEqual(
      ['checkpoint-1', 'checkpoint-2', 'checkpoint-11.tmp-0123456789ab'].map((n) => join(dir, n)).sort(),
    );
    expect((await readdir(dir)).sort()).toEqual(['checkpoint-10', 'checkpoint-12', 'checkpoint-9']);
    expect(await listCheckpoints(join(root, 'none'))).toEqual([]);
    await expect(keepLastCheckpoints(dir, 0)).rejects.toThrow(/n must be a positive integer, got 0/);
  });

  it('removes a directory by renaming it away first, and ignores one that is gone', async () => {
    const dir = join(root, 'doomed');
    await writeDirAtomic(join(dir, 'checkpoint-3'), { 'a.json': '1', 'b.json': '2' });
    await removeDir(join(dir, 'checkpoint-3'));
    expect(await readdir(dir)).toEqual([]);
    await expect(removeDir(join(dir, 'checkpoint-3'))).resolves.toBeUndefined();
  });
});

describe('crash safety under SIGKILL', () => {
  const gen = new Generator(8);

  it('a file rewritten in a loop and killed at random moments always loads as one whole version', async () => {
    const path = join(root, 'crash.safetensors');
    let version = 0;
    await writeFileAtomic(path, serializeSafetensors(versionTensors(version), { version: '0' }));
    for (let round = 0; round < 3; round++) {
      const { child, done } = await startWriter('file', path, version + 1, 1 + gen.randint(3));
      await killAt(child, gen.randint(30));
      const file = parseSafetensors(new Uint8Array(await readFile(path)));
      const k = Number(file.metadata!.version);
      expect(k).toBeGreaterThanOrEqual(done());
      expect(k).toBeLessThanOrEqual(done() + 1);
      expectVersion(toStateDict(file), k);
      version = k + 1;
    }
  });

  it('a model directory saved in a loop and killed at random moments always loads one consistent version', async () => {
    const dir = join(root, 'crash-model');
    let version = 0;
    await saveModelDir(dir, versionOptions(version));
    for (let round = 0; round < 3; round++) {
      const { child, done } = await startWriter('dir', dir, version + 1, 1 + gen.randint(3));
      await killAt(child, gen.randint(30));
      const loaded = await loadModelDir(dir);
      const k = loaded.config.architecture.version as number;
      expect(k).toBeGreaterThanOrEqual(done());
      expect(k).toBeLessThanOrEqual(done() + 1);
      expectVersion(loaded.tensors, k);
      expect(loaded.trainingState!.state.version).toBe(k);
      expect(loaded.trainingState!.tensors!.m!.shape).toEqual([k % 5]);
      // A kill between the swap's two renames leaves `dir` absent and the committed version beside it.
      const readable = await readableDir(dir);
      expect(readable).not.toBeNull();
      expect((await readdir(readable!)).filter((n) => n.startsWith('.kioku-journal-'))).toEqual([]);
      version = k + 1;
    }
  });
});
