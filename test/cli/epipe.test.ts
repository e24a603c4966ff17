import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kioku, tinyTextTraining } from '../helpers/cli.js';
import { removeBundle, startKioku } from './cli-process.js';

/** `kioku predict … | head -1`: the reader closes the pipe early; kioku ends quietly. A real process. */

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-epipe-'));
  const rows = Array.from({ length: 60 }, (_, i) =>
    i % 2 ? `win a free prize now ${i},spam` : `meeting notes for monday ${i},ham`,
  );
  await writeFile(join(root, 'mail.csv'), `text,label\n${rows.join('\n')}\n`);
  const r = await kioku(...tinyTextTraining(join(root, 'mail.csv'), join(root, 'run')));
  expect(r.code, r.stderr).toBe(0);
  await writeFile(
    join(root, 'inbox.txt'),
    // Words the model knows: a text of unknown words alone would be warned about.
    `${Array.from({ length: 20_000 }, (_, i) => `meeting notes number ${i}`).join('\n')}\n`,
  );
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await removeBundle();
});

describe('a closed stdout pipe', () => {
  it('ends predict quietly, exit 0, no stack trace', async () => {
    const run = await startKioku([
      'predict',
      '--model',
      join(root, 'run', 'model'),
      '--file',
      join(root, 'inbox.txt'),
    ]);
    // Like `head -1`: read the first chunk, then close the pipe while kioku is still writing.
    let first = '';
    await new Promise<void>((resolve) => {
      run.child.stdout!.once('data', (d: Buffer) => {
        first = d.toString();
        run.child.stdout!.destroy();
        resolve();
      });
    });
    const exit = await run.done;
    expect(first).toMatch(/^(ham|spam)\t0\.\d{4}\tmeeting notes number 0\n/);
    expect(exit.stderr).toBe('');
    expect(exit.signal).toBeNull();
    expect(exit.code).toBe(0);
  });
});
