import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/io/run-lock-node.js';
import { kioku, tinySeriesTraining } from '../helpers/cli.js';
import { removeBundle, runKioku, startKioku } from './cli-process.js';

/**
 * Two runs writing one --out: the second is refused while the first lives, naming its pid and
 * start time; the lock of a run killed with SIGKILL is taken over, with a warning. Real
 * processes throughout.
 */

let root: string;
let data: string;
const train = (out: string, epochs: number) => tinySeriesTraining(data, out, { hidden: 8, epochs });

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-lock-'));
  data = join(root, 'series.csv');
  const rows = Array.from({ length: 400 }, (_, i) => {
    const date = new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10);
    return `${date},${(10 + 5 * Math.sin(i / 3)).toFixed(3)}`;
  });
  await writeFile(data, `date,y\n${rows.join('\n')}\n`);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await removeBundle();
});

describe('--out lock', () => {
  it('refuses a second run while the first holds --out, then takes over the lock of a killed run', async () => {
    const out = join(root, 'shared');
    const lock = join(out, LOCK_FILE);
    const first = await startKioku(train(out, 10_000));
    await until(() => existsSync(lock), 'the first run to take its lock');
    const owner = JSON.parse(await readFile(lock, 'utf8')) as { pid: number; started: string; host: string };
    expect(owner.pid).toBe(first.child.pid);
    expect(owner.host).toBe(hostname());
    expect(Math.abs(Date.parse(owner.started) - Date.now())).toBeLessThan(120_000);

    const second = await runKioku(train(out, 1));
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(
      `kioku: --out ${out} is in use by another kioku run (pid ${owner.pid}, started ${owner.started}); wait for it to finish or choose another --out (if that run is gone, delete "${lock}")\n`,
    );
    // The refused run wrote nothing: the first run's lock is untouched.
    expect(await readFile(lock, 'utf8')).toBe(
      `${JSON.stringify({ ...owner, command: 'kioku train series' })}\n`,
    );

    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    expect(existsSync(lock)).toBe(true);
    // The killed run's checkpoints would ask for --resume; this test is about the lock.
    await rm(join(out, 'checkpoints'), { recursive: true, force: true });
    const third = await runKioku(train(out, 1));
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toBe(
      `kioku: warning: took over the lock of "${out}" from pid ${owner.pid} (started ${owner.started}), which is no longer running\n`,
    );
    expect(existsSync(lock)).toBe(false);
    expect(existsSync(join(out, 'model', 'config.json'))).toBe(true);
  }, 120_000);

  it('releases the lock when the run fails', async () => {
    const out = join(root, 'failing');
    const r = await kioku(...train(out, 1).map((a) => (a === 'y' ? 'nope' : a)));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown column/);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  it('refuses a lock taken on another host, whose process it cannot see, and one that names no owner', async () => {
    const out = join(root, 'remote');
    await mkdir(out, { recursive: true });
    const lock = join(out, LOCK_FILE);
    const started = '2026-01-02T03:04:05.000Z';
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: 'elsewhere', started }));
    const r = await kioku(...train(out, 1));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kioku: --out ${out} is in use by another kioku run (pid ${process.pid} on host elsewhere, started ${started}); wait for it to finish or choose another --out (if that run is gone, delete "${lock}")\n`,
    );
    await writeFile(lock, 'garbage');
    const g = await kioku(...train(out, 1));
    expect(g.code).toBe(1);
    expect(g.stderr).toBe(
      `kioku: "${out}" is locked by "${lock}", which names no owner; if no kioku run is writing into "${out}", delete that file\n`,
    );
    expect(await readFile(lock, 'utf8')).toBe('garbage');
  });
});
