/**
 * The built-in data kioku reads from npm packages, written as the plain files data.py reads
 * (JSONL texts, CSV series), so an exported project trains on exactly what kioku trained on.
 */
import type { TextCorpus } from '../../data/corpus.js';
import type { TimeSeries } from '../../data/series.js';
import { seattleWeather, stockPrices, usBirths } from '../datasets/builtin.js';
import { loadSpamAssassin, type SpamHeaders } from '../datasets/spam.js';
import type { ModelConfig } from '../model-config.js';

/** One JSON line per text: {"text": …, "label": class name}, in corpus order. */
export function corpusJsonl(corpus: TextCorpus): string {
  return corpus.texts
    .map((text, i) => `${JSON.stringify({ text, label: corpus.classes[corpus.labels[i]!] })}\n`)
    .join('');
}

const csvField = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

/**
 * A header `date,<columns>` and one row per time step; values as JavaScript writes the float32
 * numbers (so they parse back to the same float32), missing values as empty cells.
 */
export function seriesCsv(series: TimeSeries, dateColumn = 'date'): string {
  const F = series.columns.length;
  const lines = [[...(series.index ? [dateColumn] : []), ...series.columns].map(csvField).join(',')];
  for (let r = 0; r < series.length; r++) {
    const values = Array.from(series.values.subarray(r * F, (r + 1) * F), (v) =>
      Number.isNaN(v) ? '' : String(v),
    );
    lines.push([...(series.index ? [csvField(series.index[r]!)] : []), ...values].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The data file of a model trained on built-in data (spam-assassin, seattle-weather, births,
 * stocks:<SYMBOL>), read with the model's settings (e-mail headers, missing-value policy); null
 * for data from the user's own files.
 */
export async function builtinDataFile(
  config: ModelConfig,
): Promise<{ name: string; content: string } | null> {
  const data = config.data;
  if (data === 'spam-assassin') {
    const headers = (config.headers as SpamHeaders | undefined) ?? 'from-subject';
    return { name: 'spam-assassin.jsonl', content: corpusJsonl(await loadSpamAssassin({ headers })) };
  }
  const missing = (config.series as { missing?: 'ffill' | 'drop' } | undefined)?.missing ?? 'error';
  let series: TimeSeries;
  if (data === 'seattle-weather') series = await seattleWeather({ missing });
  else if (data === 'births') series = await usBirths({ missing });
  else if (typeof data === 'string' && data.startsWith('stocks:')) {
    series = await stockPrices({ symbols: [data.slice('stocks:'.length)], missing });
  } else return null;
  return { name: `${String(data).replace(':', '-')}.csv`, content: seriesCsv(series) };
}
