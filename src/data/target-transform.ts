import { ValueError } from '../tensor/errors.js';
import { checkInteger, describe, finiteSeries } from './numeric.js';

/**
 * Target transforms of a forecaster, stored in the model config and inverted on output. A
 * network sees each input window and predicts each target in the transformed space, so the
 * values it meets stay in the range of the training split even when the level does not:
 *
 *   none                  the values themselves
 *   difference            y_t − y_{t−1}; forecasts cumulate from the last observed value
 *   log-difference        ln y_t − ln y_{t−1} (positive series); forecasts cumulate, then exp
 *   seasonal-difference   y_t − y_{t−m}; a forecast adds the value one season earlier (observed,
 *                         or forecast itself beyond m steps)
 *   window ratio          each input window divided by its last value; targets are y/last
 *   window offset         each input window minus its last value; targets are y − last
 *
 * `encodeWindow`, `encodeTargets` and `decodeForecast` are exact inverses (up to float64
 * rounding): decodeForecast(t, y[0, end), encodeTargets(t, y, end, H)) = y[end, end + H).
 */
export type TargetTransform =
  | { kind: 'none' }
  | { kind: 'difference' }
  | { kind: 'log-difference' }
  | { kind: 'seasonal-difference'; period: number }
  | { kind: 'window'; mode: 'ratio' | 'offset' };

export type TransformKind = TargetTransform['kind'];
export const TRANSFORM_KINDS: readonly TransformKind[] = [
  'none',
  'difference',
  'log-difference',
  'seasonal-difference',
  'window',
];

/** How many raw values before an input window (or before the targets) a transform reads. */
export function transformContext(t: TargetTransform): number {
  switch (t.kind) {
    case 'difference':
    case 'log-difference':
      return 1;
    case 'seasonal-difference':
      return t.period;
    default:
      return 0;
  }
}

/** A short human-readable name: "seasonal difference (m=7)", "window ratio", … */
export function describeTransform(t: TargetTransform): string {
  switch (t.kind) {
    case 'seasonal-difference':
      return `seasonal difference (m=${t.period})`;
    case 'window':
      return `window ${t.mode}`;
    default:
      return t.kind.replace('-', ' ');
  }
}

/** Validates a transform read from JSON (a model config) or given by a caller. */
export function parseTargetTransform(value: unknown, what = 'transform'): TargetTransform {
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (typeof value !== 'object' || value === null || !TRANSFORM_KINDS.includes(kind as TransformKind)) {
    throw new ValueError(
      `${what} must be an object whose kind is one of ${TRANSFORM_KINDS.join(', ')}, got ${describe(kind ?? value)}`,
    );
  }
  if (kind === 'seasonal-difference') {
    const period = checkInteger((value as { period?: unknown }).period, `${what}.period`, 2);
    return { kind, period };
  }
  if (kind === 'window') {
    const mode = (value as { mode?: unknown }).mode;
    if (mode !== 'ratio' && mode !== 'offset') {
      throw new ValueError(`${what}.mode must be 'ratio' or 'offset', got ${describe(mode)}`);
    }
    return { kind, mode };
  }
  return { kind } as TargetTransform;
}

function checkRange(t: TargetTransform, values: ArrayLike<number>, start: number, end: number, what: string) {
  const context = transformContext(t);
  if (start - context < 0 || end > values.length) {
    throw new ValueError(
      `${what}: ${describeTransform(t)} needs values[${start - context}, ${end}) of a series of ${values.length}`,
    );
  }
}

function logOf(v: number, i: number, what: string): number {
  if (!(v > 0)) throw new ValueError(`${what}: log-difference needs positive values, values[${i}] is ${v}`);
  return Math.log(v);
}

/** The transformed value at position i (`anchor`: the window's last value, for window transforms). */
function transformAt(
  t: TargetTransform,
  y: ArrayLike<number>,
  i: number,
  anchor: number,
  what: string,
): number {
  switch (t.kind) {
    case 'none':
      return y[i]!;
    case 'difference':
      return y[i]! - y[i - 1]!;
    case 'log-difference':
      return logOf(y[i]!, i, what) - logOf(y[i - 1]!, i - 1, what);
    case 'seasonal-difference':
      return y[i]! - y[i - t.period]!;
    case 'window':
      return t.mode === 'ratio' ? y[i]! / anchor : y[i]! - anchor;
  }
}

function anchorOf(t: TargetTransform, y: ArrayLike<number>, last: number, what: string): number {
  if (t.kind !== 'window') return Number.NaN;
  const v = y[last]!;
  if (t.mode === 'ratio' && !(v !== 0 && Number.isFinite(v))) {
    throw new ValueError(`${what}: window ratio divides by the window's last value, values[${last}] is ${v}`);
  }
  return v;
}

/** The input window values[end − length, end), transformed. */
export function encodeWindow(
  t: TargetTransform,
  values: ArrayLike<number>,
  end: number,
  length: number,
): Float64Array {
  checkInteger(length, 'encodeWindow: length', 1);
  checkInteger(end, 'encodeWindow: end', length);
  checkRange(t, values, end - length, end, 'encodeWindow');
  const anchor = anchorOf(t, values, end - 1, 'encodeWindow');
  // A plain loop: Float64Array.from with a function was most of a training batch's encoding.
  const out = new Float64Array(length);
  for (let k = 0; k < length; k++) out[k] = transformAt(t, values, end - length + k, anchor, 'encodeWindow');
  return out;
}

/** The targets values[end, end + horizon) relative to the history before `end`. */
export function encodeTargets(
  t: TargetTransform,
  values: ArrayLike<number>,
  end: number,
  horizon: number,
): Float64Array {
  checkInteger(horizon, 'encodeTargets: horizon', 1);
  checkInteger(end, 'encodeTargets: end', 1);
  checkRange(t, values, end, end + horizon, 'encodeTargets');
  const anchor = anchorOf(t, values, end - 1, 'encodeTargets');
  const out = new Float64Array(horizon);
  for (let k = 0; k < horizon; k++) out[k] = transformAt(t, values, end + k, anchor, 'encodeTargets');
  return out;
}

/**
 * Turns transformed predictions for the steps after `history` back into values: differences
 * cumulate from the last observed value, seasonal differences add the value one season
 * earlier (from the history, or from the forecast itself beyond m steps), window forecasts
 * scale or shift the last value.
 */
export function decodeForecast(
  t: TargetTransform,
  history: ArrayLike<number>,
  predicted: ArrayLike<number>,
): Float64Array {
  const h = finiteSeries(history, 'decodeForecast: history', Math.max(1, transformContext(t)));
  const p = finiteSeries(predicted, 'decodeForecast: predicted', 1);
  const n = h.length;
  const last = h[n - 1]!;
  if (t.kind === 'log-difference' && !(last > 0)) {
    throw new ValueError(`decodeForecast: log-difference needs a positive last value, got ${last}`);
  }
  const out = new Float64Array(p.length);
  let level = t.kind === 'log-difference' ? Math.log(last) : last;
  for (let k = 0; k < p.length; k++) {
    switch (t.kind) {
      case 'none':
        out[k] = p[k]!;
        break;
      case 'difference':
        out[k] = level += p[k]!;
        break;
      case 'log-difference':
        out[k] = Math.exp((level += p[k]!));
        break;
      case 'seasonal-difference':
        out[k] = (k < t.period ? h[n - t.period + k]! : out[k - t.period]!) + p[k]!;
        break;
      case 'window':
        out[k] = t.mode === 'ratio' ? last * p[k]! : last + p[k]!;
        break;
    }
  }
  return out;
}
