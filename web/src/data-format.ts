/** The playground's data sets as the build writes them (web/build-data.ts) and the page reads them. */

export interface SeriesData {
  kind: 'series';
  name: string;
  title: string;
  /** The column forecast. */
  target: string;
  columns: string[];
  /** One date per row (ISO), or empty. */
  index: string[];
  rows: number[][];
}

export interface TextData {
  kind: 'text';
  name: string;
  title: string;
  classes: string[];
  texts: string[];
  labels: number[];
  /** Each character is a token: texts are spelled out with spaces before training and prediction. */
  characters: boolean;
}

export type PlaygroundData = SeriesData | TextData;

/** The built-in sets the page offers, in its menu's order. */
export const BUILTIN = [
  { file: 'seattle-weather.json', label: 'Seattle weather — forecast temp_max' },
  { file: 'spam-assassin-sample.json', label: 'SpamAssassin sample — spam or ham' },
  { file: 'first-names.json', label: 'First names — female or male, by character' },
] as const;

/** "mary" → "m a r y": the word tokenizer then reads one character per token. */
export const spellOut = (text: string): string => [...text.toLowerCase()].filter((c) => c.trim()).join(' ');
