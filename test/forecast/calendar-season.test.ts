import { describe, expect, it } from 'vitest';
import { column, makeSeries } from '../../src/data/series.js';
import { seasonalityTest } from '../../src/data/stationarity.js';
import { usBirths } from '../../src/io/datasets/builtin.js';
import { Generator } from '../../src/tensor/random.js';
import { chooseCalendar, readPanel, showsSeason, showsWeek } from '../../src/train/recipes/series-panel.js';

/** The calendar's season test on minutely data with a daily cycle (m = 1440). */

const m = 1440;

function minutely(days: number, amplitude: number, seed: number): Float64Array {
  const rng = new Generator(seed);
  const y = new Float64Array(days * m);
  let level = 100;
  for (let t = 0; t < y.length; t++) {
    level += 0.05 * rng.normal();
    y[t] = level + amplitude * Math.sin((2 * Math.PI * t) / m) + rng.normal();
  }
  return y;
}

const diffs = (y: Float64Array) => y.subarray(1).map((v, t) => v - y[t]!);

describe('showsSeason', () => {
  it('finds a daily cycle in noisy minutes that minute-to-minute differences hide', () => {
    const y = minutely(20, 10, 3);
    expect(seasonalityTest(diffs(y), m).seasonal).toBe(false);
    expect(showsSeason(y, m)).toBe(true);
  });

  it('finds none in the same noise without the cycle', () => {
    for (const seed of [4, 5, 6]) expect(showsSeason(minutely(20, 0, seed), m)).toBe(false);
  });

  it('tests a short season value by value, as the M4 test does', () => {
    const y = Float64Array.from({ length: 70 }, (_, t) => [1, 5, 3, 2, 8, 4, 6][t % 7]! + 0.1 * t);
    expect(showsSeason(y, 7)).toBe(seasonalityTest(diffs(y), 7).seasonal);
    expect(showsSeason(y, 7)).toBe(true);
    expect(showsSeason(Float64Array.of(1), 7)).toBe(false);
  });
});

/** Hourly values for `days` days: a yearly swing, a daily cycle, an optional weekend dip, noise. */
function hourly(days: number, weekend: number, noise: number, seed: number): Float64Array {
  const rng = new Generator(seed);
  return Float64Array.from({ length: days * 24 }, (_, t) => {
    const day = Math.floor(t / 24);
    const dip = day % 7 >= 5 ? -weekend : 0;
    return (
      10 * Math.sin((2 * Math.PI * day) / 365) +
      4 * Math.sin((2 * Math.PI * t) / 24) +
      dip +
      noise * rng.normal()
    );
  });
}

describe('showsWeek', () => {
  it('finds no week in smooth hourly normals (a yearly swing and a daily cycle), which the M4 test on daily means would', () => {
    const y = hourly(270, 0, 0, 1);
    const daily = Float64Array.from(
      { length: 270 },
      (_, d) => y.subarray(d * 24, d * 24 + 24).reduce((a, b) => a + b) / 24,
    );
    expect(showsSeason(daily, 7)).toBe(true);
    expect(showsWeek(y, 24)).toBe(false);
    for (const seed of [2, 3, 4]) expect(showsWeek(hourly(270, 0, 1, seed), 24)).toBe(false);
  });

  it('finds a weekend dip of a fifth of the noise over 270 days of hours, and none in 4 weeks', () => {
    for (const seed of [5, 6, 7]) expect(showsWeek(hourly(270, 0.2, 1, seed), 24)).toBe(true);
    expect(showsWeek(hourly(28, 5, 1, 8), 24)).toBe(false);
  });

  it('finds the week in US daily births (fewer at weekends)', async () => {
    const births = Float64Array.from(column(await usBirths(), 'births'));
    expect(showsWeek(births.subarray(0, 365), 1)).toBe(true);
  });
});

describe('chooseCalendar on hourly data', () => {
  const calendarOf = (y: Float64Array) => {
    const start = Date.UTC(2010, 0, 1);
    const index = Array.from(y, (_, t) => new Date(start + t * 3_600_000).toISOString().slice(0, 19));
    const series = makeSeries(['load'], Float32Array.from(y), { index });
    const panel = readPanel({ series, target: 'load' }, (k) => k);
    return chooseCalendar(panel, [y.length]);
  };

  it('keeps the day of week where daily means have a weekly rhythm and leaves it out where they do not', () => {
    expect(calendarOf(hourly(270, 0.5, 1, 9)).features).toEqual(['hour-of-day', 'day-of-week']);
    expect(calendarOf(hourly(270, 0, 0, 9))).toEqual({
      features: ['hour-of-day'],
      reason: "hour-of-day (day-of-week left out: the training rows' daily means show no weekly season)",
    });
  });
});
