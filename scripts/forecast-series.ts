/** The series the forecasting scripts measure: kioku's built-in series and two more from vega-datasets. */
import { join } from 'node:path';
import { STOCK_SYMBOLS, seattleWeather, stockPrices, usBirths } from '../src/io/datasets/builtin.js';
import { packageDir } from '../src/io/datasets/files.js';
import { loadSeriesCsv } from '../src/io/datasets/series.js';

export interface NamedSeries {
  name: string;
  values: number[];
  index: readonly string[];
}

export async function forecastSeries(): Promise<NamedSeries[]> {
  const seattle = await seattleWeather();
  const births = await usBirths();
  const column = (s: { values: Float32Array; columns: readonly string[] }, c: string) =>
    Array.from(s.values.filter((_, i) => i % s.columns.length === s.columns.indexOf(c)));
  const out: NamedSeries[] = [
    { name: 'seattle-weather temp_max', values: column(seattle, 'temp_max'), index: seattle.index! },
    { name: 'births', values: column(births, 'births'), index: births.index! },
  ];
  for (const symbol of STOCK_SYMBOLS) {
    const s = await stockPrices({ symbols: [symbol] });
    out.push({ name: `stocks:${symbol}`, values: Array.from(s.values), index: s.index! });
  }
  const vega = join(packageDir('vega-datasets', 'forecast-baselines'), 'data');
  const sp500 = await loadSeriesCsv(join(vega, 'sp500.csv'), { dateColumn: 'date' });
  out.push({ name: 'sp500 (vega-datasets)', values: Array.from(sp500.values), index: sp500.index! });
  const co2 = await loadSeriesCsv(join(vega, 'co2-concentration.csv'), {
    dateColumn: 'Date',
    features: ['CO2'],
  });
  const from = co2.index!.indexOf('1964-05-01'); // the part without missing months
  out.push({
    name: 'co2 1964-2020 (vega-datasets)',
    values: Array.from(co2.values).slice(from),
    index: co2.index!.slice(from),
  });
  return out;
}
