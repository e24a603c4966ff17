/**
 * Checks the `auto` target transform against the alternatives with a cheap stand-in for a
 * network: a linear autoregression (least squares with a tiny ridge, one output per horizon
 * step) on input windows of two seasons, fitted on the training split in each transformed
 * space, decoded and scored by MASE one step and one season ahead from every origin in the
 * validation and test splits (the stand-in tunes nothing on validation). A linear model
 * extrapolates levels where a tanh network saturates, so `none` looks better here on trending
 * series than it would for an LSTM.
 *
 *   npx tsx scripts/forecast-transforms.ts
 */
import { chooseTransform } from '../src/data/auto-transform.js';
import { inferFrequency, parseDates } from '../src/data/dates.js';
import { solveSymmetric } from '../src/data/least-squares.js';
import { chronologicalSplit } from '../src/data/split.js';
import {
  decodeForecast,
  describeTransform,
  encodeTargets,
  encodeWindow,
  type TargetTransform,
  transformContext,
} from '../src/data/target-transform.js';
import { scoreForecasts } from '../src/train/baselines/accuracy.js';
import { forecastSeries } from './forecast-series.js';

/** Fits W ((L+1) × H) by least squares on the windows ending at `origins`. */
function fitLinear(t: TargetTransform, y: number[], origins: number[], window: number, horizon: number) {
  const d = window + 1;
  const xtx = new Float64Array(d * d);
  const xty = Array.from({ length: horizon }, () => new Float64Array(d));
  for (const o of origins) {
    const x = [...encodeWindow(t, y, o, window), 1];
    const target = encodeTargets(t, y, o, horizon);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) xtx[i * d + j]! += x[i]! * x[j]!;
      for (let k = 0; k < horizon; k++) xty[k]![i]! += x[i]! * target[k]!;
    }
  }
  let trace = 0;
  for (let i = 0; i < d; i++) trace += xtx[i * d + i]!;
  for (let i = 0; i < d; i++) xtx[i * d + i]! += (1e-6 * trace) / d;
  const weights = xty.map((b) => solveSymmetric(xtx, b, d)!);
  return (o: number) => {
    const x = [...encodeWindow(t, y, o, window), 1];
    const p = weights.map((w) => x.reduce((s, v, i) => s + v * w[i]!, 0));
    return decodeForecast(t, y.slice(0, o), p);
  };
}

function mase(t: TargetTransform, y: number[], period: number, horizon: number): number | undefined {
  const split = chronologicalSplit(y.length);
  const window = Math.max(2 * period, 8);
  const first = window + transformContext(t);
  const train: number[] = [];
  for (let o = first; o + horizon <= split.train.end; o++) train.push(o);
  const test: number[] = [];
  for (let o = split.val.start; o + horizon <= y.length; o++) test.push(o);
  if (test.length === 0 || train.length < 2 * window) return undefined;
  const predict = fitLinear(t, y, train, window, horizon);
  return scoreForecasts({
    actual: test.map((o) => y.slice(o, o + horizon)),
    predicted: test.map(predict),
    train: y.slice(0, split.train.end),
    period,
  }).pooled.mase;
}

const header = [
  'none',
  'difference',
  'log-difference',
  'seasonal-difference',
  'window ratio',
  'window offset',
];
const rows: { name: string; cells: (number | undefined)[]; auto: number }[][] = [[], []];
for (const series of await forecastSeries()) {
  const { period } = inferFrequency(parseDates(series.index));
  const candidates: (TargetTransform | undefined)[] = [
    { kind: 'none' },
    { kind: 'difference' },
    { kind: 'log-difference' },
    period > 1 ? { kind: 'seasonal-difference', period } : undefined,
    { kind: 'window', mode: 'ratio' },
    { kind: 'window', mode: 'offset' },
  ];
  const train = series.values.slice(0, chronologicalSplit(series.values.length).train.end);
  const auto = describeTransform(chooseTransform(train, { period }).transform);
  const positive = series.values.every((x) => x > 0);
  [1, period].forEach((horizon, table) => {
    const cells = candidates.map((t) => {
      const needsPositive = t?.kind === 'log-difference' || (t?.kind === 'window' && t.mode === 'ratio');
      return t === undefined || (needsPositive && !positive)
        ? undefined
        : mase(t, series.values, period, horizon);
    });
    const name = `${series.name} (m=${period})`;
    rows[table]!.push({ name, cells, auto: candidates.findIndex((t) => t && describeTransform(t) === auto) });
  });
}
rows.forEach((table, i) => {
  console.log(
    `\nMASE of a linear autoregression, ${i === 0 ? 'one step' : 'one season'} ahead (* = auto's choice)`,
  );
  console.log(`${''.padEnd(40)}${header.map((h) => h.padStart(20)).join('')}`);
  for (const row of table) {
    const text = row.cells.map((v, j) =>
      v === undefined ? '—' : `${v.toFixed(3)}${j === row.auto ? '*' : ' '}`,
    );
    console.log(`${row.name.padEnd(40)}${text.map((c) => c.padStart(20)).join('')}`);
  }
});
