import { formatDate, parseDate } from '../../src/data/dates.js';
import { forecastSeries, type OpenedModel, predictText } from '../../src/index.js';
import { drawChart } from './chart.js';
import { spellOut } from './data-format.js';
import { $, fillTable, messageOf, say, svg } from './dom.js';

/** Predictions with the current model: a text's label and probabilities, or a forecast after the history. */

export interface CurrentModel {
  opened: Required<OpenedModel>;
  files: Map<string, Uint8Array>;
  /** How the page names it ("trained here", a folder, a URL, a stored name). */
  label: string;
}

/** Texts of a model trained on spelled-out characters are spelled out the same way. */
export const characterModel = (m: CurrentModel) => String(m.opened.config.data ?? '') === 'first-names';

export function showModel(m: CurrentModel): void {
  const task = m.opened.config.task;
  say(
    $('model-name'),
    `${m.label}: ${String((m.opened.config.architecture as { type?: string }).type)} (${task}) on ${String(m.opened.config.data ?? 'data')}`,
  );
  $('model-name').classList.remove('muted');
  $('text-form').hidden = task !== 'classification';
  $('forecast-form').hidden = task !== 'forecasting';
  svg('forecast-chart').toggleAttribute('hidden', task !== 'forecasting');
  $('text-output').replaceChildren();
  $('forecast-table').replaceChildren();
  if (task === 'forecasting') void showForecast(m);
}

export function showPrediction(m: CurrentModel, text: string): void {
  const input = characterModel(m) ? spellOut(text) : text;
  const [p] = predictText(m.opened, [input]);
  const rows = Object.entries(p!.probabilities).sort((a, b) => b[1] - a[1]);
  $('text-output').replaceChildren(
    ...rows.map(([label, prob], i) => {
      const bar = document.createElement('div');
      bar.className = `bar${i === 0 ? ' top' : ''}`;
      bar.dataset.label = label;
      bar.dataset.probability = String(prob);
      const fill = document.createElement('div');
      fill.style.width = `${(prob * 100).toFixed(1)}%`;
      const track = document.createElement('span');
      track.append(fill);
      bar.append(
        Object.assign(document.createElement('span'), { textContent: label }),
        track,
        Object.assign(document.createElement('span'), { textContent: `${(prob * 100).toFixed(1)}%` }),
      );
      return bar;
    }),
  );
}

/**
 * Axis labels for a forecast's dates: the history's as the file wrote them (2015/03/01, Mar 1
 * 2015, …) and the forecast's as kioku writes them (ISO), all in one form: the ISO date, or the
 * month, day and time for a sub-daily series. Labels that are not all dates stay as they are.
 */
export function dateLabels(labels: readonly string[]): string[] {
  const times = labels.map((l) => parseDate(l));
  if (times.some((t) => t === undefined)) return [...labels];
  const subDaily = times.some((t) => t! % 86_400_000 !== 0);
  return times.map((t) =>
    subDaily ? formatDate(t!, { time: true }).slice(5).replace('T', ' ') : formatDate(t!),
  );
}

export async function showForecast(m: CurrentModel): Promise<void> {
  try {
    const steps = Number(($('steps') as HTMLInputElement).value);
    const result = await forecastSeries(m.opened, { steps });
    const { values, index } = result.histories[0]!;
    const n = values.length;
    const history = values.map((v, i) => [i, v] as [number, number]);
    const forecast = [
      [n - 1, values[n - 1]!] as [number, number],
      ...result.rows.map((r, k) => [n + k, r.value] as [number, number]),
    ];
    // Without dates the axis counts rows; with them, history and forecast read alike.
    const dates = index ? dateLabels([...index, ...result.rows.map((r) => r.date ?? '')]) : [];
    drawChart(
      svg('forecast-chart'),
      [
        { name: 'history', color: '#2563eb', points: history },
        { name: 'forecast', color: '#f97316', points: forecast, dashed: true },
      ],
      {
        title: `${result.target}: ${steps}-step forecast`,
        marker: n - 1,
        xLabel: (x) => dates[x] ?? String(x),
      },
    );
    fillTable(
      $<HTMLTableElement>('forecast-table'),
      ['step', 'date', result.target],
      result.rows.map((r) => [String(r.step), r.date ?? '', r.value.toFixed(3)]),
    );
    $('forecast-table').dataset.values = JSON.stringify(result.rows.map((r) => r.value));
    svg('forecast-chart').dataset.dates = JSON.stringify(dates);
  } catch (e) {
    say($('model-name'), messageOf(e), true);
  }
}
