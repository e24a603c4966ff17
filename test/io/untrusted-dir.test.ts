import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileError, recoverDir, writeDirAtomic } from '../../src/io/atomic-node.js';
import { loadModelDir, saveModelDir } from '../../src/io/model-dir-node.js';
import { TextClassifier } from '../../src/nn/heads.js';
import { kioku } from '../helpers/cli.js';
import { snapshot } from './tree.js';

/**
 * Attack tests: a model directory from someone else, with update journals planted in it that
 * name ".", "..", absolute paths, and symbolic links out of it. Loading it (the API or
 * `kioku info`) changes nothing, inside or outside; a write refuses to replay such a journal
 * and also changes nothing.
 */

let root = '';
let model = '';
let outside = '';

async function plant(name: string, commit: unknown, data: 'outside' | 'dir' | null = 'dir'): Promise<string> {
  const journal = join(model, name);
  await mkdir(journal);
  if (data === 'outside') await symlink(outside, join(journal, 'data'));
  else if (data === 'dir') await mkdir(join(journal, 'data'));
  if (commit !== undefined) await writeFile(join(journal, 'COMMIT'), JSON.stringify(commit));
  return journal;
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-untrusted-'));
  model = join(root, 'model');
  outside = join(root, 'outside');
  await mkdir(join(outside, 'keep'), { recursive: true });
  await writeFile(join(outside, 'precious.txt'), 'do not touch');
  await writeFile(join(outside, 'keep', 'notes.txt'), 'mine');
  const m = new TextClassifier({ vocabSize: 10, embedDim: 4, hiddenSize: 3 });
  await saveModelDir(model, {
    config: { architecture: m.config(), task: 'classification', labels: ['a', 'b'] },
    stateDict: m.stateDict(),
  });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('a model directory with planted journals', () => {
  beforeEach(async () => {
    // Removes "." (the model directory) and moves files in from a link out of it.
    await plant('.kioku-journal-aaaaaaaaaaaa', { files: ['precious.txt'], remove: ['.'] }, 'outside');
    // The journal itself is a link to a directory outside, holding a COMMIT and data.
    await mkdir(join(outside, 'data'));
    await writeFile(join(outside, 'data', 'config.json'), '{}');
    await writeFile(join(outside, 'COMMIT'), JSON.stringify({ files: ['config.json'], remove: [] }));
    await symlink(outside, join(model, '.kioku-journal-bbbbbbbbbbbb'));
    await plant('.kioku-journal-cccccccccccc', { files: [], remove: ['..', '/etc/passwd', '../outside'] });
  });

  it('kioku info and loadModelDir read it and change nothing, inside or outside', async () => {
    const before = await snapshot(root);
    const r = await kioku('info', '--model', model);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/TextClassifier for classification, 156 parameters/);
    const loaded = await loadModelDir(model);
    expect(loaded.config.labels).toEqual(['a', 'b']);
    expect(await snapshot(root)).toEqual(before);
  });

  it('a write into the directory refuses to replay them and changes nothing', async () => {
    const before = await snapshot(root);
    for (const write of [() => recoverDir(model), () => writeDirAtomic(model, { 'x.txt': 'x' })]) {
      const error = await write().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(FileError);
      expect((error as Error).message).toMatch(
        /^recoverDir: ".*\.kioku-journal-aaaaaaaaaaaa" is not an update journal kioku wrote \(its COMMIT "remove" names "\.": "\." names a directory, not a file in it\); nothing was changed/,
      );
      expect(await snapshot(root)).toEqual(before);
    }
  });

  it('saving a model replaces the directory whole and leaves everything outside it alone', async () => {
    const outsideBefore = await snapshot(outside);
    const m = new TextClassifier({ vocabSize: 10, embedDim: 4, hiddenSize: 3 });
    await saveModelDir(model, {
      config: { architecture: m.config(), task: 'classification' },
      stateDict: m.stateDict(),
    });
    expect((await readdir(model)).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(await readdir(root)).toEqual(expect.arrayContaining(['model', 'outside']));
    expect((await readdir(root)).length).toBe(2);
    expect(await snapshot(outside)).toEqual(outsideBefore);
  });
});

describe('recoverDir refuses every journal kioku did not write, naming why', () => {
  const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
    [
      'a name kioku never uses',
      () => plant('.kioku-journal-evil', { files: [], remove: [] }),
      /its name is not/,
    ],
    [
      'an absolute path',
      () => plant('.kioku-journal-000000000001', { files: ['/etc/passwd'], remove: [] }),
      /"files" names "\/etc\/passwd": it holds a path separator/,
    ],
    [
      'a parent path',
      () => plant('.kioku-journal-000000000001', { files: [], remove: ['../outside'] }),
      /"remove" names "\.\.\/outside"/,
    ],
    [
      '"." to remove',
      () => plant('.kioku-journal-000000000001', { files: [], remove: ['.'] }),
      /"remove" names "\."/,
    ],
    [
      'a directory to remove',
      async () => {
        await mkdir(join(model, 'checkpoints'));
        await plant('.kioku-journal-000000000001', { files: [], remove: ['checkpoints'] });
      },
      /it would delete the directory "checkpoints"/,
    ],
    [
      'a linked data directory',
      () => plant('.kioku-journal-000000000001', { files: ['precious.txt'], remove: [] }, 'outside'),
      /its "data" is not a real directory/,
    ],
    [
      'a link to move in',
      async () => {
        const j = await plant('.kioku-journal-000000000001', { files: ['precious.txt'], remove: [] });
        await symlink(join(outside, 'precious.txt'), join(j, 'data', 'precious.txt'));
      },
      /"data\/precious\.txt" is not a regular file/,
    ],
    [
      'a linked COMMIT',
      async () => {
        const j = await plant('.kioku-journal-000000000001', undefined);
        await writeFile(join(outside, 'commit.json'), JSON.stringify({ files: [], remove: [] }));
        await symlink(join(outside, 'commit.json'), join(j, 'COMMIT'));
      },
      /its COMMIT is a symbolic link/,
    ],
    [
      'an unknown field',
      () => plant('.kioku-journal-000000000001', { files: [], remove: [], run: 'x' }),
      /its COMMIT is not \{"files": \[\.\.\.\], "remove": \[\.\.\.\]\}/,
    ],
    [
      'a huge COMMIT',
      () =>
        plant('.kioku-journal-000000000001', {
          files: Array.from({ length: 9000 }, (_, i) => `f${i}`),
          remove: [],
        }),
      /its COMMIT is \d+ bytes, more than the 65536 bytes/,
    ],
  ];
  for (const [what, setUp, reason] of cases) {
    it(what, async () => {
      await setUp();
      const before = await snapshot(root);
      await expect(recoverDir(model)).rejects.toThrow(reason);
      expect(await snapshot(root)).toEqual(before);
    });
  }
});
