import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KiokuError } from '../../src/tensor/errors.js';
import { removeBundle } from '../cli/cli-process.js';
import { CASES, writeInputs } from './cases.js';
import { EXPECTED, tableRow } from './expected.js';

/**
 * One test per row of the README's bad-input table: the API throws a typed error with the exact message; the
 * CLI prints one line on stderr (no stack trace) and exits with the documented code. `<dir>`
 * stands for the directory holding the bad files.
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kioku-bad-input-'));
  await writeInputs(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await removeBundle();
});

describe('bad input', () => {
  it('has an expectation for every row, at least 30', () => {
    expect(CASES.map((c) => c.input)).toEqual(Object.keys(EXPECTED));
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  it("the README's table shows every row as it is tested", async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const lines = readme.split('\n');
    const head = lines.indexOf('| # | Bad input | Call | Error (API) / exit code (CLI) | Message |');
    expect(head).toBeGreaterThan(0);
    const rows = lines.slice(head + 2, lines.indexOf('', head));
    expect(rows).toEqual(CASES.map((c, i) => tableRow(i + 1, c.input, c.call, EXPECTED[c.input]!)));
  });

  for (const c of CASES) {
    const want = EXPECTED[c.input]!;
    if ('class' in want) {
      it(`${c.input}: ${want.class}`, async () => {
        const err = await c.run(dir).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(KiokuError);
        expect((err as Error).name).toBe(want.class);
        expect((err as Error).message.split(dir).join('<dir>')).toBe(want.message);
      });
    } else {
      it(`${c.input}: exit ${want.code}, one line, no stack trace`, async () => {
        const r = (await c.run(dir))!;
        expect(r.code).toBe(want.code);
        if (want.message === '') {
          // Bare `kioku` prints its help on stdout.
          expect(r.stdout).toMatch(/^Usage: kioku /);
          expect(r.stderr).toBe('');
          return;
        }
        expect(r.stdout).toBe('');
        expect(r.stderr.split(dir).join('<dir>')).toBe(`${want.message}\n`);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      });
    }
  }
});
