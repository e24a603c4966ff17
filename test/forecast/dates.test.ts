import { describe, expect, it } from 'vitest';
import { calendarFeatures, defaultCalendarFeatures } from '../../src/data/calendar.js';
import { formatDate, futureTimes, inferFrequency, parseDate, parseDates } from '../../src/data/dates.js';
import { DataError } from '../../src/data/errors.js';
import { seattleWeather, stockPrices, usBirths } from '../../src/io/datasets/builtin.js';
import { packageDir } from '../../src/io/datasets/files.js';
import { loadSeriesCsv } from '../../src/io/datasets/series.js';

const utc = (...a: [number, number, number, number?, number?, number?]) =>
  Date.UTC(a[0], a[1] - 1, a[2], a[3] ?? 0, a[4] ?? 0, a[5] ?? 0);

describe('parseDate', () => {
  it('reads ISO dates and times, months, quarters, years and English month names as wall-clock times', () => {
    expect(parseDate('2015-03-01')).toBe(utc(2015, 3, 1));
    expect(parseDate('2015/3/1')).toBe(utc(2015, 3, 1));
    expect(parseDate('2015-03-01T14:30')).toBe(utc(2015, 3, 1, 14, 30));
    expect(parseDate('2015-03-01 14:30:05.5')).toBe(utc(2015, 3, 1, 14, 30, 5) + 500);
    expect(parseDate('2015-03-01T14:30:00+09:00')).toBe(utc(2015, 3, 1, 14, 30));
    expect(parseDate('2015-03-01T14:30:00Z')).toBe(utc(2015, 3, 1, 14, 30));
    expect(parseDate('2015-03')).toBe(utc(2015, 3, 1));
    expect(parseDate('2015-Q3')).toBe(utc(2015, 7, 1));
    expect(parseDate('2015Q1')).toBe(utc(2015, 1, 1));
    expect(parseDate('1988')).toBe(utc(1988, 1, 1));
    expect(parseDate('Jan 1 2000')).toBe(utc(2000, 1, 1));
    expect(parseDate('March 15, 2000')).toBe(utc(2000, 3, 15));
    expect(parseDate(' 15 Mar 2000 ')).toBe(utc(2000, 3, 15));
  });

  it('rejects impossible and ambiguous dates', () => {
    for (const bad of [
      '2015-02-29',
      '2015-13-01',
      '2015-01-01T24:00',
      '01/03/2015',
      'Marchy 1 2000',
      'yesterday',
      '',
      '2015-3-1/2',
    ]) {
      expect(parseDate(bad), bad).toBeUndefined();
    }
    expect(parseDate('2016-02-29')).toBe(utc(2016, 2, 29));
  });

  it('reads YYYY-MM-DD (its own quick path) exactly as the same day written with slashes', () => {
    // Every day of 1899–1901 and 1999–2001 (leap and non-leap centuries), day 0 to 32 of each month,
    // and of years where its day count turns (100, 400-year eras, 1969/1970, the last year written).
    for (const year of [
      1899, 1900, 1901, 1999, 2000, 2001, 60, 100, 399, 400, 1600, 1969, 1970, 2100, 2400, 9999,
    ]) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 32; day++) {
          const pad = (n: number, w = 2) => String(n).padStart(w, '0');
          const dashed = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
          const slashed = `${pad(year, 4)}/${pad(month)}/${pad(day)}`;
          expect(parseDate(dashed), dashed).toBe(parseDate(slashed));
        }
      }
    }
    expect(parseDate('0060-02-29')).toBe(new Date(Date.UTC(1960, 1, 29)).setUTCFullYear(60));
    // Year 0 is a leap year of the proleptic calendar (1900, which Date.UTC reads for 0, is not).
    expect(parseDate('0000-02-29')).toBe(Date.parse('0000-02-29T00:00:00Z'));
    expect(parseDate('0000/02/29 06:30')).toBe(Date.parse('0000-02-29T06:30:00Z'));
    expect(parseDate('2000-02-29')).toBe(utc(2000, 2, 29));
    expect(parseDate('1900-02-29')).toBeUndefined();
    for (const bad of ['2015-0a-01', '2015-01-1x', '2015_01-01', '+015-01-01'])
      expect(parseDate(bad)).toBeUndefined();
  });

  it('parseDates names the row of an unparseable date, or its source line', () => {
    expect(() => parseDates(['2015-01-01', '2015-01-02', '2015-02-30'])).toThrow(
      /^column "date": row 3: unparseable date "2015-02-30"; expected ISO 8601/,
    );
    try {
      parseDates(['2015-01-01', 'n/a'], { lines: [2, 3], file: 'sales.csv', column: 'day' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DataError);
      expect((e as DataError).message).toMatch(/^sales.csv:3, column "day": unparseable date "n\/a"/);
      expect((e as DataError).line).toBe(3);
    }
  });
});

describe('inferFrequency on real series', () => {
  it('daily Seattle weather and US births → 7; monthly stocks, S&P 500 and CO2 → 12', async () => {
    const seattle = await seattleWeather();
    expect(inferFrequency(parseDates(seattle.index!))).toMatchObject({ frequency: 'daily', period: 7 });
    const births = await usBirths();
    expect(inferFrequency(parseDates(births.index!)).period).toBe(7);
    const stocks = await stockPrices({ symbols: ['IBM'] });
    expect(inferFrequency(parseDates(stocks.index!))).toMatchObject({ frequency: 'monthly', period: 12 });
    const vega = packageDir('vega-datasets', 'test');
    const sp500 = await loadSeriesCsv(`${vega}/data/sp500.csv`, { dateColumn: 'date' });
    const info = inferFrequency(parseDates(sp500.index!));
    expect(info).toMatchObject({ frequency: 'monthly', period: 12 });
    expect(info.reason).toBe('monthly (median spacing 31 days)');
    // CO2 has three gaps of missing months: the median spacing is still a month.
    const co2 = await loadSeriesCsv(`${vega}/data/co2-concentration.csv`, {
      dateColumn: 'Date',
      features: ['CO2'],
    });
    const co2Info = inferFrequency(parseDates(co2.index!));
    expect(co2Info.period).toBe(12);
    expect(co2Info.reason).toMatch(
      /^monthly \(median spacing 31 days; 3 of \d+ spacings are gaps longer than one step, read as one step\)$/,
    );
    // Uneven years (vega-datasets' disasters: 1900, 1910, 1920, 1921, …) are said to have gaps.
    const years = inferFrequency(
      parseDates(['1900', '1910', '1920', '1921', '1922', '1923', '1924', '1928']),
    );
    expect(years.reason).toBe(
      'yearly (median spacing 366 days; 3 of 7 spacings are gaps longer than one step, read as one step)',
    );
  });

  it('hourly → 24, weekly → 52, quarterly → 4, yearly → 1, business days → 5, 15 minutes → 96', () => {
    const every = (start: number, step: number, n: number) =>
      Array.from({ length: n }, (_, i) => start + i * step);
    const H = 3_600_000;
    expect(inferFrequency(every(utc(2020, 1, 1), H, 50)).period).toBe(24);
    expect(inferFrequency(every(utc(2020, 1, 6), 7 * 24 * H, 20))).toMatchObject({
      frequency: 'weekly',
      period: 52,
    });
    expect(inferFrequency(parseDates(['2019-Q1', '2019-Q2', '2019-Q3', '2019-Q4', '2020-Q1']))).toMatchObject(
      {
        frequency: 'quarterly',
        period: 4,
      },
    );
    expect(inferFrequency(parseDates(['2001', '2002', '2003', '2004']))).toMatchObject({
      frequency: 'yearly',
      period: 1,
    });
    const weekdays = every(utc(2024, 1, 1), 24 * H, 28).filter(
      (t) => ![0, 6].includes(new Date(t).getUTCDay()),
    );
    expect(inferFrequency(weekdays)).toMatchObject({ frequency: 'business-daily', period: 5 });
    expect(inferFrequency(every(0, H / 4, 10))).toMatchObject({ frequency: 'sub-daily', period: 96 });
    expect(inferFrequency([0, 1000, 2000]).frequency).toBe('irregular');
  });

  it('requires increasing dates', () => {
    expect(() => inferFrequency(parseDates(['2015-01-02', '2015-01-01']))).toThrow(
      /dates must increase, but row 2 is not after row 1/,
    );
  });
});

describe('futureTimes', () => {
  it('continues months at month ends, skips weekends for business days', () => {
    const monthly = inferFrequency(parseDates(['2015-11-30', '2015-12-31', '2016-01-31']));
    expect(Array.from(futureTimes(parseDates(['2016-01-31']), monthly, 3), (t) => formatDate(t))).toEqual([
      '2016-02-29',
      '2016-03-31',
      '2016-04-30',
    ]);
    const mid = futureTimes(parseDates(['2016-01-15']), monthly, 1);
    expect(formatDate(mid[0]!)).toBe('2016-02-15');
    const friday = parseDates(['2024-01-05']);
    expect(
      Array.from(
        futureTimes(friday, { frequency: 'business-daily', period: 5, step: 0, reason: '' }, 2),
        (t) => formatDate(t),
      ),
    ).toEqual(['2024-01-08', '2024-01-09']);
    const hourly = inferFrequency(parseDates(['2024-01-01T22:00', '2024-01-01T23:00']));
    const next = futureTimes(parseDates(['2024-01-01T23:00']), hourly, 1)[0]!;
    expect([formatDate(next, { time: true }), formatDate(next)]).toEqual(['2024-01-02T00:00', '2024-01-02']);
  });

  it('continues months in years 0–99 as those years, not as 1900–1999', () => {
    const monthly = inferFrequency(parseDates(['0099-10-31', '0099-11-30', '0099-12-31']));
    const next = futureTimes(parseDates(['0099-12-31T12:00']), monthly, 3);
    expect(Array.from(next, (t) => new Date(t).toISOString())).toEqual([
      '0100-01-31T12:00:00.000Z',
      '0100-02-28T12:00:00.000Z',
      '0100-03-31T12:00:00.000Z',
    ]);
    const quarterly = inferFrequency(parseDates(['0003-05-15', '0003-08-15', '0003-11-15']));
    expect(Array.from(futureTimes(parseDates(['0003-11-29']), quarterly, 2), (t) => formatDate(t))).toEqual([
      '0004-02-29',
      '0004-05-31', // the 29th of February is a month end, so the month end follows
    ]);
  });
});

describe('calendarFeatures', () => {
  it('computes each phase as the Date of each row reads it, every 7 h 13 min over three centuries and year 50', () => {
    const reference = (t: number): number[] => {
      const d = new Date(t);
      const y = d.getUTCFullYear();
      const start = new Date(0).setUTCFullYear(y, 0, 1);
      const days = (new Date(0).setUTCFullYear(y + 1, 0, 1) - start) / 86_400_000;
      return [
        (d.getUTCHours() + d.getUTCMinutes() / 60) / 24,
        ((d.getUTCDay() + 6) % 7) / 7,
        d.getUTCMonth() / 12,
        Math.floor((t - start) / 86_400_000) / days,
      ];
    };
    const step = (7 * 60 + 13) * 60_000;
    const year50 = new Date(0).setUTCFullYear(50, 10, 1);
    const from = [
      year50,
      Date.UTC(1899, 10, 1),
      Date.UTC(1969, 10, 1),
      Date.UTC(1999, 10, 1),
      Date.UTC(2100, 1, 1),
    ];
    const times = from.flatMap((t0) => Array.from({ length: 400 }, (_, k) => t0 + k * step + (k % 3) * 1000));
    const features = ['hour-of-day', 'day-of-week', 'month', 'day-of-year'] as const;
    const { values } = calendarFeatures(times, features);
    const want = new Float32Array(values.length);
    times.forEach((t, r) => {
      reference(t).forEach((p, j) => {
        want[r * 8 + 2 * j] = Math.sin(2 * Math.PI * p);
        want[r * 8 + 2 * j + 1] = Math.cos(2 * Math.PI * p);
      });
    });
    expect(values).toEqual(want);
  });

  it('encodes day of week, month, day of year and hour as sin/cos of their phase', () => {
    // 2024-03-04 is a Monday, day 64 of a leap year (0-based 63), 06:00.
    const t = parseDates(['2024-03-04T06:00']);
    const { columns, values } = calendarFeatures(t, ['day-of-week', 'month', 'day-of-year', 'hour-of-day']);
    expect(columns).toEqual([
      'day-of-week_sin',
      'day-of-week_cos',
      'month_sin',
      'month_cos',
      'day-of-year_sin',
      'day-of-year_cos',
      'hour-of-day_sin',
      'hour-of-day_cos',
    ]);
    const expected = [0, 2 / 12, 63 / 366, 6 / 24].flatMap((p) => [
      Math.sin(2 * Math.PI * p),
      Math.cos(2 * Math.PI * p),
    ]);
    values.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i]!, 6);
    });
  });

  it('puts Sunday next to Monday and picks defaults by frequency', () => {
    const [mon, sun] = [parseDates(['2024-03-04']), parseDates(['2024-03-10'])];
    const a = calendarFeatures(mon, ['day-of-week']).values;
    const b = calendarFeatures(sun, ['day-of-week']).values;
    expect(Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!)).toBeCloseTo(2 * Math.sin(Math.PI / 7), 6);
    expect(defaultCalendarFeatures('daily')).toEqual(['day-of-week', 'day-of-year']);
    expect(defaultCalendarFeatures('monthly')).toEqual(['month']);
    expect(defaultCalendarFeatures('yearly')).toEqual([]);
    expect(() => calendarFeatures(mon, ['week' as never])).toThrow(/features must be a list of hour-of-day/);
  });
});
