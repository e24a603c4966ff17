import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seattleWeather } from '../../src/io/datasets/builtin.js';
import { jsonLines, kioku } from '../helpers/cli.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kioku-cli-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('kioku train text / predict / eval / info', () => {
  let out: string;
  let events: Array<Record<string, unknown>>;

  beforeAll(async () => {
    out = join(root, 'spam');
    const r = await kioku(
      'train',
      'text',
      '--data',
      'spam-assassin',
      '--limit',
      '200',
      '--epochs',
      '2',
      '--max-len',
      '24',
      '--embed',
      '8',
      '--hidden',
      '8',
      '--vocab-size',
      '300',
      '--batch',
      '16',
      '--out',
      out,
      '--json',
    );
    // 300 words kept: most held-out words are unknown, and kioku says so.
    expect(r.stderr).toMatch(
      /^kioku: warning: \d+\.\d% of the validation and test tokens are unknown to the vocabulary \(a larger --vocab-size/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.code).toBe(0);
    events = jsonLines(r.stdout);
  }, 60_000);

  // The default text model reads in both directions: it reports as lstm-bi.
  it('reports epochs and test metrics as JSON lines, the same as metrics.jsonl', async () => {
    const epochs = events.filter((e) => e.event === 'epoch' && e.model === 'lstm-bi');
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    for (const e of epochs)
      for (const k of ['loss', 'valLoss', 'accuracy', 'valAccuracy', 'f1'])
        expect(typeof e[k]).toBe('number');
    const file = jsonLines(await readFile(join(out, 'metrics.jsonl'), 'utf8'));
    expect(file).toEqual(events);
    const history = JSON.parse(await readFile(join(out, 'history.json'), 'utf8'));
    expect(Object.keys(history)).toEqual(['lstm-bi', 'bag-of-words']);
    expect(history['lstm-bi'].valAccuracy).toEqual(epochs.map((e) => e.valAccuracy));
  });

  it('reports the model beside the baselines with consistent test metrics', () => {
    const tests: Record<string, Record<string, unknown>> = Object.fromEntries(
      events.filter((e) => e.event === 'test').map((e) => [e.model, e]),
    );
    expect(Object.keys(tests)).toEqual(['lstm-bi', 'bag-of-words', 'tfidf', 'majority']);
    for (const t of Object.values(tests)) {
      const m = t.confusion as number[][];
      const total = m.flat().reduce((a, b) => a + b, 0);
      expect(total).toBe(20); // 10% of 200
      expect(t.accuracy).toBeCloseTo((m[0]![0]! + m[1]![1]!) / total, 6);
    }
    // The majority class predicts ham for everyone: accuracy is the share of ham in the test split.
    const maj = tests.majority!.confusion as number[][];
    expect(maj[0]![1]! + maj[1]![1]!).toBe(0);
    expect(tests.majority!.accuracy).toBeCloseTo(maj[0]![0]! / 20, 6);
  });

  it('writes the model, the plots and a checkpoint', () => {
    for (const f of [
      'model/config.json',
      'model/model.safetensors',
      'bag-of-words/config.json',
      'checkpoints/checkpoint-20/training-state.json',
      'training-curves.svg',
      'training-curves.png',
      'confusion-matrix.png',
      'history.json',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
  });

  it('predicts a label and probability per text', async () => {
    const texts = ['FREE money, click now to win', 'See you at the meeting tomorrow'];
    const r = await kioku(
      'predict',
      '--model',
      join(out, 'model'),
      '--text',
      texts[0]!,
      '--text',
      texts[1]!,
      '--json',
    );
    expect(r.code).toBe(0);
    const rows = jsonLines(r.stdout);
    expect(rows.map((x) => x.text)).toEqual(texts);
    for (const row of rows) {
      const p = row.probabilities as Record<string, number>;
      expect(p.ham! + p.spam!).toBeCloseTo(1, 5);
      expect(row.label).toBe(p.spam! > p.ham! ? 'spam' : 'ham');
      expect(row.probability).toBe(Math.max(p.ham!, p.spam!));
    }
    const plain = await kioku('predict', '--model', join(out, 'model'), '--text', texts[0]!);
    expect(plain.stdout.trim().split('\t')).toEqual([
      rows[0]!.label,
      (rows[0]!.probability as number).toFixed(4),
      texts[0],
    ]);
  });

  it('evaluates on a dataset and describes the model', async () => {
    const ev = await kioku(
      'eval',
      '--model',
      join(out, 'model'),
      '--data',
      'spam-assassin',
      '--limit',
      '50',
      '--json',
    );
    expect(ev.code).toBe(0);
    const rows = jsonLines(ev.stdout);
    expect(rows.map((x) => [x.model, x.examples])).toEqual([
      ['model', 50],
      ['majority', 50],
    ]);
    const info = await kioku('info', '--model', join(out, 'model'), '--json');
    const d = jsonLines(info.stdout)[0]!;
    expect(d.labels).toEqual(['ham', 'spam']);
    const weights = d.weights as Array<{ shape: number[] }>;
    expect(d.parameters).toBe(weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0));
    expect((d.architecture as Record<string, unknown>).embedDim).toBe(8);
  });
});

describe('kioku train series / forecast / eval', () => {
  let out: string;
  let events: Array<Record<string, unknown>>;
  const lookback = 7;

  beforeAll(async () => {
    out = join(root, 'seattle');
    const r = await kioku(
      'train',
      'series',
      '--data',
      'seattle-weather',
      '--target',
      'temp_max',
      '--lookback',
      String(lookback),
      '--hidden',
      '8',
      '--epochs',
      '1',
      '--out',
      out,
      '--json',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    events = jsonLines(r.stdout);
  }, 60_000);

  it('tests on 2015, one season ahead, and matches an independent persistence MAE', async () => {
    const s = await seattleWeather();
    const F = s.columns.length;
    const t = s.columns.indexOf('temp_max');
    const y = (r: number) => s.values[r * F + t]!;
    const first = s.index!.indexOf('2015-01-01');
    // Every origin of 2015 with its 7 steps inside it; persistence repeats the day before.
    let sum = 0;
    let n = 0;
    for (let o = first; o + 7 <= s.length; o++) {
      for (let k = 0; k < 7; k++, n++) sum += Math.abs(y(o + k) - y(o - 1));
    }
    const naive = events.find((e) => e.event === 'test' && e.model === 'naive')!;
    expect(naive).toMatchObject({ split: 'test', horizon: 7, origins: s.length - 7 - first + 1 });
    expect(naive.mae).toBeCloseTo(sum / n, 4);
    const tested = events
      .filter((e) => e.event === 'test')
      .map((e) => String(e.model).replace(/^ETS: .*/, 'ETS'));
    expect(tested).toEqual(['lstm', 'naive', 'seasonal naive (m=7)', 'drift', 'ETS', 'naive2']);
    const verdict = events.find((e) => e.event === 'verdict')!;
    expect(verdict.metric).toBe('mase');
    expect(existsSync(join(out, 'forecast-test.png'))).toBe(true);
  });

  it('forecasts one season after the data with dates and intervals, as JSON and CSV', async () => {
    const r = await kioku('forecast', '--model', join(out, 'model'), '--json');
    expect(r.code).toBe(0);
    const rows = jsonLines(r.stdout);
    expect(rows.map((x) => x.date)).toEqual(Array.from({ length: 7 }, (_, i) => `2016-01-0${i + 1}`));
    for (const x of rows)
      expect(Number(x.lower) <= Number(x.temp_max) && Number(x.temp_max) <= Number(x.upper)).toBe(true);
    const dir = join(out, 'fc');
    const c = await kioku('forecast', '--model', join(out, 'model'), '--steps', '3', '--out', dir, '--quiet');
    const csv = (await readFile(join(dir, 'forecast.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('step,date,temp_max,lower,upper');
    expect(csv.slice(1).map((l) => Number(l.split(',')[2]))).toEqual(rows.slice(0, 3).map((x) => x.temp_max));
    expect(c.stdout.trim().split('\n')).toEqual(csv);
    expect(existsSync(join(dir, 'forecast.png'))).toBe(true);
  });

  it('evaluates the test split beside each baseline by name, as training scored it', async () => {
    const r = await kioku('eval', '--model', join(out, 'model'), '--data', 'seattle-weather', '--json');
    expect(r.code).toBe(0);
    const rows = jsonLines(r.stdout).filter((x) => x.event === 'eval');
    const trained = events.filter((e) => e.event === 'test');
    expect(rows.map((x) => x.model)).toEqual(trained.map((x) => x.model));
    expect(rows.map((x) => x.mase)).toEqual(trained.map((x) => x.mase));
  });
});

describe('kioku train text on a CSV file', () => {
  it('reads the named columns and predicts from stdin-like files', async () => {
    const csv = join(root, 'reviews.csv');
    const rows = ['review,sentiment'];
    for (let i = 0; i < 40; i++) {
      rows.push(i % 2 ? `"great film, loved it ${i}",pos` : `"dull and far too long ${i}",neg`);
    }
    await writeFile(csv, `${rows.join('\n')}\n`);
    const out = join(root, 'reviews');
    const r = await kioku(
      'train',
      'text',
      '--data',
      csv,
      '--text-col',
      'review',
      '--label-col',
      'sentiment',
      '--cell',
      'gru',
      '--embed',
      '8',
      '--hidden',
      '4',
      '--epochs',
      '1',
      '--no-baselines',
      '--out',
      out,
      '--quiet',
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/Test set \(4 examples\)/);
    expect(r.stdout).not.toMatch(/bag-of-words/);
    const texts = join(root, 'texts.txt');
    await writeFile(texts, 'loved it\n\ntoo long\n');
    const p = await kioku('predict', '--model', join(out, 'model'), '--file', texts);
    expect(
      p.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t')[2]),
    ).toEqual(['loved it', 'too long']);
    const bad = await kioku('train', 'text', '--data', csv, '--text-col', 'body', '--out', out);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/body/);
    expect(bad.stderr).toMatch(/--text-col names the text column/);
    const noLabel = await kioku('train', 'text', '--data', csv, '--text-col', 'review', '--out', out);
    expect(noLabel.stderr).toMatch(
      /column "label": unknown label column; available columns: review, sentiment \(--label-col names the label column, default "label"\)/,
    );
  });

  it('evaluates a file with the columns the model was trained on, no flags needed', async () => {
    const csv = join(root, 'reviews.csv');
    const model = join(root, 'reviews', 'model');
    const config = JSON.parse(await readFile(join(model, 'config.json'), 'utf8'));
    expect(config.dataColumns).toEqual({ text: 'review', label: 'sentiment' });
    const plain = await kioku('eval', '--model', model, '--data', csv, '--json');
    expect(plain.stderr).toBe('');
    expect(plain.code).toBe(0);
    const flagged = await kioku(
      'eval',
      '--model',
      model,
      '--data',
      csv,
      '--text-col',
      'review',
      '--label-col',
      'sentiment',
      '--json',
    );
    const scores = (r: { stdout: string }) => jsonLines(r.stdout).filter((x) => x.event === 'eval');
    expect(scores(plain).length).toBeGreaterThan(0);
    expect(scores(plain)).toEqual(scores(flagged));
    // The flags still override: a column the file lacks is refused by its flag's name.
    const other = await kioku('eval', '--model', model, '--data', csv, '--text-col', 'body');
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/column "body": unknown text column.*--text-col/);
  });
});

describe('bad input', () => {
  const cases: Array<[string, string[], RegExp, number]> = [
    ['unknown command', ['trian'], /unknown command 'trian'.*Did you mean train/, 2],
    ['unknown flag', ['info', '--model', 'x', '--colour'], /unknown option '--colour'/, 2],
    ['missing --data', ['train', 'text', '--out', 'x'], /required option '--data <source>'/, 2],
    [
      'bad number',
      ['train', 'text', '--data', 'a.csv', '--epochs', 'two', '--out', 'x'],
      /--epochs must be an integer/,
      2,
    ],
    ['not a model directory', ['info', '--model', '.'], /config\.json" is missing/, 1],
    [
      'missing model directory',
      ['predict', '--model', '/nonexistent/kioku', '--text', 'hi'],
      /does not exist/,
      1,
    ],
    [
      'unknown --target column',
      ['train', 'series', '--data', 'seattle-weather', '--target', 'humidity', '--out', 'x'],
      /humidity.*available columns: precipitation, temp_max, temp_min, wind/,
      1,
    ],
    [
      '--lookback longer than the series',
      [
        'train',
        'series',
        '--data',
        'seattle-weather',
        '--target',
        'temp_max',
        '--lookback',
        '5000',
        '--out',
        'x',
      ],
      /--lookback 5000.*1461 rows/,
      1,
    ],
    [
      'unknown data source',
      ['train', 'text', '--data', 'spam', '--out', 'x'],
      /--data must be spam-assassin/,
      1,
    ],
  ];
  for (const [name, argv, message, code] of cases) {
    it(`${name}: one line, exit ${code}, no stack trace`, async () => {
      const r = await kioku(...argv);
      expect(r.code).toBe(code);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^kioku: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it('the installed command exits non-zero with one line', async () => {
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['bin/kioku.js', 'train', 'text'],
        { env: { ...process.env, KIOKU_BACKEND: 'js' } },
        (err, _out, stderr) => resolve({ code: typeof err?.code === 'number' ? err.code : 0, stderr }),
      );
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("kioku: required option '--data <source>' not specified");
  });

  it('--debug adds the stack trace', async () => {
    const r = await kioku('info', '--model', '.', '--debug');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('a model of the wrong kind is refused', async () => {
    const r = await kioku('forecast', '--model', join(root, 'spam', 'model'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/needs a forecaster/);
  });
});
