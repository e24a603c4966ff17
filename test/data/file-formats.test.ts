import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors.js';
import { loadSeriesCsv } from '../../src/io/datasets/series.js';
import { loadTextFile, streamTextFile } from '../../src/io/datasets/text.js';

// Files as spreadsheets and other tools write them: semicolon-separated with decimal commas,
// Latin-1 bytes instead of UTF-8.

let dir = '';
const at = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kioku-formats-'));
  await writeFile(at('semi.csv'), 'date;value;other\n2020-01-01;1.5;2\n2020-01-02;2.5;3\n2020-01-03;4;5\n');
  await writeFile(at('semi-text.csv'), 'text;label\n"great; truly";pos\nawful;neg\n"fine, really";pos\n');
  await writeFile(at('comma-with-semicolons.csv'), 'text,label\n"a; b",pos\nc;d,neg\n');
  await writeFile(at('decimal-comma.csv'), 'date;value\n2020-01-01;10,5\n2020-01-02;11,25\n');
  const latin1 = 'text,label\nok,pos\nfine,neg\ncaf\u00e9 au lait,pos\n';
  await writeFile(at('latin1.csv'), Buffer.from(latin1, 'latin1'));
  await writeFile(
    at('latin1.jsonl'),
    Buffer.from('{"text":"ok","label":"a"}\n{"text":"na\u00efve","label":"b"}\n', 'latin1'),
  );
  await writeFile(at('utf8.csv'), '\ufefftext,label\ncaf\u00e9 au lait,pos\nna\u00efve,neg\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function dataError(p: Promise<unknown>): Promise<DataError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DataError);
  return e as DataError;
}

describe('a .csv separated by semicolons', () => {
  it('loads as a series: the header line has semicolons and no comma', async () => {
    const s = await loadSeriesCsv(at('semi.csv'), { dateColumn: 'date', targets: ['value'] });
    expect(s.columns).toEqual(['other', 'value']);
    expect(Array.from(s.values)).toEqual([2, 1.5, 3, 2.5, 5, 4]);
    expect(s.index).toEqual(['2020-01-01', '2020-01-02', '2020-01-03']);
  });

  it('loads as labelled texts, quoted semicolons kept', async () => {
    const c = await loadTextFile(at('semi-text.csv'));
    expect(c.texts).toEqual(['great; truly', 'awful', 'fine, really']);
    expect(c.classes).toEqual(['neg', 'pos']);
  });

  it('a file whose header has a comma is read with commas, semicolons in its cells kept', async () => {
    const c = await loadTextFile(at('comma-with-semicolons.csv'));
    expect(c.texts).toEqual(['a; b', 'c;d']);
  });

  it('a decimal comma is refused with the number written with a point', async () => {
    const e = await dataError(
      loadSeriesCsv(at('decimal-comma.csv'), { dateColumn: 'date', features: ['value'] }),
    );
    expect(e.message).toBe(
      `${at('decimal-comma.csv')}:2, column "value": expected a number, got "10,5" (decimal commas are not read: write 10.5)`,
    );
  });

  it('onTextColumns gets the columns that hold text with their first values', async () => {
    const seen: [string[], string[]][] = [];
    await dataError(
      loadSeriesCsv(at('decimal-comma.csv'), {
        dateColumn: 'date',
        onTextColumns: (c, v) => seen.push([c, v]),
      }),
    );
    expect(seen).toEqual([[['value'], ['10,5']]]);
  });
});

describe('a file that is not UTF-8', () => {
  it('a Latin-1 CSV is refused at the line of its first such byte, saying how to convert it', async () => {
    const e = await dataError(loadTextFile(at('latin1.csv')));
    expect(e.message).toBe(
      `${at('latin1.csv')}:4: the file is not UTF-8 text (a Latin-1 or Windows-1252 export?); save it as UTF-8, for example with \`iconv -f latin1 -t utf-8\``,
    );
  });

  it('a Latin-1 JSONL file too', async () => {
    const e = await dataError(
      (async () => {
        for await (const _ of streamTextFile(at('latin1.jsonl'))) {
          // read every row
        }
      })(),
    );
    expect(e.message).toMatch(/latin1\.jsonl:2: the file is not UTF-8 text/);
  });

  it('UTF-8 with a byte-order mark reads as before', async () => {
    const c = await loadTextFile(at('utf8.csv'));
    expect(c.texts).toEqual(['caf\u00e9 au lait', 'na\u00efve']);
  });
});
