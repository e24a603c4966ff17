import { checkInteger, finiteSeries } from '../../data/numeric.js';
import { type Baseline, makeBaseline } from './baseline.js';
import { type EtsSpec, etsForecastOrigins, etsName, type SeasonKind, type TrendKind } from './ets.js';
import { type EtsFit, fitEts } from './ets-fit.js';

/** A fitted exponential smoothing model as a Baseline named "ETS: <model>". */
export function etsBaseline(fit: EtsFit, train: ArrayLike<number>): Baseline {
  const y = finiteSeries(train, 'etsBaseline: train', 1);
  const { params, spec } = fit;
  const json: Record<string, number | number[] | string> = {
    trend: spec.trend,
    season: spec.season,
    period: spec.period,
    alpha: params.alpha,
    beta: params.beta,
    gamma: params.gamma,
    phi: params.phi,
    level: params.level,
    slope: params.slope,
    seasonals: params.seasonals,
    aicc: fit.aicc,
  };
  return makeBaseline(
    `ETS: ${fit.name}`,
    y,
    json,
    1,
    (h, o, horizon) => etsForecastOrigins(spec, params, h, [o], horizon)[0]!,
    (h, origins, horizon) => etsForecastOrigins(spec, params, h, origins, horizon),
  );
}

/** Seasonal exponential smoothing is tried up to this season length (weekly data's 52). */
export const MAX_ETS_PERIOD = 52;

export interface AutoEtsResult {
  best: EtsFit;
  /** Every candidate tried, best AICc first, or the reason it was skipped. */
  candidates: { name: string; aicc: number; sse: number }[];
  skipped: { name: string; reason: string }[];
}

/**
 * Fits SES, Holt and damped Holt, and with a season (2 ≤ m ≤ 52, two seasons of data) the
 * additive and — for positive series — multiplicative Holt–Winters with each trend, and
 * keeps the one with the lowest AICc, as R's `ets` and statsforecast's AutoETS choose among
 * additive-error models.
 */
export function autoEts(values: ArrayLike<number>, options: { period?: number } = {}): AutoEtsResult {
  const y = finiteSeries(values, 'autoEts: values', 3);
  const period = checkInteger(options.period ?? 1, 'autoEts: period', 1);
  const trends: TrendKind[] = ['none', 'additive', 'damped'];
  const seasons: SeasonKind[] = ['none', 'additive', 'multiplicative'];
  const fits: EtsFit[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const season of seasons) {
    if (season !== 'none' && period < 2) continue;
    for (const trend of trends) {
      const spec: EtsSpec = { trend, season, period: season === 'none' ? 1 : period };
      const reason = skipReason(spec, y);
      const additive = fits.find((f) => f.spec.trend === trend && f.spec.season === 'additive');
      if (reason) skipped.push({ name: etsName(spec), reason });
      else fits.push(fitEts(y, spec, additive ? { additiveStart: additive.params } : {}));
    }
  }
  fits.sort((a, b) => a.aicc - b.aicc);
  return {
    best: fits[0]!,
    candidates: fits.map((f) => ({ name: f.name, aicc: f.aicc, sse: f.sse })),
    skipped,
  };
}

function skipReason(spec: EtsSpec, y: Float64Array): string | undefined {
  if (spec.season === 'none') return undefined;
  if (spec.period > MAX_ETS_PERIOD) return `a season of ${spec.period} is longer than ${MAX_ETS_PERIOD}`;
  if (y.length < 2 * spec.period) return `needs two seasons (${2 * spec.period} values), got ${y.length}`;
  if (spec.season === 'multiplicative' && y.some((v) => v <= 0)) return 'the series has values ≤ 0';
  return undefined;
}
