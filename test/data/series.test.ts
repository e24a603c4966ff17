import { describe, expect, it } from 'vitest';
import { DataLoader } from '../../src/data/dataloader.js';
import { DataError } from '../../src/data/errors.js';
import { applyMissingPolicy } from '../../src/data/missing.js';
import { MinMaxScaler, StandardScaler } from '../../src/data/scalers.js';
import { column, makeSeries, sliceRows } from '../../src/data/series.js';
import { chronologicalSplit } from '../../src/data/split.js';
import { WindowDataset, type WindowSample } from '../../src/data/windows.js';
import { ShapeError, ValueError } from '../../src/tensor/errors.js';
import { tensor } from '../../src/tensor/tensor.js';

// Row r holds time t = r in column 't' and 10·r in column 'y'.
const N = 50;
const series = makeSeries(
  ['t', 'y'],
  Array.from({ length: N }, (_, r) => [r, 10 * r]),
  { index: Array.from({ length: N }, (_, r) => `d${r}`), source: 'mem.csv' },
);

describe('WindowDataset', () => {
  it('builds single-step windows with hand-checked values', () => {
    const w = new WindowDataset(series, { lookback: 3, targets: ['y'] });
    expect(w.length).toBe(N - 3);
    const s = w.get(2);
    expect(s.inputs.shape).toEqual([3, 2]);
    expect(s.inputs.tolist()).toEqual([
      [2, 20],
      [3, 30],
      [4, 40],
    ]);
    expect(s.targets.tolist()).toEqual([50]);
  });

  it('builds multi-step, multi-target windows with a stride and feature subset', () => {
    const w = new WindowDataset(series, {
      lookback: 2,
      horizon: 3,
      stride: 4,
      features: ['y'],
      targets: ['t', 'y'],
    });
    // (50 − 2 − 3) / 4 + 1 = 12 windows
    expect(w.length).toBe(12);
    const s = w.get(1);
    expect(s.inputs.tolist()).toEqual([[40], [50]]);
    expect(s.targets.tolist()).toEqual([6, 60, 7, 70, 8, 80]);
    expect([w.start(1), w.targetRow(1)]).toEqual([4, 6]);
  });

  it('never looks into the future and never straddles a split', () => {
    const split = chronologicalSplit(N, { val: 0.2, test: 0.2 });
    for (const range of [split.train, split.val, split.test]) {
      const w = new WindowDataset(series, { lookback: 4, horizon: 2, targets: ['t'], range });
      expect(w.length).toBe(range.end - range.start - 5);
      for (const { inputs, targets } of w) {
        const times = Array.from(inputs.f32.filter((_, k) => k % 2 === 0));
        const targetTimes = Array.from(targets.f32);
        expect(Math.max(...times)).toBeLessThan(Math.min(...targetTimes));
        // The last input step is the one right before the first target.
        expect(targetTimes[0]).toBe(times[times.length - 1]! + 1);
        expect(Math.min(...times)).toBeGreaterThanOrEqual(range.start);
        expect(Math.max(...targetTimes)).toBeLessThan(range.end);
      }
    }
    // A split too short for one window yields no windows.
    expect(
      new WindowDataset(series, { lookback: 8, horizon: 3, targets: ['t'], range: { start: 40, end: 50 } })
        .length,
    ).toBe(0);
  });

  it('batches through the default collate into (B, T, F) and (B, horizon·O)', () => {
    const w = new WindowDataset(series, { lookback: 3, horizon: 2, targets: ['y'] });
    const [first] = new DataLoader<
      WindowSample,
      { inputs: { shape: number[] }; targets: { tolist(): unknown } }
    >(w, {
      batchSize: 4,
    });
    expect(first!.inputs.shape).toEqual([4, 3, 2]);
    expect(first!.targets.tolist()).toEqual([
      [30, 40],
      [40, 50],
      [50, 60],
      [60, 70],
    ]);
  });

  it('rejects unknown columns, listing the available ones, and bad sizes', () => {
    expect(() => new WindowDataset(series, { lookback: 2, targets: ['price'] })).toThrow(DataError);
    expect(() => new WindowDataset(series, { lookback: 2, targets: ['price'] })).toThrow(
      /mem\.csv, column "price": WindowDataset targets: unknown column; available columns: t, y/,
    );
    expect(() => new WindowDataset(series, { lookback: 0, targets: ['y'] })).toThrow(
      /lookback must be a positive integer/,
    );
    expect(
      () => new WindowDataset(series, { lookback: 2, targets: ['y'], range: { start: 0, end: 99 } }),
    ).toThrow(ValueError);
  });
});

describe('scalers', () => {
  const split = chronologicalSplit(N, { val: 0.2, test: 0.2 }); // train rows 0..29

  it('StandardScaler fits on training rows only', () => {
    const s = new StandardScaler().fit(series, split.train);
    // t = 0..29: mean 14.5, population variance (30² − 1) / 12
    expect(Array.from(s.mean)).toEqual([14.5, 145]);
    expect(s.std[0]).toBeCloseTo(Math.sqrt((30 * 30 - 1) / 12), 12);
    // Changing validation and test rows changes nothing.
    const poisoned = { ...series, values: series.values.map((v, i) => (i >= 30 * 2 ? 1e6 : v)) };
    const s2 = new StandardScaler().fit(poisoned, split.train);
    expect(Array.from(s2.mean)).toEqual(Array.from(s.mean));
    expect(Array.from(s2.std)).toEqual(Array.from(s.std));
    const z = s.transform(series);
    expect(z.values[0]).toBeCloseTo(-14.5 / s.std[0]!, 6);
    const back = s.inverseTransform(z);
    for (let i = 0; i < 20; i++) expect(back.values[i]).toBeCloseTo(series.values[i]!, 4);
  });

  it('MinMaxScaler maps the training range and un-scales target columns of predictions', () => {
    const s = new MinMaxScaler({ featureRange: [-1, 1] }).fit(series, split.train);
    const z = s.transform(series);
    expect([z.values[0], z.values[1], z.values[29 * 2], z.values[29 * 2 + 1]]).toEqual([-1, -1, 1, 1]);
    // Row 40 lies beyond the training maximum and maps above 1.
    expect(z.values[40 * 2]).toBeCloseTo(-1 + (2 * 40) / 29, 6);
    const pred = tensor([[1], [-1]]);
    expect(s.inverseTransform(pred, { columns: ['y'] }).tolist()).toEqual([[290], [0]]);
    expect(() => s.inverseTransform(pred)).toThrow(ShapeError);
  });

  it('round-trips through JSON and validates it', () => {
    const s = new StandardScaler().fit(series, split.train);
    const back = StandardScaler.fromJSON(JSON.parse(JSON.stringify(s)));
    expect(Array.from(back.transform(series).values)).toEqual(Array.from(s.transform(series).values));
    const m = new MinMaxScaler({ featureRange: [0, 2] }).fit(series);
    const mb = MinMaxScaler.fromJSON(JSON.parse(JSON.stringify(m)));
    expect(mb.featureRange).toEqual([0, 2]);
    expect(Array.from(mb.transform(series).values)).toEqual(Array.from(m.transform(series).values));
    expect(() => StandardScaler.fromJSON(m.toJSON())).toThrow(/expected a 'standard' scaler, got minmax/);
    expect(() => StandardScaler.fromJSON({ ...s.toJSON(), scale: [0, 1] })).toThrow(/positive/);
    expect(() => new StandardScaler().transform(series)).toThrow(/call fit\(\) first/);
  });

  it('refuses to fit on missing values', () => {
    const gap = makeSeries(['a'], [[1], [Number.NaN], [3]]);
    expect(() => new StandardScaler().fit(gap)).toThrow(/row 1, column a is NaN/);
  });
});

describe('missing-value policy', () => {
  const gap = makeSeries(
    ['a', 'b'],
    [
      [1, 2],
      [Number.NaN, 4],
      [5, Number.NaN],
      [7, 8],
    ],
    {
      index: ['d0', 'd1', 'd2', 'd3'],
      lines: Int32Array.from([2, 3, 4, 5]),
      source: 'gap.csv',
    },
  );

  it("'error' names the file, line and column", () => {
    expect(() => applyMissingPolicy(gap, 'error')).toThrow(/gap\.csv:3, column "a": missing value/);
    try {
      applyMissingPolicy(gap, 'error');
    } catch (e) {
      expect([(e as DataError).file, (e as DataError).line, (e as DataError).column]).toEqual([
        'gap.csv',
        3,
        'a',
      ]);
    }
  });

  it("'ffill' repeats the last value and 'drop' removes rows", () => {
    expect(Array.from(applyMissingPolicy(gap, 'ffill').values)).toEqual([1, 2, 1, 4, 5, 4, 7, 8]);
    const d = applyMissingPolicy(gap, 'drop');
    expect(Array.from(d.values)).toEqual([1, 2, 7, 8]);
    expect(d.index).toEqual(['d0', 'd3']);
    expect(Array.from(d.lines!)).toEqual([2, 5]);
    expect(() => applyMissingPolicy(makeSeries(['a'], [[Number.NaN]]), 'ffill')).toThrow(/first value/);
    expect(() => applyMissingPolicy(gap, 'zero' as 'drop')).toThrow(ValueError);
  });

  it('series helpers select and slice', () => {
    expect(Array.from(column(series, 'y').subarray(0, 3))).toEqual([0, 10, 20]);
    const s = sliceRows(series, 10, 12);
    expect([s.length, s.index, Array.from(s.values)]).toEqual([2, ['d10', 'd11'], [10, 100, 11, 110]]);
    expect(() => makeSeries(['a', 'a'], [[1, 2]])).toThrow(/unique/);
  });
});
