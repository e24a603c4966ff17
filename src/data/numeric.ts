import { ValueError } from '../tensor/errors.js';
import { quote } from './errors.js';

/**
 * Copies a series of numbers into float64, checking that it is an array-like of finite
 * numbers with at least `minLength` entries. `what` names the argument in the message.
 */
export function finiteSeries(values: ArrayLike<number>, what: string, minLength = 1): Float64Array {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new ValueError(`${what} must be an array of numbers, got ${describe(values)}`);
  }
  if (values.length < minLength) {
    throw new ValueError(`${what} needs at least ${minLength} values, got ${values.length}`);
  }
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ValueError(`${what}[${i}] must be a finite number, got ${String(v)}`);
    }
    out[i] = v;
  }
  return out;
}

/** Checks an integer option in [min, max]. */
export function checkInteger(
  value: unknown,
  what: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new ValueError(`${what} must be an integer ${range}, got ${describe(value)}`);
  }
  return value;
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return quote(value, 40);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'an object';
  return String(value);
}

export function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s / x.length;
}
