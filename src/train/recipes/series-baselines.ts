import { diagnoseSeries } from '../../data/auto-transform.js';
import { averageScores, ForecastScorer, type Scores } from '../baselines/accuracy.js';
import { fitStandardBaselines } from '../baselines/standard.js';
import { type BaselineScores, compareWithBaselines, type Verdict } from '../baselines/verdict.js';

/**
 * The baselines a forecaster is judged against, fitted on each member's training rows only
 * (naive, seasonal naive, drift, the AICc-best exponential smoothing, Naive2), and the M4
 * metrics of the model and of each baseline on the same origins and steps: per member, then
 * pooled over the members as M4 pools series.
 */

/** One member's forecasts at its origins (rows of `horizon` values). */
export interface MemberForecasts {
  /** Raw target values of the member (the baselines read the history before each origin). */
  target: Float64Array;
  /** The training rows' end: baselines and MASE's scale see target[0, trainEnd) only. */
  trainEnd: number;
  origins: number[];
  /** The model's forecasts per origin. */
  model: Float64Array[];
}

/** A model's or a baseline's scores: pooled over members, per step, and per member. */
export interface ModelScores {
  name: string;
  pooled: Scores;
  perStep: Scores[];
  /** Scores per member (null where the member was not scored). */
  members: Array<Scores | null>;
}

interface Scored {
  pooled: Scores;
  perStep: Scores[];
}

/** Groups baselines of members: every ETS model counts as one kind across a panel. */
const kindOf = (name: string): string => (name.startsWith('ETS: ') ? 'ETS' : name);

/**
 * Origins scored per block: the baselines' forecasts (a Float64Array per origin and baseline)
 * are made and scored a block at a time, so a long test split never holds them all.
 */
export const SCORE_BLOCK = 16_384;

/** Whether the training rows look like a random walk: a unit root, so the level is not stationary. */
function wanders(train: Float64Array, period: number): boolean {
  try {
    return !diagnoseSeries(train, period).stationary;
  } catch {
    return false;
  }
}

/** The baselines scored on a member's origins, each with a note when it cannot forecast from them. */
function scoredBaselines(set: ReturnType<typeof fitStandardBaselines>, origins: readonly number[]) {
  const notes = [...set.notes];
  const kept = set.baselines.filter((b) => {
    if (b.firstOrigin === undefined || !origins.some((o) => o < b.firstOrigin!)) return true;
    notes.push(`${b.name} is left out: it forecasts from row ${b.firstOrigin} on, the split starts earlier`);
    return false;
  });
  return { kept, notes };
}

/** The model and every baseline scored on one member's origins, {@link SCORE_BLOCK} origins at a time. */
function scoreMember(f: MemberForecasts, period: number, horizon: number, block: number) {
  const train = f.target.subarray(0, f.trainEnd);
  const set = fitStandardBaselines(train, { period });
  const { kept, notes } = scoredBaselines(set, f.origins);
  const scorer = () => new ForecastScorer(train, period, horizon, true);
  const model = scorer();
  const naive2 = scorer();
  const others = kept.filter((b) => b !== set.naive2).map((b) => ({ b, scorer: scorer() }));
  for (let from = 0; from < f.origins.length; from += block) {
    const origins = f.origins.slice(from, from + block);
    const actual = origins.map((o) => f.target.subarray(o, o + horizon));
    const naive2Rows = set.naive2.forecastAt(f.target, origins, horizon);
    model.add({ actual, predicted: f.model.slice(from, from + block), naive2: naive2Rows });
    naive2.add({ actual, predicted: naive2Rows, naive2: naive2Rows });
    for (const o of others)
      o.scorer.add({ actual, predicted: o.b.forecastAt(f.target, origins, horizon), naive2: naive2Rows });
  }
  const naive2Scores = naive2.scores();
  const baselines = new Map<string, { name: string; scored: Scored }>();
  for (const b of kept) {
    const scored = b === set.naive2 ? naive2Scores : others.find((o) => o.b === b)!.scorer.scores();
    baselines.set(kindOf(b.name), { name: b.name, scored });
  }
  return { model: model.scores(), baselines, naive2: naive2Scores, notes, wandering: wanders(train, period) };
}

type MemberResult = ReturnType<typeof scoreMember>;

/** Scores with every metric undefined for `reason`. */
export function noScores(reason: string): Scores {
  const reasons = { mae: reason, rmse: reason, smape: reason, mase: reason, owa: reason };
  return { mae: undefined, rmse: undefined, smape: undefined, mase: undefined, owa: undefined, reasons };
}

/** Pools one model's per-member scores (with each member's Naive2 for OWA). */
function pool(
  name: string,
  per: Array<{ scored: Scored; naive2: Scored } | null>,
  horizon: number,
): ModelScores {
  const present = per.filter((p): p is { scored: Scored; naive2: Scored } => p !== null);
  if (present.length === 0) {
    const none = noScores('no series has a forecast origin in this split');
    return {
      name,
      pooled: none,
      perStep: Array.from({ length: horizon }, () => none),
      members: per.map(() => null),
    };
  }
  // One series keeps its own scores (and their reasons); several are averaged as M4 averages.
  const single = per.length === 1 ? present[0] : undefined;
  const pooled = single
    ? single.scored.pooled
    : averageScores(present.map((p) => ({ model: p.scored.pooled, naive2: p.naive2.pooled })));
  const perStep = Array.from({ length: horizon }, (_, k) =>
    single
      ? single.scored.perStep[k]!
      : averageScores(present.map((p) => ({ model: p.scored.perStep[k]!, naive2: p.naive2.perStep[k]! }))),
  );
  return { name, pooled, perStep, members: per.map((p) => p?.scored.pooled ?? null) };
}

export interface ScoredSplit {
  /** The model first, then the baselines in the standard order. */
  models: ModelScores[];
  verdict: Verdict;
  /**
   * The best baseline is persistence (naive or drift) and every training series has a unit
   * root: the series behave like random walks.
   */
  randomWalk: boolean;
  notes: string[];
}

/**
 * Scores `modelName` and the standard baselines on each member's forecasts (null: a member
 * without origins in the split) and compares them, `block` origins at a time (the scores do
 * not depend on it). Never throws on degenerate data: metrics
 * that cannot be computed are undefined with a reason.
 */
export function scoreWithBaselines(
  modelName: string,
  members: Array<MemberForecasts | null>,
  options: { period: number; horizon: number; transform: string; calendar: boolean; block?: number },
): ScoredSplit {
  const { period, horizon } = options;
  const block = options.block ?? SCORE_BLOCK;
  const results: Array<MemberResult | null> = members.map((f) =>
    f && f.origins.length > 0 && f.trainEnd > 0 ? scoreMember(f, period, horizon, block) : null,
  );
  const present = results.filter((r): r is MemberResult => r !== null);
  const naive2 = (r: MemberResult | null) => r?.naive2 ?? null;
  const models = [
    pool(
      modelName,
      results.map((r) => (r ? { scored: r.model, naive2: naive2(r)! } : null)),
      horizon,
    ),
  ];
  const kinds = [...new Set(present.flatMap((r) => [...r.baselines.keys()]))];
  for (const kind of kinds) {
    const names = new Set(present.map((r) => r.baselines.get(kind)?.name).filter((n) => n !== undefined));
    const name = names.size === 1 ? [...names][0]! : `${kind} (AICc choice per series)`;
    const per = results.map((r) => {
      const b = r?.baselines.get(kind);
      return r && b ? { scored: b.scored, naive2: r.naive2 } : null;
    });
    models.push(pool(name, per, horizon));
  }
  const baselines: BaselineScores[] = models.slice(1).map((m) => ({ name: m.name, scores: m.pooled }));
  const verdict = compareWithBaselines(models[0]!.pooled, baselines, {
    transform: options.transform,
    calendar: options.calendar,
  });
  const best = verdict.best?.name;
  return {
    models,
    verdict,
    randomWalk:
      (best === 'naive' || best === 'drift') && present.length > 0 && present.every((r) => r.wandering),
    notes: [...new Set(present.flatMap((r) => r.notes))],
  };
}
