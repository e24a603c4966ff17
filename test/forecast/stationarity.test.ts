import { describe, expect, it } from 'vitest';
import { chooseTransform, diagnoseSeries } from '../../src/data/auto-transform.js';
import {
  adf,
  autocorrelation,
  kpss,
  MAX_TESTED_VALUES,
  seasonalityTest,
} from '../../src/data/stationarity.js';
import { stockPrices } from '../../src/io/datasets/builtin.js';
import { Generator } from '../../src/tensor/random.js';
import { FIXTURE_NAMES, loadFixture, scaledError } from './fixtures.js';

describe('stationarity statistics match statsmodels', () => {
  for (const name of FIXTURE_NAMES) {
    it(`${name}: acf, KPSS (legacy lags) and ADF (fixed lags, constant)`, () => {
      const fx = loadFixture(name);
      const st = fx.stationarity;
      expect(scaledError(autocorrelation(fx.train, fx.period), st.acf)).toBeLessThan(1e-12);
      const k = kpss(fx.train);
      expect(k.lags).toBe(st.kpss.lags);
      expect(k.statistic).toBeCloseTo(st.kpss.statistic, 9);
      const a = adf(fx.train, st.adf.lags)!;
      expect(a.nobs).toBe(st.adf.nobs);
      expect(a.statistic).toBeCloseTo(st.adf.statistic, 8);
      expect(a.critical).toBeCloseTo(st.adf.critical5, 9);
    });
  }

  it('tell white noise from a random walk', () => {
    const g = new Generator(3);
    const noise = Array.from({ length: 500 }, () => g.normal());
    let level = 0;
    const walk = noise.map((e) => (level += e));
    expect(adf(noise, 4)!.unitRoot).toBe(false);
    expect(kpss(noise).stationary).toBe(true);
    expect(adf(walk, 4)!.unitRoot).toBe(true);
    expect(kpss(walk).stationary).toBe(false);
  });

  it('seasonality test: M4 limit, three seasons needed, constant series', () => {
    const seasonal = Array.from({ length: 48 }, (_, t) => [1, 5, 3, 2][t % 4]! + 0.01 * t);
    const r = seasonalityTest(seasonal, 4);
    expect(r.seasonal).toBe(true);
    expect(r.reason).toMatch(/^autocorrelation at lag 4 is 0\.9\d+, beyond the 90% limit ±0\.\d+$/);
    expect(seasonalityTest(seasonal.slice(0, 11), 4).reason).toBe(
      'too short for a season of 4 (needs 3 seasons)',
    );
    expect(seasonalityTest(new Array(20).fill(3), 4).reason).toBe('the series is constant');
  });

  it('seasonality test reads the last MAX_TESTED_VALUES values of a longer series, and says so', () => {
    const n = MAX_TESTED_VALUES + 5000;
    // Seasonal only at the start: the test judges the recent values.
    const y = Float64Array.from(
      { length: n },
      (_, t) => (t < 5000 ? [1, 5, 3, 2][t % 4]! : 0) + Math.sin(t * 1.7),
    );
    const r = seasonalityTest(y, 4);
    expect(r.acf).toBe(seasonalityTest(y.subarray(5000), 4).acf);
    expect(r.reason).toMatch(/ \(the last 100,000 values\)$/);
  });
});

describe('chooseTransform (auto)', () => {
  const pick = (name: (typeof FIXTURE_NAMES)[number]) => {
    const fx = loadFixture(name);
    return chooseTransform(fx.train, { period: fx.period });
  };

  it('keeps Seattle temperatures as they are: stationary by ADF and KPSS', () => {
    const c = pick('seattle-temp-max');
    expect(c.transform).toEqual({ kind: 'none' });
    expect(c.reason).toBe('none: the level looks stationary (ADF -3.33 < -2.86, KPSS 0.174 < 0.463)');
  });

  it('seasonally differences births (weekly) and CO2 (yearly), differences the S&P 500', () => {
    expect(pick('us-births').transform).toEqual({ kind: 'seasonal-difference', period: 7 });
    expect(pick('co2').transform).toEqual({ kind: 'seasonal-difference', period: 12 });
    const sp = pick('sp500');
    expect(sp.transform).toEqual({ kind: 'difference' });
    expect(sp.reason).toBe('difference: the level wanders (ADF -1.9 ≥ -2.9, KPSS 0.275 < 0.463)');
  });

  it('takes log differences of stock prices, alone and as one global model', async () => {
    const trains: number[][] = [];
    for (const symbol of ['AAPL', 'AMZN', 'GOOG', 'IBM', 'MSFT']) {
      const s = await stockPrices({ symbols: [symbol] });
      const v = Array.from(s.values);
      trains.push(v.slice(0, v.length - 2 * Math.round(v.length * 0.1)));
    }
    expect(chooseTransform(trains[0]!, { period: 12 }).reason).toMatch(
      /^log difference: .* changes 28(\.\d)?-fold/,
    );
    const shared = chooseTransform(trains, { period: 12 });
    expect(shared.transform).toEqual({ kind: 'log-difference' });
    expect(shared.diagnoses).toHaveLength(5);
  });

  it('handles constant and short series without throwing', () => {
    expect(chooseTransform([2, 2, 2, 2]).reason).toBe(
      'none: the level looks stationary (the training series is constant)',
    );
    const short = chooseTransform([10, 13, 12, 15, 14]);
    expect(short.transform).toEqual({ kind: 'difference' });
    expect(short.reason).toBe('difference: 5 training values are too few for the unit-root test');
    expect(diagnoseSeries([1], 1).constant).toBe(true);
  });

  it('tests a minutely series of millions of rows with a daily season on its last values', () => {
    // 3 million minutes of a random walk: the ADF regression with a lag per minute of the day
    // needed a design matrix of 4.3 billion cells and threw a RangeError.
    const rng = new Generator(11);
    const walk = new Float64Array(3_000_000);
    for (let t = 1; t < walk.length; t++) walk[t] = walk[t - 1]! + rng.normal();
    walk[0] = -1e9; // the level's range still covers every value
    const d = diagnoseSeries(walk, 1440);
    expect(d.n).toBe(MAX_TESTED_VALUES);
    expect(d.adf?.lags).toBe(Math.floor(4 * (MAX_TESTED_VALUES / 100) ** 0.25));
    expect(d.adf?.nobs).toBe(MAX_TESTED_VALUES - 1 - d.adf!.lags);
    expect(Number.isFinite(d.adf?.statistic)).toBe(true);
    expect(d.positive).toBe(false);
  });

  it('validates its arguments', () => {
    expect(() => chooseTransform([1, 2, 3], { period: 0 })).toThrow(
      /chooseTransform: period must be an integer ≥ 1, got 0/,
    );
    expect(() => chooseTransform([])).toThrow('chooseTransform: train must hold at least one value');
  });
});
