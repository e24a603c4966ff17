import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WordTokenizer } from '../../src/data/tokenizers.js';
import { Vocab } from '../../src/data/vocab.js';
import { readJsonTable } from '../../src/io/datasets/json-table.js';
import { loadTextFile } from '../../src/io/datasets/text.js';
import { exportPytorchProject } from '../../src/io/pytorch-project/project.js';
import { serializeSafetensors } from '../../src/io/safetensors.js';
import { TextClassifier } from '../../src/nn/heads.js';

/**
 * An exported project's data.py reads labelled files as kioku's loader does: labels trimmed,
 * numbers written one way, rows with an empty label or a missing-value marker (NaN, NA, N/A,
 * null, None) left out with a warning, empty texts kept with a warning, and .json arrays of
 * records read as tables. Needs /usr/bin/python3 with torch (data.py imports it); skipped otherwise.
 */

const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

const LOAD = `
import json, sys
sys.path.insert(0, sys.argv[1])
import data
try:
    texts, labels, classes = data.load_texts(sys.argv[2])
    print(json.dumps({'texts': texts, 'labels': labels, 'classes': classes}))
except data.DataError as e:
    print(json.dumps({'error': str(e)}))
`;

const TABLE = `
import json, sys
sys.path.insert(0, sys.argv[1])
import data
print(json.dumps(list(data.read_table(sys.argv[2]))))
`;

/** The files, each with what it exercises. */
const FILES: Record<string, string> = {
  // Numbers written several ways, markers of every kind, an empty text, a label with spaces.
  'numbers.csv': [
    'text,label',
    'one good film, 1.0 ',
    'another,01',
    'bad,0',
    'no label,NaN',
    'none here,NA',
    ',1',
    'blank label,',
    'python,None',
    'sql,null',
    'sheet,N/A',
    '"quoted, with comma",2',
    'decimal,.5e1',
  ].join('\n'),
  // Labels that are words: markers (any case) left out, the rest kept as written (trimmed).
  'words.tsv': ['text\tlabel', 'a\tspam', 'b\t ham ', 'c\tnan', 'd\tNONE', 'e\tspam', '\tham'].join('\n'),
  // JSON lines: numbers and null as labels, a null text (empty, kept).
  'lines.jsonl': [
    '{"text": "x", "label": 1}',
    '{"text": "y", "label": 1.0}',
    '{"text": null, "label": 0}',
    '{"text": "z", "label": null}',
    '{"text": "w", "label": "NaN"}',
    '',
    '{"text": "v", "label": "0.0"}',
  ].join('\n'),
  // A .json table: records over several lines, a number and a boolean as text, null labels.
  'table.json': `[
  {"text": "first", "label": "pos"},
  {"text": 1776,
   "label": "neg"},
  {"label": "pos", "text": true, "extra": [1, 2]},
  {"text": "gone", "label": null},
  {"text": "also gone", "label": " None "},
  {"text": "", "label": "neg"}
]`,
  'object.json': '{"text": "a", "label": "b"}',
  // A series as a .json table (the forecaster's data.py reads it through read_table).
  'series.json': `[{"date": "2020-01-01", "value": 1.5, "wind": null},
 {"date": "2020-01-02", "value": 2, "flag": true},
 {"value": -0.25, "date": "2020-01-03", "wind": "3"}]`,
  'nested.json': '[{"date": "2020-01-01", "value": [1]}]',
  'missing-key.json': '[{"text": "a", "label": "b"}, {"text": "c"}]',
};

let dir: string;
let project: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kioku-pyproject-labels-'));
  project = join(dir, 'project');
  const model = new TextClassifier({ vocabSize: 5, embedDim: 3, hiddenSize: 4, cell: 'gru' });
  const config = {
    format: 'kioku-model',
    formatVersion: 1,
    kiokuVersion: '0.1.0',
    architecture: model.config(),
    task: 'classification',
    labels: ['neg', 'pos'],
    vocab: new Vocab(['<pad>', '<unk>', 'good', 'bad', 'film']).toJSON(),
    tokenizer: new WordTokenizer().toJSON(),
    maxLen: 16,
    truncation: 'head',
    data: 'reviews.csv',
    training: { epochs: 1, bestEpoch: 1, seed: 3, lr: 0.01, batch: 8 },
  };
  const out = exportPytorchProject({
    'config.json': JSON.stringify(config),
    'model.safetensors': serializeSafetensors(model.stateDict()),
  });
  spawnSync('mkdir', [project]);
  for (const name of ['data.py', 'char_classes.py']) writeFileSync(join(project, name), out[name] as string);
  for (const [name, content] of Object.entries(FILES)) writeFileSync(join(dir, name), content);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function dataPy(file: string) {
  const r = spawnSync('/usr/bin/python3', ['-c', LOAD, project, join(dir, file)], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return {
    ...(JSON.parse(r.stdout) as { texts?: string[]; labels?: number[]; classes?: string[]; error?: string }),
    warnings: r.stderr,
  };
}

describe.skipIf(!hasTorch)("data.py reads labelled files as kioku's loader does", () => {
  for (const file of ['numbers.csv', 'words.tsv', 'lines.jsonl', 'table.json']) {
    it(file, async () => {
      const want = await loadTextFile(join(dir, file));
      const got = dataPy(file);
      expect(got.error).toBeUndefined();
      expect(got.classes).toEqual(want.classes);
      expect(got.texts).toEqual(want.texts);
      expect(got.labels).toEqual(Array.from(want.labels));
      const left = want.labelChanges.emptyRows;
      expect(got.warnings).toContain(`left out ${left} row(s)`);
      for (const m of want.labelChanges.missingMarkers) expect(got.warnings).toContain(JSON.stringify(m));
      if (want.emptyTexts.rows > 0) {
        expect(got.warnings).toContain(
          `${want.emptyTexts.rows} text(s) are empty (lines ${want.emptyTexts.lines.join(', ')})`,
        );
      } else expect(got.warnings).not.toContain('are empty');
    });
  }

  it('reads a .json table as kioku does (header, cells), and refuses a nested value naming its line and key', async () => {
    const want: unknown[] = [];
    for await (const row of readJsonTable(join(dir, 'series.json'))) {
      want.push('header' in row ? row.header : row.fields);
    }
    const table = (file: string) =>
      spawnSync('/usr/bin/python3', ['-c', TABLE, project, join(dir, file)], { encoding: 'utf8' });
    const r = table('series.json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(want);
    const nested = table('nested.json');
    expect(nested.status).not.toBe(0);
    expect(nested.stderr).toMatch(
      /nested\.json: line 1: column value: expected a string, number, boolean or null/,
    );
  });

  it('refuses a .json file that is not an array of records, and a record without the label, naming them', async () => {
    await expect(loadTextFile(join(dir, 'object.json'))).rejects.toThrow(/array of records/);
    expect(dataPy('object.json').error).toMatch(/object\.json: a \.json file must hold an array of records/);
    await expect(loadTextFile(join(dir, 'missing-key.json'))).rejects.toThrow(
      /line 1.*missing key|missing key/,
    );
    expect(dataPy('missing-key.json').error).toMatch(/missing-key\.json: line 1: missing key "label"/);
  });
});
