import { link, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TargetTransform, transformContext } from '../../src/data/target-transform.js';
import { loadSeriesCsv } from '../../src/io/datasets/series.js';
import { loadModelDir } from '../../src/io/model-dir-node.js';
import { kioku, tinySeriesTraining, tinyTextTraining } from '../helpers/cli.js';

/** `--missing` of train series / eval / forecast, and forecast.csv written atomically. */

const ROWS = 60;
const GAP = 20;

/** 60 daily rows of y = row mod 7; row 20's y is `gap` (one empty cell by default). */
function csv(gap = ''): string {
  const lines = ['date,y'];
  for (let r = 0; r < ROWS; r++) {
    const date = new Date(Date.UTC(2020, 0, 1 + r)).toISOString().slice(0, 10);
    lines.push(`${date},${r === GAP ? gap : r % 7}`);
  }
  return `${lines.join('\n')}\n`;
}

let root: string;
let gapCsv: string;
let model: string;
const train = (data: string, out: string, ...more: string[]) =>
  kioku(...tinySeriesTraining(data, out, {}, ...more));

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-missing-'));
  gapCsv = join(root, 'gap.csv');
  await writeFile(gapCsv, csv());
  const r = await train(gapCsv, join(root, 'ffill'), '--missing', 'ffill');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  model = join(root, 'ffill', 'model');
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The forecast origins `kioku eval --split all --json` scored. */
async function evalOrigins(...more: string[]): Promise<number> {
  const r = await kioku('eval', '--model', model, '--data', gapCsv, '--split', 'all', '--json', ...more);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout.split('\n')[0]!).origins as number;
}

/** Origins of the saved model in `rows` rows: from its first full window (and a season) to the last horizon. */
async function originsIn(rows: number): Promise<number> {
  const { series } = (await loadModelDir(model)).config as unknown as {
    series: { lookback: number; steps: number; season: number; transform: TargetTransform };
  };
  const first = Math.max(series.lookback + transformContext(series.transform), series.season);
  return rows - series.steps - first + 1;
}

describe('kioku train series --missing', () => {
  it('without --missing stops at the gap, exit 1, naming the flag', async () => {
    const r = await train(gapCsv, join(root, 'error'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kioku: ${gapCsv}:${GAP + 2}, column "y": missing value (row ${GAP}): the cell is empty; pass --missing ffill or --missing drop to accept gaps\n`,
    );
  });

  it('keeps the library message for library users', async () => {
    await expect(loadSeriesCsv(gapCsv, { dateColumn: 'date' })).rejects.toThrow(
      "missing value (row 20): the cell is empty; choose the missing-value policy 'ffill' or 'drop' to accept gaps",
    );
  });

  it('names --missing drop when ffill has no first value to repeat', async () => {
    const first = join(root, 'first.csv');
    await writeFile(first, csv().replace('2020-01-01,0', '2020-01-01,NA'));
    const r = await train(first, join(root, 'first'), '--missing', 'ffill');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kioku: ${first}:2, column "y": missing first value (row 0): the cell reads "NA", a missing-value marker; 'ffill' has no earlier value to repeat, use --missing drop\n`,
    );
  });

  it('refuses a policy it does not know (exit 2)', async () => {
    const r = await train(gapCsv, join(root, 'bad'), '--missing', 'zero');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "kioku: option '--missing <policy>' argument 'zero' is invalid. Allowed choices are error, ffill, drop.\n",
    );
  });

  it('records the policy in the model; the default error policy is not recorded', async () => {
    const seriesOf = async (dir: string) =>
      ((await loadModelDir(dir)).config as unknown as { series: Record<string, unknown> }).series;
    expect((await seriesOf(model)).missing).toBe('ffill');
    const ok = join(root, 'ok.csv');
    await writeFile(ok, csv('6'));
    expect((await train(ok, join(root, 'plain'))).code).toBe(0);
    expect(await seriesOf(join(root, 'plain', 'model'))).not.toHaveProperty('missing');
  });
});

describe('kioku eval / forecast --missing', () => {
  it('eval uses the recorded policy by default; --missing overrides it', async () => {
    // ffill keeps the 60 rows, drop 59: one origin fewer.
    expect(await evalOrigins()).toBe(await originsIn(ROWS));
    expect(await evalOrigins('--missing', 'ffill')).toBe(await originsIn(ROWS));
    expect(await evalOrigins('--missing', 'drop')).toBe(await originsIn(ROWS - 1));
    const r = await kioku('eval', '--model', model, '--data', gapCsv, '--missing', 'error');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the cell is empty; pass --missing ffill or --missing drop to accept gaps\n$/);
  });

  it('forecast --data reads the gap with the recorded policy; --missing error refuses it', async () => {
    const ok = await kioku('forecast', '--model', model, '--data', gapCsv, '--steps', '2', '--json');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(
      ok.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).date),
    ).toEqual(['2020-03-01', '2020-03-02']);
    const bad = await kioku('forecast', '--model', model, '--data', gapCsv, '--missing', 'error');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/pass --missing ffill or --missing drop to accept gaps\n$/);
  });

  it('forecast refuses --missing without --data', async () => {
    const r = await kioku('forecast', '--model', model, '--missing', 'drop');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'kioku: --missing drop needs --data: without it the forecast continues the training data saved in the model\n',
    );
  });
});

describe('kioku eval --missing on a text model', () => {
  it('is refused, exit 1: the flag applies to series', async () => {
    const rows = ['text,label'];
    for (let i = 0; i < 40; i++) rows.push(i % 2 ? `win money now ${i},spam` : `lunch at noon ${i},ham`);
    const data = join(root, 'texts.csv');
    await writeFile(data, `${rows.join('\n')}\n`);
    const out = join(root, 'text');
    const t = await kioku(...tinyTextTraining(data, out));
    expect(t.code).toBe(0);
    const text = join(out, 'model');
    const r = await kioku('eval', '--model', text, '--data', data, '--missing', 'ffill');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kioku: --missing ffill applies to series models; "${text}" is a text classifier\n`,
    );
  });
});

describe('kioku forecast --out', () => {
  it('replaces forecast.csv by a rename: a hard link to the old file keeps the old content', async () => {
    const out = join(root, 'forecast');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'forecast.csv'), 'old\n');
    // A plain write would go through the shared inode and change this link too.
    await link(join(out, 'forecast.csv'), join(out, 'kept.csv'));
    const r = await kioku('forecast', '--model', model, '--steps', '3', '--out', out, '--quiet');
    expect(r.code).toBe(0);
    expect(await readFile(join(out, 'kept.csv'), 'utf8')).toBe('old\n');
    const lines = (await readFile(join(out, 'forecast.csv'), 'utf8')).trim().split('\n');
    // The CSV printed on stdout is the file.
    expect(lines).toEqual(r.stdout.trim().split('\n'));
    expect(lines[0]).toBe('step,date,y,lower,upper');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual([
      '1,2020-03-01',
      '2,2020-03-02',
      '3,2020-03-03',
    ]);
    expect((await readdir(out)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
