/**
 * The built-in data kioku reads from npm packages, written as the plain files data.py reads
 * (JSONL texts, CSV series), so an exported project trains on exactly what kioku trained on.
 */
import type { TextCorpus } from '../../data/corpus.js';
import type { MissingPolicy } from '../../data/missing.js';
import { isPanel, type SeriesPanel } from '../../data/panel.js';
import type { TimeSeries } from '../../data/series.js';
import { builtinSeriesData } from '../datasets/builtin.js';
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
 * A series (or a panel, in long format: one row per id and date) as CSV: the id column, the
 * date column, then its columns; each value written as the float32 kioku holds, so reading it
 * back gives the same numbers.
 */
export function seriesCsv(
  data: TimeSeries | SeriesPanel,
  dateColumn: string | null,
  seriesColumn: string | null,
): string {
  const panel = isPanel(data) ? data : null;
  const members = panel ? panel.members : [data as TimeSeries];
  const columns = members[0]!.columns;
  const id = panel ? (seriesColumn ?? panel.column) : null;
  const head = [...(id ? [id] : []), ...(dateColumn ? [dateColumn] : []), ...columns];
  const lines = [head.map(csvField).join(',')];
  members.forEach((s, m) => {
    const F = s.columns.length;
    for (let r = 0; r < s.length; r++) {
      const values = Array.from(s.values.subarray(r * F, (r + 1) * F), String);
      const date = dateColumn ? [s.index?.[r] ?? ''] : [];
      lines.push([...(id ? [panel!.ids[m]!] : []), ...date, ...values].map(csvField).join(','));
    }
  });
  return `${lines.join('\n')}\n`;
}

/** A built-in series as `kioku train series --data NAME` reads it; null for another name. */
/** The data file of a forecaster trained on a built-in series, as CSV; null for the user's own files. */
async function builtinSeriesFile(config: ModelConfig): Promise<{ name: string; content: string } | null> {
  const s = config.series as
    | { source?: string; missing?: MissingPolicy; dateColumn: string | null; seriesColumn: string | null }
    | undefined;
  const source = typeof config.data === 'string' ? config.data : s?.source;
  if (!s || typeof source !== 'string') return null;
  const data = await builtinSeriesData(source, s.missing ?? 'error');
  if (!data) return null;
  const name = `${source.replace(/[^\w.-]/g, '-')}.csv`;
  return { name, content: seriesCsv(data, s.dateColumn, s.seriesColumn) };
}

/** The data file of a model trained on built-in data (spam-assassin, a built-in series); null for the user's own files. */
export async function builtinDataFile(
  config: ModelConfig,
): Promise<{ name: string; content: string } | null> {
  if (config.task === 'forecasting') return builtinSeriesFile(config);
  if (config.data !== 'spam-assassin') return null;
  const headers = (config.headers as SpamHeaders | undefined) ?? 'from-subject';
  return { name: 'spam-assassin.jsonl', content: corpusJsonl(await loadSpamAssassin({ headers })) };
}
