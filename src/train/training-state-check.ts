import { quote } from '../data/errors.js';
import { ModelDirError } from '../io/model-config.js';

/**
 * The shape of a checkpoint's training-state.json, checked field by field before anything is
 * restored from it: a damaged or hand-edited file fails with a message that names the file, the
 * field and the way out, instead of deep inside the optimizer, the generator or the metrics.
 */

const ADVICE =
  'this training state cannot be resumed: resume from an earlier checkpoint, or start the training over';

type Check = (v: unknown) => boolean;

/** A JSON value as a message shows it: strings quoted, anything long cut. */
function shown(v: unknown): string {
  if (typeof v === 'string') return quote(v);
  const json = JSON.stringify(v);
  return json.length <= 60 ? json : `${json.slice(0, 60)}…`;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const count: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
/** A number, or a NaN/±Infinity as the checkpoint tags it ({"$nonFinite": "NaN"}). */
const numberLike: Check = (v) => typeof v === 'number' || (isObject(v) && typeof v.$nonFinite === 'string');
const numbers: Check = (v) => Array.isArray(v) && v.every(numberLike);
const nullOr =
  (check: Check): Check =>
  (v) =>
    v === null || check(v);

/** An unfinished epoch's metrics: running sums by name, and values kept for metrics without. */
const runningMetrics: Check = (v) =>
  isObject(v) &&
  count(v.count) &&
  isObject(v.sums) &&
  Object.values(v.sums).every(numbers) &&
  numbers(v.yTrue) &&
  numbers(v.yPred);

/** Each field: whether it must be present, its check, and what it should be (for the message). */
const FIELDS: Array<[name: string, required: boolean, check: Check, expected: string]> = [
  ['epoch', true, count, 'an integer ≥ 0 (epochs done)'],
  ['step', false, count, 'an integer ≥ 0 (batches done)'],
  [
    'history',
    true,
    (v) => isObject(v) && Object.values(v).every(numbers),
    'an object of metric name → list of numbers',
  ],
  [
    'progress',
    false,
    nullOr(
      (v) =>
        isObject(v) &&
        count(v.batch) &&
        numberLike(v.lossSum) &&
        count(v.seen) &&
        count(v.skipped) &&
        (v.metrics === undefined ? numbers(v.yTrue) && numbers(v.yPred) : runningMetrics(v.metrics)),
    ),
    'null or {batch, lossSum, seen, skipped, metrics: {count, sums, yTrue, yPred}}',
  ],
  [
    'optimizer',
    true,
    (v) => isObject(v) && isObject(v.state) && Array.isArray(v.paramGroups),
    'an object with "state" and "paramGroups"',
  ],
  [
    'rng',
    true,
    (v) => isObject(v) && Array.isArray(v.s) && v.s.length === 4 && v.s.every(Number.isInteger),
    'an object whose "s" holds four integers',
  ],
  ['scheduler', false, nullOr(isObject), 'null or an object'],
  ['dataLoader', false, nullOr(isObject), 'null or an object'],
  [
    'best',
    false,
    nullOr((v) => isObject(v) && count(v.epoch) && numberLike(v.value)),
    'null or {epoch, value}',
  ],
  ['sinceBest', false, count, 'an integer ≥ 0'],
  ['skippedBatches', false, count, 'an integer ≥ 0'],
  ['hasBestWeights', false, (v) => typeof v === 'boolean', 'true or false'],
];

/**
 * Throws a ModelDirError naming `file` when the training state `state` (as read from
 * training-state.json) lacks a field a resume needs or holds one of the wrong kind.
 */
export function checkTrainingState(state: unknown, file: string): void {
  if (!isObject(state))
    throw new ModelDirError(`${file}: must hold a JSON object, got ${shown(state)}; ${ADVICE}`);
  for (const [name, required, check, expected] of FIELDS) {
    const value = state[name];
    if (value === undefined && !required) continue;
    if (value === undefined || !check(value)) {
      const got = value === undefined ? 'missing' : shown(value);
      throw new ModelDirError(`${file}: field "${name}" is ${got}, expected ${expected}; ${ADVICE}`);
    }
  }
}
