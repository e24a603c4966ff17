import { checkInteger, finiteSeries } from '../../data/numeric.js';
import { ValueError } from '../../tensor/errors.js';
import { type EtsParams, type EtsSpec, etsFilter, etsName } from './ets.js';
import { profiler, stateCount, thetaNames, toParams } from './ets-states.js';
import { leastSquaresBox, minimizeBox } from './optimize.js';

/**
 * Fits exponential smoothing by least squares of the one-step errors (the Gaussian
 * likelihood of additive errors), over the smoothing parameters and the initial states.
 *
 * Search region: α ∈ [0, 1], β ∈ [0, 1], γ ∈ [0, 1 − α] (the classical Holt–Winters region,
 * wider than statsmodels' β ≤ α) and φ ∈ [0.8, 0.995] (statsmodels' bounds; Hyndman et al.
 * stop at 0.98), so no statsmodels fit lies outside it. The initial seasonals are
 * normalised (sum 0 additive, mean 1 multiplicative), which removes the one direction along
 * which level and seasonals trade off without changing any forecast.
 *
 * Additive models are linear in their initial states for fixed smoothing parameters, so the
 * states are solved exactly by least squares inside a bounded Nelder–Mead over the ≤ 4
 * smoothing parameters (a profile likelihood). Multiplicative Holt–Winters is fitted by
 * Levenberg–Marquardt over everything, started from the additive fit and from a heuristic.
 */

export const PHI_RANGE: readonly [number, number] = [0.8, 0.995];

export interface EtsFit {
  spec: EtsSpec;
  name: string;
  params: EtsParams;
  /** Sum of squared one-step errors on the training series. */
  sse: number;
  n: number;
  /** Smoothing parameters + free initial states + the error variance (R's `ets` count). */
  parameterCount: number;
  /** n·ln(SSE/n) + 2k, the Gaussian AIC up to a constant shared by every model on the same data. */
  aic: number;
  /** AIC + 2k(k+1)/(n−k−1); Infinity when n ≤ k + 1. */
  aicc: number;
}

function thetaBounds(spec: EtsSpec): { lower: number[]; upper: number[] } {
  const names = thetaNames(spec);
  return {
    lower: names.map((n) => (n === 'phi' ? PHI_RANGE[0] : 0)),
    upper: names.map((n) => (n === 'phi' ? PHI_RANGE[1] : 1)),
  };
}

const GRID: Record<string, number[]> = {
  alpha: [0.05, 0.3, 0.7, 0.95],
  beta: [0.02, 0.2],
  gamma: [0.02, 0.2],
  phi: [0.9],
};

function grid(names: string[]): number[][] {
  return names.reduce<number[][]>((acc, name) => acc.flatMap((p) => GRID[name]!.map((v) => [...p, v])), [[]]);
}

function sseOf(spec: EtsSpec, params: EtsParams, y: Float64Array): number {
  return etsFilter(spec, params, y).sse;
}

function fitAdditive(spec: EtsSpec, y: Float64Array): EtsParams {
  const names = thetaNames(spec);
  const { lower, upper } = thetaBounds(spec);
  const profileStates = profiler(spec, y);
  const objective = (theta: ArrayLike<number>): number => {
    const states = profileStates(theta);
    return states ? sseOf(spec, toParams(spec, theta, states), y) : Number.POSITIVE_INFINITY;
  };
  const starts = grid(names)
    .map((theta) => ({ theta, value: objective(theta) }))
    .sort((a, b) => a.value - b.value)
    .slice(0, 2);
  let best: { x: Float64Array; value: number } = {
    x: Float64Array.from(starts[0]!.theta),
    value: starts[0]!.value,
  };
  for (const start of starts) {
    const run = minimizeBox(objective, start.theta, lower, upper, {
      maxEvaluations: 100 * names.length,
      tolerance: 1e-9,
    });
    if (run.value < best.value) best = run;
  }
  return toParams(spec, best.x, profileStates(best.x) ?? new Float64Array(stateCount(spec)));
}

/** Joint least squares over the smoothing parameters (γ as a fraction of 1 − α) and the states. */
function fitMultiplicative(spec: EtsSpec, y: Float64Array, starts: EtsParams[]): EtsParams {
  const q = thetaNames(spec).length;
  const { lower, upper } = thetaBounds(spec);
  const d = stateCount(spec);
  const lo = [...lower, ...new Array<number>(d).fill(Number.NEGATIVE_INFINITY)];
  const hi = [...upper, ...new Array<number>(d).fill(Number.POSITIVE_INFINITY)];
  const split = (z: Float64Array): EtsParams => toParams(spec, z.subarray(0, q), z.subarray(q));
  const fitted = new Float64Array(y.length);
  // Plain loops: TypedArray map with a closure cost more than the filter on long series.
  const residuals = (z: Float64Array): Float64Array | undefined => {
    const { sse } = etsFilter(spec, split(z), y, fitted);
    if (!Number.isFinite(sse)) return undefined;
    const r = new Float64Array(y.length);
    for (let t = 0; t < y.length; t++) r[t] = y[t]! - fitted[t]!;
    return r;
  };
  let best: { x: Float64Array; value: number } | undefined;
  for (const start of starts) {
    const run = leastSquaresBox(residuals, packParams(spec, start), lo, hi);
    if (best === undefined || run.value < best.value) best = run;
  }
  return split(best!.x);
}

/** The optimiser vector of a parameter set (inverse of `toParams`). */
function packParams(spec: EtsSpec, p: EtsParams): number[] {
  const theta = thetaNames(spec).map((name) =>
    name === 'gamma' ? (p.alpha < 1 ? p.gamma / (1 - p.alpha) : 0) : p[name as 'alpha' | 'beta' | 'phi'],
  );
  const states = [p.level, ...(spec.trend !== 'none' ? [p.slope] : []), ...p.seasonals.slice(0, -1)];
  return [...theta, ...states];
}

/** Classical start for multiplicative seasonals: the first season's ratios to its mean. */
function heuristicStart(spec: EtsSpec, y: Float64Array): EtsParams {
  const m = spec.period;
  let first = 0;
  let second = 0;
  for (let j = 0; j < m; j++) {
    first += y[j]! / m;
    second += y[m + j]! / m;
  }
  const slope = spec.trend === 'none' ? 0 : (second - first) / m;
  const seasonals = Array.from({ length: m }, (_, j) => y[j]! / (first + (j - (m - 1) / 2) * slope));
  const norm = seasonals.reduce((s, v) => s + v, 0) / m;
  return {
    alpha: 0.2,
    beta: 0.05,
    gamma: 0.05,
    phi: 0.95,
    level: first - ((m + 1) / 2) * slope,
    slope,
    seasonals: seasonals.map((s) => s / norm),
  };
}

function checkSpec(spec: EtsSpec, n: number, what: string): void {
  if (spec === null || typeof spec !== 'object') throw new ValueError(`${what}: spec must be an object`);
  if (!['none', 'additive', 'damped'].includes(spec.trend)) {
    throw new ValueError(
      `${what}: spec.trend must be 'none', 'additive' or 'damped', got ${String(spec.trend)}`,
    );
  }
  if (!['none', 'additive', 'multiplicative'].includes(spec.season)) {
    throw new ValueError(
      `${what}: spec.season must be 'none', 'additive' or 'multiplicative', got ${String(spec.season)}`,
    );
  }
  if (spec.season === 'none') {
    checkInteger(spec.period, `${what}: spec.period without a season`, 1, 1);
    return;
  }
  checkInteger(spec.period, `${what}: spec.period of a seasonal model`, 2);
  if (n < 2 * spec.period) {
    throw new ValueError(
      `${what}: ${etsName(spec)} needs at least two seasons (${2 * spec.period} values), got ${n}`,
    );
  }
}

/**
 * Fits one exponential smoothing model to the training series `values`. A multiplicative
 * model starts from the additive fit with the same trend; pass it as `additiveStart` when it
 * is already known (autoEts does) to save fitting it again.
 */
export function fitEts(
  values: ArrayLike<number>,
  spec: EtsSpec,
  options: { additiveStart?: EtsParams } = {},
): EtsFit {
  const y = finiteSeries(values, 'fitEts: values', 3);
  checkSpec(spec, y.length, 'fitEts');
  if (spec.season === 'multiplicative' && y.some((v) => v <= 0)) {
    throw new ValueError('fitEts: multiplicative seasonality needs positive values, and values has some ≤ 0');
  }
  let params: EtsParams;
  if (spec.season === 'multiplicative') {
    const additive = options.additiveStart ?? fitAdditive({ ...spec, season: 'additive' }, y);
    const ratio = additive.seasonals.map((s) => 1 + s / additive.level);
    const norm = ratio.reduce((a, b) => a + b, 0) / spec.period;
    const fromAdditive = { ...additive, seasonals: ratio.map((s) => s / norm) };
    params = fitMultiplicative(spec, y, [fromAdditive, heuristicStart(spec, y)]);
  } else {
    params = fitAdditive(spec, y);
  }
  return describeFit(spec, params, y);
}

/** SSE and information criteria of given parameters on y. */
function describeFit(spec: EtsSpec, params: EtsParams, y: Float64Array): EtsFit {
  const n = y.length;
  const sse = sseOf(spec, params, y);
  const k = thetaNames(spec).length + stateCount(spec) + 1;
  const aic = n * Math.log(Math.max(sse / n, Number.MIN_VALUE)) + 2 * k;
  const aicc = n - k - 1 > 0 ? aic + (2 * k * (k + 1)) / (n - k - 1) : Number.POSITIVE_INFINITY;
  return { spec, name: etsName(spec), params, sse, n, parameterCount: k, aic, aicc };
}
