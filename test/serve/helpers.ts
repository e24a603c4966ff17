import type { TimeSeries } from '../../src/data/series.js';
import { seattleWeather } from '../../src/io/datasets/builtin.js';
import { loadSpamAssassin } from '../../src/io/datasets/spam.js';
import { createServer, type KiokuServer, type ServeOptions } from '../../src/serve/server.js';
import type { OpenedModel } from '../../src/train/recipes/index.js';
import { trainForecaster, trainTextClassifier } from '../../src/train/recipes/index.js';

/** Small models trained by the recipes on slices of the built-in data, and a server on loopback. */

export interface Models {
  /** Unidirectional LSTM, pooling 'last' (the seed's classifier): it can keep sessions. */
  text: OpenedModel;
  /** The recipe's default shape (bidirectional, max pooling): no sessions. */
  textBi: OpenedModel;
  /** Seattle temp_max with calendar columns, lookback 14, horizon 2. */
  series: OpenedModel;
  seattle: TimeSeries;
}

export async function trainModels(): Promise<Models> {
  const corpus = await loadSpamAssassin({ headers: 'from-subject' });
  const text = {
    corpus,
    limit: 200,
    epochs: 1,
    embed: 12,
    hidden: 12,
    vocabSize: 1000,
    maxLen: 48,
    batch: 16,
    baselines: false,
  };
  const uni = await trainTextClassifier({ ...text, bidirectional: false, pooling: 'last', cell: 'lstm' });
  const bi = await trainTextClassifier({ ...text, cell: 'gru' });
  const seattle = await seattleWeather();
  const fc = await trainForecaster({
    series: seattle,
    target: 'temp_max',
    testFrom: '2015-01-01',
    lookback: 14,
    horizon: 2,
    hidden: 8,
    epochs: 1,
    batch: 64,
    calendar: true,
  });
  return {
    text: { model: uni.model, config: uni.config, where: 'text' },
    textBi: { model: bi.model, config: bi.config, where: 'text-bi' },
    series: { model: fc.model, config: fc.config, where: 'series' },
    seattle,
  };
}

export interface Running {
  server: KiokuServer;
  url: string;
}

/** A server for `models` listening on 127.0.0.1 at a free port. */
export async function serve(models: Models, options: Partial<ServeOptions> = {}): Promise<Running> {
  const server = createServer({
    models: [
      { name: 'spam', opened: models.text },
      { name: 'spam-bi', opened: models.textBi },
      { name: 'seattle', opened: models.series },
    ],
    ...options,
  });
  return { server, url: await server.listen(0, '127.0.0.1') };
}

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are read as loose JSON in tests
  body: any;
}

/** POSTs `body` (JSON unless a string) and reads the JSON answer. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

export async function get(url: string): Promise<Answer> {
  const res = await fetch(url);
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, body: type.includes('json') ? await res.json() : await res.text() };
}

/** The value of one sample of a Prometheus text exposition, or undefined. */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const ok = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (ok) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/** Rows [start, end) of a series as v1 history rows of `columns`, with their dates. */
export function historyOf(series: TimeSeries, columns: readonly string[], start: number, end: number) {
  const idx = columns.map((c) => series.columns.indexOf(c));
  const F = series.columns.length;
  const rows = [];
  for (let r = start; r < end; r++) rows.push(idx.map((k) => series.values[r * F + k]!));
  return { history: rows, dates: series.index!.slice(start, end) };
}
