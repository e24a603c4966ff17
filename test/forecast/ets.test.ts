import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/tensor/errors.js';
import { autoEts, etsBaseline } from '../../src/train/baselines/auto-ets.js';
import { type EtsSpec, etsFilter, etsForecastOrigins } from '../../src/train/baselines/ets.js';
import { fitEts } from '../../src/train/baselines/ets-fit.js';
import { FIXTURE_NAMES, loadFixture, scaledError } from './fixtures.js';

describe('exponential smoothing recursions match statsmodels', () => {
  for (const name of FIXTURE_NAMES) {
    it(`${name}: statsmodels' fitted parameters give its SSE and its forecasts`, () => {
      const fx = loadFixture(name);
      for (const model of fx.ets) {
        const { sse } = etsFilter(model.spec, model.params, fx.train);
        expect(Math.abs(sse / model.sse - 1), JSON.stringify(model.spec)).toBeLessThan(1e-10);
        const [forecast] = etsForecastOrigins(
          model.spec,
          model.params,
          fx.train,
          [fx.trainLength],
          fx.horizon,
        );
        expect(scaledError(forecast!, model.forecast), JSON.stringify(model.spec)).toBeLessThan(1e-12);
      }
    });
  }

  it('uses the latest seasonal factor at steps m, 2m, … (where statsmodels 0.13 reuses a stale one)', () => {
    const fx = loadFixture('co2');
    const model = fx.ets.find((e) => e.spec.trend === 'additive' && e.spec.season === 'additive')!;
    const [forecast] = etsForecastOrigins(model.spec, model.params, fx.train, [fx.trainLength], fx.horizon);
    for (let k = 0; k < fx.horizon; k++) {
      const stale = (k + 1) % fx.period === 0;
      expect(Math.abs(forecast![k]! - model.statsmodelsForecast[k]!) > 1e-9).toBe(stale);
    }
  });

  it('SES by hand: ŷ_t = ℓ_{t−1}, ℓ_t = α y_t + (1 − α) ℓ_{t−1}', () => {
    const spec: EtsSpec = { trend: 'none', season: 'none', period: 1 };
    const params = { alpha: 0.5, beta: 0, gamma: 0, phi: 1, level: 10, slope: 0, seasonals: [] };
    const fitted = new Float64Array(3);
    const { sse } = etsFilter(spec, params, [12, 8, 10], fitted);
    expect(Array.from(fitted)).toEqual([10, 11, 9.5]);
    expect(sse).toBeCloseTo(4 + 9 + 0.25, 12);
    const [forecast] = etsForecastOrigins(spec, params, [12, 8, 10], [3], 2);
    expect(Array.from(forecast!)).toEqual([9.75, 9.75]);
  });

  it('damped trend forecasts add φ + φ² + … + φ^h times the slope', () => {
    const spec: EtsSpec = { trend: 'damped', season: 'none', period: 1 };
    const params = { alpha: 1, beta: 0, gamma: 0, phi: 0.5, level: 0, slope: 4, seasonals: [] };
    // α = 1 puts the level on the last value; β = 0 keeps b_t = φ b_{t−1}.
    const [forecast] = etsForecastOrigins(spec, params, [7], [1], 3);
    expect(Array.from(forecast!)).toEqual([7 + 2 * 0.5, 7 + 2 * (0.5 + 0.25), 7 + 2 * (0.5 + 0.25 + 0.125)]);
  });
});

describe('fitEts', () => {
  // Every model on the three shorter series, and three on the 5,843 daily births (slow fits).
  const cases = FIXTURE_NAMES.flatMap((name) =>
    loadFixture(name)
      .ets.filter((e) => name !== 'us-births' || e.spec.trend === 'none')
      .map((e) => ({ name, spec: e.spec, sse: e.sse })),
  );
  it.each(cases)('$name $spec.trend/$spec.season: SSE ≤ statsmodels × 1.001', ({ name, spec, sse }) => {
    const fx = loadFixture(name);
    const fit = fitEts(fx.train, spec);
    expect(fit.sse).toBeLessThanOrEqual(sse * 1.001);
    expect(etsFilter(spec, fit.params, fx.train).sse).toBe(fit.sse);
    if (spec.season === 'additive') expect(fit.params.seasonals.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 9);
    if (spec.season === 'multiplicative')
      expect(fit.params.seasonals.reduce((a, b) => a + b, 0)).toBeCloseTo(spec.period, 9);
  });

  it('recovers the parameters of a noiseless Holt series and counts parameters as R ets does', () => {
    const y = Array.from({ length: 40 }, (_, t) => 5 + 2 * t);
    const fit = fitEts(y, { trend: 'additive', season: 'none', period: 1 });
    expect(fit.sse).toBeLessThan(1e-12);
    expect(fit.params.level).toBeCloseTo(3, 6);
    expect(fit.params.slope).toBeCloseTo(2, 6);
    // α, β, ℓ₀, b₀ and σ²: k = 5; AICc = n ln(SSE/n) + 2k + 2k(k+1)/(n−k−1).
    expect(fit.parameterCount).toBe(5);
    expect(fit.aicc - fit.aic).toBeCloseTo((2 * 5 * 6) / (40 - 5 - 1), 12);
  });

  it('rejects what it cannot fit, naming the argument', () => {
    expect(() => fitEts([1, 2, -3, 4, 5, 6], { trend: 'none', season: 'multiplicative', period: 2 })).toThrow(
      /multiplicative seasonality needs positive values/,
    );
    expect(() => fitEts([1, 2, 3, 4, 5], { trend: 'none', season: 'additive', period: 4 })).toThrow(
      /needs at least two seasons \(8 values\), got 5/,
    );
    expect(() => fitEts([1, 2, 3], { trend: 'linear' as never, season: 'none', period: 1 })).toThrow(
      ValueError,
    );
    expect(() => fitEts([1, Number.NaN, 3], { trend: 'none', season: 'none', period: 1 })).toThrow(
      /fitEts: values\[1\] must be a finite number, got NaN/,
    );
  });
});

describe('autoEts', () => {
  it('picks the lowest AICc, a seasonal model for CO2 and a non-seasonal one for the S&P 500', () => {
    const co2 = autoEts(loadFixture('co2').train, { period: 12 });
    expect(co2.candidates.map((c) => c.aicc)).toEqual(
      [...co2.candidates.map((c) => c.aicc)].sort((a, b) => a - b),
    );
    expect(co2.best.spec.season).not.toBe('none');
    expect(co2.best.spec.trend).not.toBe('none');
    expect(co2.candidates).toHaveLength(9);
    const sp = autoEts(loadFixture('sp500').train, { period: 12 });
    expect(sp.best.spec.season).toBe('none');
  });

  it('skips seasonal models it cannot fit and says why', () => {
    const r = autoEts([-1, 2, 3, 1, 2, 3, 1, 2, 3, 4], { period: 3 });
    expect(r.skipped.map((s) => s.reason)).toEqual(Array(3).fill('the series has values ≤ 0'));
    expect(r.candidates).toHaveLength(6);
  });

  it('as a baseline, forecasts from later origins with the training parameters', () => {
    const fx = loadFixture('sp500');
    const fit = fitEts(fx.train, { trend: 'damped', season: 'none', period: 1 });
    const baseline = etsBaseline(fit, fx.train);
    expect(baseline.name).toBe('ETS: Holt damped');
    const origins = [fx.trainLength, fx.trainLength + 5];
    const rows = baseline.forecastAt(fx.values, origins, 3);
    origins.forEach((o, i) => {
      const direct = etsForecastOrigins(fit.spec, fit.params, fx.values.slice(0, o), [o], 3)[0]!;
      expect(Array.from(rows[i]!)).toEqual(Array.from(direct));
    });
    expect(Array.from(baseline.forecast(3))).toEqual(Array.from(rows[0]!));
  });
});
