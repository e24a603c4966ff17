import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileError } from '../../src/io/atomic-node.js';
import {
  ModelDirError,
  OPTIMIZER_FILE,
  TRAINING_STATE_FILE,
  WEIGHTS_FILE,
} from '../../src/io/model-config.js';
import { loadModelDir, newestValidCheckpoint, saveModelDir } from '../../src/io/model-dir-node.js';
import { readRegularFile, UnreadableFileError } from '../../src/io/read-file-node.js';
import { parseSafetensors, SafetensorsError } from '../../src/io/safetensors.js';
import { readSafetensors } from '../../src/io/safetensors-node.js';
import { TextClassifier } from '../../src/nn/heads.js';
import { tensor } from '../../src/tensor/tensor.js';

/**
 * The files of a model directory as an attacker or an accident leaves them: links to devices,
 * FIFOs, a torch.save file where safetensors belongs, a broken training state.
 */

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-model-files-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function saved(name: string, trainingState = false): Promise<string> {
  const dir = join(root, name);
  const m = new TextClassifier({ vocabSize: 10, embedDim: 4, hiddenSize: 3 });
  await saveModelDir(dir, {
    config: { architecture: m.config(), task: 'classification' },
    stateDict: m.stateDict(),
    ...(trainingState ? { trainingState: { state: { epoch: 1 }, tensors: { m: tensor([1, 2]) } } } : {}),
  });
  return dir;
}

async function message(p: Promise<unknown>, type: abstract new (...a: never[]) => Error): Promise<string> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(type);
  return (e as Error).message;
}

describe('only regular files are read', () => {
  it('model.safetensors linked to /dev/zero is refused before a byte is read', async () => {
    const dir = await saved('dev-zero');
    await rm(join(dir, WEIGHTS_FILE));
    await symlink('/dev/zero', join(dir, WEIGHTS_FILE));
    expect(await message(loadModelDir(dir), ModelDirError)).toBe(
      `loadModelDir: "${dir}/model.safetensors" is a symbolic link; kioku reads only regular files here, never a link`,
    );
    // A path the user names may be a link, but to a regular file only.
    expect(await message(readSafetensors(join(dir, WEIGHTS_FILE)), FileError)).toBe(
      `readSafetensors: cannot read "${dir}/model.safetensors": it is a character device, not a regular file; kioku reads only regular files`,
    );
  });

  it('a FIFO does not hang the loader, a directory is named for what it is', async () => {
    const dir = await saved('fifo');
    await rm(join(dir, WEIGHTS_FILE));
    execFileSync('mkfifo', [join(dir, WEIGHTS_FILE)]);
    expect(await message(loadModelDir(dir), ModelDirError)).toBe(
      `loadModelDir: "${dir}/model.safetensors" is a FIFO (named pipe), not a regular file; kioku reads only regular files`,
    );
    expect(await message(readSafetensors(join(dir, WEIGHTS_FILE)), FileError)).toMatch(
      /it is a FIFO \(named pipe\)/,
    );
    await rm(join(dir, WEIGHTS_FILE));
    await mkdir(join(dir, WEIGHTS_FILE));
    expect(await message(loadModelDir(dir), ModelDirError)).toMatch(
      /model\.safetensors" is a directory, not a regular file/,
    );
  });

  it('config.json linked elsewhere is refused too, and sizes are checked before reading', async () => {
    const dir = await saved('linked-config');
    await copyFile(join(dir, 'config.json'), join(root, 'elsewhere.json'));
    await rm(join(dir, 'config.json'));
    await symlink(join(root, 'elsewhere.json'), join(dir, 'config.json'));
    expect(await message(loadModelDir(dir), ModelDirError)).toMatch(/config\.json" is a symbolic link/);
    const big = join(root, 'big.bin');
    await writeFile(big, new Uint8Array(20));
    const e = await readRegularFile(big, { maxBytes: 10 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnreadableFileError);
    expect((e as Error).message).toBe(
      `"${big}" is 20 bytes, more than the 10 bytes kioku reads for this file`,
    );
    expect(await readRegularFile(big, { maxBytes: 20 })).toEqual(new Uint8Array(20));
  });
});

describe('a torch.save file where safetensors belongs', () => {
  const fixtures = join(import.meta.dirname, '../../fixtures/safetensors');
  const hint =
    "import it with `kioku import FILE --model DIR --out DIR` (a reader that never runs pickle code), or convert it in Python: safetensors.torch.save_file(model.state_dict(), 'model.safetensors')";

  it('is recognised (zip and legacy pickle) and the message says how to convert it', async () => {
    for (const [file, kind] of [
      ['linear-zip.pt', 'a zip archive'],
      ['linear-legacy.pt', 'a pickle'],
    ]) {
      const path = join(fixtures, file!);
      expect(await message(readSafetensors(path), SafetensorsError)).toBe(
        `safetensors file "${path}": this is a PyTorch file written by torch.save (${kind}), not safetensors; ${hint}`,
      );
    }
    const dir = await saved('torch-save');
    await copyFile(join(fixtures, 'linear-zip.pt'), join(dir, WEIGHTS_FILE));
    expect(await message(loadModelDir(dir), SafetensorsError)).toMatch(/torch\.save \(a zip archive\)/);
  });

  it('is not confused with safetensors whose header length happens to start with the same bytes', () => {
    // 0x80 0x02 … as a little-endian header length, then a real "{" header.
    const header = new TextEncoder().encode('{}'.padEnd(0x0280, ' '));
    const bytes = new Uint8Array(8 + header.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(header, 8);
    expect(bytes[0]).toBe(0x80);
    expect(bytes[1]).toBe(0x02);
    expect(parseSafetensors(bytes).tensors.size).toBe(0);
  });
});

describe('a broken training state', () => {
  const advice =
    'this training state cannot be resumed: resume from an earlier checkpoint, or start the training over';

  it('names the file, what is wrong and how to recover', async () => {
    const dir = await saved('bad-state', true);
    const path = join(dir, TRAINING_STATE_FILE);
    const good = await readFile(path);
    await writeFile(path, good.subarray(0, 5));
    expect(await message(loadModelDir(dir), ModelDirError)).toMatch(
      new RegExp(`^${path}: not valid JSON \\(.*\\); ${advice}$`),
    );
    await writeFile(path, '[1, 2]');
    expect(await message(loadModelDir(dir), ModelDirError)).toBe(
      `${path}: must hold a JSON object, got an array; ${advice}`,
    );
    await writeFile(path, good);
    await writeFile(join(dir, OPTIMIZER_FILE), 'garbage');
    expect(await message(loadModelDir(dir), ModelDirError)).toBe(
      `safetensors file "${dir}/optimizer.safetensors": the file is 7 bytes long, too short for the 8-byte header length; ${advice}`,
    );
  });

  it('newestValidCheckpoint passes over broken checkpoints, newest first, and says why', async () => {
    const run = join(root, 'run');
    for (const step of [1, 2, 3, 4, 5]) await saved(join('run', `checkpoint-${step}`), step !== 5);
    await writeFile(join(run, 'checkpoint-3', TRAINING_STATE_FILE), '{"epoch": ');
    const weights = join(run, 'checkpoint-4', WEIGHTS_FILE);
    await writeFile(weights, (await readFile(weights)).subarray(0, 100));
    const found = await newestValidCheckpoint(run);
    expect(found.dir).toBe(join(run, 'checkpoint-2'));
    expect(found.loaded!.trainingState!.state).toEqual({ epoch: 1 });
    expect(found.skipped.map((s) => s.dir)).toEqual([5, 4, 3].map((n) => join(run, `checkpoint-${n}`)));
    expect(found.skipped[0]!.reason).toBe(
      `"${run}/checkpoint-5" holds a model but no training-state.json to resume from`,
    );
    expect(found.skipped[1]!.reason).toMatch(
      /model\.safetensors": header length \d+ does not fit in the file/,
    );
    expect(found.skipped[2]!.reason).toMatch(/checkpoint-3\/training-state\.json: not valid JSON/);
    expect(await newestValidCheckpoint(join(root, 'no-run'))).toEqual({
      dir: null,
      loaded: null,
      skipped: [],
    });
  });
});
