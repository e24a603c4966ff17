import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors.js';
import { WordTokenizer } from '../../src/data/tokenizers.js';
import { Vocab } from '../../src/data/vocab.js';
import { readCsv } from '../../src/io/datasets/files.js';
import { loadTextFile } from '../../src/io/datasets/text.js';
import { exportPytorchProject } from '../../src/io/pytorch-project/project.js';
import { serializeSafetensors } from '../../src/io/safetensors.js';
import { TextClassifier } from '../../src/nn/heads.js';

/**
 * The exported project reads files as kioku does: a .csv whose first line holds semicolons or
 * tabs and no comma is read with those, bytes that are not UTF-8 are an error naming their line
 * (never text with U+FFFD in their place), and train.py offers the flags of its task alone.
 * Runs data.py and train.py: needs /usr/bin/python3 with torch (skipped otherwise).
 */

const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

/** Runs `code` in the project (argv[1] is its directory) and returns its stdout, or its stderr when it fails. */
function python(project: string, code: string, ...args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(
    '/usr/bin/python3',
    ['-c', `import sys; sys.path.insert(0, sys.argv[1])\n${code}`, project, ...args],
    {
      encoding: 'utf8',
    },
  );
  return { ok: r.status === 0, out: r.status === 0 ? r.stdout : r.stderr };
}

/** The project of a tiny text classifier, written to `dir`. */
function writeProject(dir: string): void {
  const model = new TextClassifier({ vocabSize: 4, embedDim: 3, hiddenSize: 4, cell: 'gru' });
  const config = {
    format: 'kioku-model',
    formatVersion: 1,
    kiokuVersion: '0.1.0',
    architecture: model.config(),
    task: 'classification',
    labels: ['neg', 'pos'],
    vocab: new Vocab(['<pad>', '<unk>', 'good', 'bad']).toJSON(),
    tokenizer: new WordTokenizer().toJSON(),
    maxLen: 16,
    truncation: 'head',
    data: 'reviews.csv',
    training: { epochs: 1, bestEpoch: 1, seed: 3, lr: 0.01, batch: 8 },
  };
  const files = exportPytorchProject({
    'config.json': JSON.stringify(config),
    'model.safetensors': serializeSafetensors(model.stateDict()),
  });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
}

async function kiokuCsv(path: string): Promise<string[][]> {
  const rows: string[][] = [];
  for await (const r of readCsv(path, ',')) rows.push('header' in r ? r.header : r.fields);
  return rows;
}

const READ_CSV = 'import json, data\nprint(json.dumps(list(data.read_csv(sys.argv[2], sys.argv[3]))))';
const READ_CSVS = "import json, data\nprint(json.dumps([list(data.read_csv(p, ',')) for p in sys.argv[2:]]))";

describe.skipIf(!hasTorch)("the exported project's files are read as kioku reads them", () => {
  const dir = mkdtempSync(join(tmpdir(), 'kioku-pyproject-files-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeProject(dir);

  it('a .csv delimited by semicolons or tabs (its first line has no comma) is read with them', async () => {
    const cases = {
      'semicolons.csv': 'text;label\r\n"good, bad";pos\r\nbad film;neg\r\n',
      'tabs.csv': 'text\tlabel\ngood;film\tpos\n',
      'commas.csv': 'text,label\n"a;b\tc",pos\n',
      'one-column.csv': 'text\ngood\n',
    };
    const paths = Object.entries(cases).map(([name, content]) => {
      writeFileSync(join(dir, name), content);
      return join(dir, name);
    });
    const py = python(dir, READ_CSVS, ...paths);
    expect(py.ok, py.out).toBe(true);
    const read = JSON.parse(py.out) as string[][][];
    for (const [i, path] of paths.entries()) expect(read[i], path).toEqual(await kiokuCsv(path));
    expect(await kiokuCsv(join(dir, 'semicolons.csv'))).toEqual([
      ['text', 'label'],
      ['good, bad', 'pos'],
      ['bad film', 'neg'],
    ]);
  });

  it('bytes that are not UTF-8 are an error at their line, in CSV and JSON lines, as kioku says', async () => {
    const latin1 = Buffer.concat([
      Buffer.from('text,label\ngood,pos\n'),
      Buffer.from('caf\xe9,neg\n', 'latin1'),
    ]);
    const csv = join(dir, 'latin1.csv');
    writeFileSync(csv, latin1);
    const jsonl = join(dir, 'latin1.jsonl');
    writeFileSync(
      jsonl,
      Buffer.concat([
        Buffer.from('{"text":"good","label":"pos"}\n'),
        Buffer.from('{"text":"caf\xe9","label":"neg"}\n', 'latin1'),
      ]),
    );
    const kiokuError = await kiokuCsv(csv).catch((e: unknown) => e);
    expect(kiokuError).toBeInstanceOf(DataError);
    expect((kiokuError as DataError).line).toBe(3);
    const py = python(dir, READ_CSV, csv, ',');
    expect(py.ok).toBe(false);
    expect(py.out).toContain(`data.DataError: ${csv}: line 3: the file is not UTF-8 text`);
    await expect(loadTextFile(jsonl)).rejects.toMatchObject({ line: 2 });
    const pyJsonl = python(dir, 'import data\ndata.load_texts(sys.argv[2])', jsonl);
    expect(pyJsonl.ok).toBe(false);
    expect(pyJsonl.out).toContain(`${jsonl}: line 2: the file is not UTF-8 text`);
  });

  it("train.py --help lists the flags of the project's task alone", () => {
    const help = (task: string) => {
      const settings = JSON.parse(readFileSync(join(dir, 'project.json'), 'utf8'));
      const taskDir = mkdtempSync(join(dir, `${task}-`));
      for (const f of ['train.py', 'data.py', 'model.py', 'char_classes.py', 'config.json'])
        copyFileSync(join(dir, f), join(taskDir, f));
      writeFileSync(join(taskDir, 'project.json'), JSON.stringify({ ...settings, task }));
      return execFileSync('/usr/bin/python3', ['train.py', '--help'], { cwd: taskDir, encoding: 'utf8' });
    };
    const text = help('classification');
    const series = help('forecasting');
    for (const flag of ['--data', '--epochs', '--batch', '--lr', '--weight-decay', '--seed', '--device']) {
      expect(text).toContain(flag);
      expect(series).toContain(flag);
    }
    for (const flag of ['--label-smoothing', '--limit', '--build-vocab', '--vocab-size', '--min-freq']) {
      expect(text).toContain(flag);
      expect(series).not.toContain(flag);
    }
    for (const flag of ['--patience', '--lr-schedule']) {
      expect(series).toContain(flag);
      expect(text).not.toContain(flag);
    }
  });
});
