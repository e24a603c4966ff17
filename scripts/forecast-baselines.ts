/**
 * What a forecasting network must beat: fits the standard baselines on the training split of
 * each built-in series (and two more vega-datasets series) and scores them on the test split
 * from every origin, one step ahead and one season ahead, with the M4 metrics. Also prints
 * the detected frequency and the `auto` target transform with its reason.
 *
 *   npx tsx scripts/forecast-baselines.ts
 */
import { chooseTransform } from '../src/data/auto-transform.js';
import { inferFrequency, parseDates } from '../src/data/dates.js';
import { chronologicalSplit } from '../src/data/split.js';
import { averageScores, type Scores, scoreForecasts } from '../src/train/baselines/accuracy.js';
import { fitStandardBaselines, type StandardBaselines } from '../src/train/baselines/standard.js';
import { forecastSeries, type NamedSeries } from './forecast-series.js';

const f = (v: number | undefined, digits = 3) => (v === undefined ? '—' : v.toFixed(digits));

/** Scores every baseline from each test origin with room for `horizon` steps. */
function evaluate(
  series: NamedSeries,
  set: StandardBaselines,
  trainLength: number,
  horizon: number,
  period: number,
) {
  const testStart = chronologicalSplit(series.values.length).test.start;
  const train = series.values.slice(0, trainLength);
  const origins: number[] = [];
  for (let o = testStart; o + horizon <= series.values.length; o++) origins.push(o);
  const actual = origins.map((o) => series.values.slice(o, o + horizon));
  const naive2Rows = origins.length > 0 ? set.naive2.forecastAt(series.values, origins, horizon) : [];
  const score = (rows: Float64Array[]) =>
    scoreForecasts({ actual, predicted: rows, train, period, naive2: naive2Rows }).pooled;
  const naive2 = score(naive2Rows);
  const rows = set.baselines.map((b) => ({
    name: b.name,
    scores: score(origins.length > 0 ? b.forecastAt(series.values, origins, horizon) : []),
    naive2,
  }));
  return { rows, origins: origins.length };
}

function table(title: string, rows: { name: string; scores: Scores }[]): void {
  console.log(`  ${title}`);
  console.log(
    `    ${'baseline'.padEnd(56)} ${'MAE'.padStart(9)} ${'MASE'.padStart(7)} ${'sMAPE%'.padStart(7)} ${'OWA'.padStart(6)}`,
  );
  for (const { name, scores } of rows) {
    console.log(
      `    ${name.padEnd(56)} ${f(scores.mae).padStart(9)} ${f(scores.mase).padStart(7)} ${f(scores.smape, 2).padStart(7)} ${f(scores.owa).padStart(6)}`,
    );
  }
}

const stockRows: Map<string, { model: Scores; naive2?: Scores }[]> = new Map();
for (const series of await forecastSeries()) {
  const info = inferFrequency(parseDates(series.index));
  const period = info.period;
  const trainLength = chronologicalSplit(series.values.length).train.end;
  const train = series.values.slice(0, trainLength);
  const started = performance.now();
  const set = fitStandardBaselines(train, { period });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const one = evaluate(series, set, trainLength, 1, period);
  const season = period > 1 ? evaluate(series, set, trainLength, period, period) : undefined;
  const choice = chooseTransform(train, { period });
  console.log(
    `\n${series.name}: ${series.values.length} values, ${info.reason}, m=${period}; train ${trainLength}, ${one.origins} test origins; baselines fitted in ${seconds} s`,
  );
  console.log(`  auto transform → ${choice.reason}`);
  console.log(`  ETS by AICc → ${set.ets?.best.name}`);
  table('one step ahead', one.rows);
  if (season)
    table(`${period} steps ahead (one season), pooled over steps and ${season.origins} origins`, season.rows);
  if (series.name.startsWith('stocks:') && season) {
    for (const r of season.rows) {
      const name = r.name.replace(/^ETS: .*/, 'ETS (AICc choice per symbol)');
      stockRows.set(name, [...(stockRows.get(name) ?? []), { model: r.scores, naive2: r.naive2 }]);
    }
  }
}
console.log('\nstocks, five symbols averaged as M4 averages series (12 steps ahead):');
table(
  'mean over symbols; OWA from the mean sMAPE and MASE',
  [...stockRows].map(([name, list]) => ({ name, scores: averageScores(list) })),
);
