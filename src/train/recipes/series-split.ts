import { parseDate } from '../../data/dates.js';
import { ValueError } from '../../tensor/errors.js';
import type { OptionName } from './options.js';
import type { Member, Panel } from './series-panel.js';

/**
 * Splitting a forecaster's series in time. The test split starts at `testFrom`, else holds the
 * last 20% of the rows; validation holds the last 10% of the rows before it, and at least two
 * horizons so that it has forecast origins. The members of a panel are cut at the same dates
 * (20% and 10% of the union of their dates), so no member trains on a period another is
 * tested on.
 */

export interface MemberSplit {
  /** First validation row. */
  val: number;
  /** First test row. */
  test: number;
}

/** A split point as saved with the model: a date, or a row without dates. */
export type SplitPoint = { date: string } | { row: number };

export interface PanelSplit {
  members: MemberSplit[];
  valFrom: SplitPoint;
  testFrom: SplitPoint;
}

const firstAtOrAfter = (times: Float64Array, t: number): number => {
  const i = times.findIndex((v) => v >= t);
  return i < 0 ? times.length : i;
};

/** Cut `n` ordered things: the first of the last `share` (at least `min`, never all). */
const cutAt = (n: number, share: number, min: number): number => n - Math.max(Math.round(n * share), min);

function testTime(p: Panel, testFrom: string | undefined, name: OptionName): number | null {
  if (testFrom === undefined) return null;
  const t = parseDate(testFrom);
  if (t === undefined)
    throw new ValueError(`${name('testFrom')} must be a date (YYYY-MM-DD), got "${testFrom}"`);
  if (p.members.some((m) => m.times === null)) {
    throw new ValueError(`${name('testFrom')} ${testFrom}: the data has no date column`);
  }
  return t;
}

/** The union of the members' dates before `before`, sorted. */
function unionTimes(members: Member[], before: number): Float64Array {
  const all = new Set<number>();
  for (const m of members) for (const t of m.times!) if (t < before) all.add(t);
  return Float64Array.from(all).sort();
}

function datedSplit(p: Panel, testAt: number | null, horizon: number, name: OptionName): PanelSplit {
  const all = unionTimes(p.members, Number.POSITIVE_INFINITY);
  const test = testAt ?? all[cutAt(all.length, 0.2, horizon)]!;
  const before = unionTimes(p.members, test);
  if (testAt === null && before.length === 0) {
    throw new ValueError(
      `the data has ${all.length} date(s): the test split (the last 20%, at least ${name('horizon')} ${horizon} dates) leaves nothing to train on; give it more rows`,
    );
  }
  if (before.length === 0 || test > all[all.length - 1]!) {
    const range = `(data ${p.members[0]!.index![0]} … ${p.members[0]!.index!.at(-1)})`;
    throw new ValueError(
      `${name('testFrom')} ${dateText(p, test)}: ${before.length === 0 ? 'every row is on or after it, nothing is left to train on' : 'no rows are on or after it'} ${range}`,
    );
  }
  const val = before[Math.max(0, cutAt(before.length, 0.1, 2 * horizon))]!;
  return {
    members: p.members.map((m) => ({
      val: firstAtOrAfter(m.times!, val),
      test: firstAtOrAfter(m.times!, test),
    })),
    valFrom: { date: dateText(p, val) },
    testFrom: { date: dateText(p, test) },
  };
}

/** The date text of a member's row at time t (as the data wrote it), else ISO. */
function dateText(p: Panel, t: number): string {
  for (const m of p.members) {
    const i = m.times!.indexOf(t);
    if (i >= 0) return m.index![i]!;
  }
  return new Date(t).toISOString().slice(0, 10);
}

/** Splits every member; without dates each member is split by its own row count. */
export function splitPanel(
  p: Panel,
  o: { testFrom?: string; horizon: number },
  name: OptionName,
): PanelSplit {
  const testAt = testTime(p, o.testFrom, name);
  if (p.members.every((m) => m.times !== null)) return datedSplit(p, testAt, o.horizon, name);
  const members = p.members.map((m) => {
    const test = cutAt(m.target.length, 0.2, o.horizon);
    return { val: Math.max(0, cutAt(test, 0.1, 2 * o.horizon)), test };
  });
  return { members, valFrom: { row: members[0]!.val }, testFrom: { row: members[0]!.test } };
}

/** The split saved with a model, applied to (new) data of the same members. */
export function applySplit(p: Panel, valFrom: SplitPoint, testFrom: SplitPoint): MemberSplit[] {
  return p.members.map((m) => {
    const at = (s: SplitPoint) =>
      'row' in s
        ? Math.min(s.row, m.target.length)
        : firstAtOrAfter(m.times ?? new Float64Array(), parseDate(s.date)!);
    return { val: at(valFrom), test: at(testFrom) };
  });
}
