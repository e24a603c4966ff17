import type { Scores } from '../train/baselines/accuracy.js';
import type { FitResult } from '../train/fit-types.js';
import type { ForecasterEvent, SeriesDataEvent } from '../train/recipes/events.js';
import type { ModelScores } from '../train/recipes/series-baselines.js';
import type { SplitReport } from '../train/recipes/series-evaluation.js';
import { type Reporter, round, table } from './reporter.js';
import { spanText } from './training.js';

/** How the series commands print a forecaster's data, training and scores beside its baselines. */

const METRICS = ['mae', 'rmse', 'smape', 'mase', 'owa'] as const;

/** The series-data event as progress notes: sizes and splits, dates, transform, schedule. */
function dataNotes(reporter: Reporter, e: SeriesDataEvent): void {
  const series = e.series > 1 ? ` in ${e.series} series` : '';
  reporter.note(
    `${e.rows} rows${series}, ${e.columns.length} input(s) [${e.columns.join(', ')}], target ${e.target}: train ${spanText(e.train)}, val ${spanText(e.val)}, test ${spanText(e.test)}`,
  );
  reporter.note(
    `dates: ${e.frequency ?? 'none'}, season m=${e.season}; calendar inputs: ${e.calendarReason}`,
  );
  reporter.note(`transform: ${e.transformReason}`);
  if (e.lookbackReason !== null) reporter.note(`lookback: ${e.lookbackReason}`);
  const how = e.strategy === 'direct' ? 'one output per step' : 'one step at a time, fed back';
  reporter.note(
    `horizon: ${e.horizon} step(s) per forecast (${e.strategy}: ${how}); lr schedule: ${e.schedule}`,
  );
}

/** Progress of `trainForecaster`: the data notes, then the training events. */
export async function seriesProgress(
  reporter: Reporter,
  e: ForecasterEvent,
  metric: { name: string },
): Promise<void> {
  if (e.type === 'series-data') {
    metric.name = e.series > 1 ? 'mase' : 'mae';
    dataNotes(reporter, e);
  } else {
    await reporter.training(e, metric.name);
    // Scoring fits the baselines first, which on a long series takes a while in silence.
    if (e.type === 'trained') {
      reporter.note(
        `scoring ${e.model} beside the baselines on the test split (fitting exponential smoothing first)…`,
      );
    }
  }
}

/** The epoch whose weights were kept, and why training ended. */
export async function restoredLine(reporter: Reporter, fit: FitResult, metric: string): Promise<void> {
  const n = `${fit.epochs} epoch${fit.epochs === 1 ? '' : 's'}`;
  const why = {
    completed: `ran all its ${n}`,
    'early-stopping': `stopped early after ${n}`,
    aborted: `was interrupted after ${n}`,
  }[fit.stopReason];
  if (fit.bestEpoch === null) return;
  await reporter.event({
    event: 'restored',
    epoch: fit.bestEpoch,
    epochs: fit.epochs,
    stopReason: fit.stopReason,
  });
  if (fit.bestEpoch === 0) {
    reporter.print(
      `Training ${why}; no epoch beat the starting weights on validation, so they are kept: the network forecasts the transform's baseline.`,
    );
    return;
  }
  const value = fit.history[`val${metric[0]!.toUpperCase()}${metric.slice(1)}`]?.[fit.bestEpoch - 1];
  reporter.print(
    `Training ${why}; restored the best weights, from epoch ${fit.bestEpoch}${value !== undefined ? ` (val ${metric} ${round(value, 4)})` : ''}.`,
  );
}

const cell = (v: number | undefined): string | number => (v === undefined ? '—' : v);

function scoreRecord(s: Scores): Record<string, unknown> {
  const out: Record<string, unknown> = Object.fromEntries(
    METRICS.map((k) => [k, s[k] === undefined ? null : round(s[k]!)]),
  );
  if (Object.keys(s.reasons).length) out.reasons = s.reasons;
  return out;
}

async function events(reporter: Reporter, event: string, r: SplitReport): Promise<void> {
  for (const m of r.models) {
    await reporter.event({
      event,
      split: r.split,
      model: m.name,
      origins: r.origins,
      horizon: r.horizon,
      ...scoreRecord(m.pooled),
      ...(r.horizon > 1 ? { perStep: m.perStep.map(scoreRecord) } : {}),
      ...(r.members.length > 1
        ? {
            series: Object.fromEntries(
              r.members.map((x, i) => [x.name, m.members[i] ? scoreRecord(m.members[i]!) : null]),
            ),
          }
        : {}),
    });
  }
  const v = r.verdict;
  await reporter.event({
    event: 'verdict',
    metric: v.metric,
    best: v.best?.name ?? null,
    ratio: v.ratio ?? null,
    summary: v.summary,
    warning: v.warning ?? null,
    randomWalk: r.randomWalk,
  });
  if (r.coverage) await reporter.event({ event: 'intervals', ...r.coverage });
}

function stepTable(r: SplitReport): string {
  const steps = Array.from({ length: r.horizon }, (_, k) => String(k + 1));
  return table(
    ['MASE by step', ...steps],
    r.models.map((m) => [m.name, ...m.perStep.map((s) => cell(s.mase))]),
  );
}

function memberTable(r: SplitReport): string {
  return table(
    ['MASE by series', ...r.models.map((m) => m.name)],
    r.members.map((x, i) => [
      `${x.name} (${x.origins} origins)`,
      ...r.models.map((m) => cell(m.members[i]?.mase)),
    ]),
  );
}

/** Why metrics are undefined, once per metric and reason, naming the models (or "every model"). */
function reasonLines(models: ModelScores[]): string[] {
  const names = new Map<string, string[]>();
  for (const m of models) {
    for (const [k, why] of Object.entries(m.pooled.reasons)) {
      const key = `${k.toUpperCase()} undefined: ${why}`;
      names.set(key, [...(names.get(key) ?? []), m.name]);
    }
  }
  return [...names].map(
    ([key, who]) => `${who.length === models.length ? 'every model' : who.join(', ')}: ${key}`,
  );
}

/** The model against naive (persistence): MAE and MASE ratios. */
function persistenceLine(r: SplitReport): string | null {
  const model = r.models[0]!.pooled;
  const naive = r.models.find((m) => m.name === 'naive')?.pooled;
  if (!naive) return null;
  const ratio = (k: 'mae' | 'mase') =>
    model[k] !== undefined && naive[k] ? `${k.toUpperCase()} ${(model[k]! / naive[k]!).toFixed(3)}×` : null;
  const parts = [r.members.length === 1 ? ratio('mae') : null, ratio('mase')].filter((p) => p !== null);
  return parts.length ? `${r.models[0]!.name} vs naive (persistence): ${parts.join(', ')}` : null;
}

/**
 * One event per model (`test` or `eval`), the verdict and the intervals' coverage; then the
 * table of every model, per step and per series, the comparison in words and any warning.
 */
export async function splitReport(
  reporter: Reporter,
  event: 'test' | 'eval',
  r: SplitReport,
  title: string,
): Promise<void> {
  await events(reporter, event, r);
  reporter.print(title);
  reporter.print(
    table(
      ['model', 'MAE', 'RMSE', 'sMAPE', 'MASE', 'OWA'],
      r.models.map((m) => [m.name, ...METRICS.map((k) => cell(m.pooled[k]))]),
    ),
  );
  if (r.horizon > 1) reporter.print(stepTable(r));
  if (r.members.length > 1) reporter.print(memberTable(r));
  for (const line of [...reasonLines(r.models), ...r.notes]) reporter.print(`note: ${line}`);
  const vs = persistenceLine(r);
  if (vs) reporter.print(vs);
  reporter.print(`Verdict: ${r.verdict.summary}.`);
  if (r.randomWalk) {
    const subject = r.members.length > 1 ? 'These series behave' : 'This series behaves';
    reporter.print(
      `${subject} like a random walk: the best baseline is persistence (naive, or naive plus the training trend), so matching it is the honest bar and a network cannot be expected to do much better.`,
    );
  }
  if (r.verdict.warning) reporter.print(`warning: ${r.verdict.warning}`);
  if (r.coverage) reporter.print(coverageLine(r.coverage, r.split, r.origins));
}

/**
 * The intervals' coverage on a split, and whether it is off the nominal level by more than three
 * binomial standard errors over the split's origins (a forecast's steps move together, so the
 * origins, not the values, count; neighbouring origins are not independent either, hence three).
 */
export function coverageLine(
  coverage: { level: number; pooled: number },
  split: string,
  origins: number,
): string {
  const { level, pooled } = coverage;
  const line = `${Math.round(level * 100)}% prediction intervals: ${(pooled * 100).toFixed(1)}% of the ${split} values inside`;
  const off = pooled - level;
  if (Math.abs(off) <= 3 * Math.sqrt((level * (1 - level)) / Math.max(origins, 1))) return line;
  return `${line}, ${off < 0 ? 'below' : 'above'} the nominal ${Math.round(level * 100)}% by more than three standard errors over ${origins} origins: the intervals are too ${off < 0 ? 'narrow' : 'wide'} for this split`;
}

/** The title of a split's table: which rows, how many origins and steps, which target. */
export function splitTitle(what: string, r: SplitReport, target: string): string {
  const where =
    r.members.length > 1 ? `${r.members.length} series, first ${spanText(r.span)}` : spanText(r.span);
  return `${what} (${where}; ${r.origins} origins × ${r.horizon} step(s)), ${target}:`;
}
