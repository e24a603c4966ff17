import { describe, expect, it } from 'vitest';
import { seattleWeather } from '../../src/io/datasets/builtin.js';
import { Generator } from '../../src/tensor/random.js';
import { scoreWithBaselines } from '../../src/train/recipes/series-baselines.js';

/**
 * When the report calls a series a random walk: persistence is the best baseline AND the
 * training rows have a unit root. Seattle's temperature is best forecast a day ahead by
 * persistence too, but its level is stationary, so it is not called one.
 */

/** Scores persistence itself as the model: one step ahead from every origin after `trainEnd`. */
function scoreNaive(target: Float64Array, trainEnd: number, period: number) {
  const origins = Array.from({ length: target.length - trainEnd }, (_, i) => trainEnd + i);
  const model = origins.map((o) => Float64Array.of(target[o - 1]!));
  return scoreWithBaselines('model', [{ target, trainEnd, origins, model }], {
    period,
    horizon: 1,
    transform: 'none',
    calendar: false,
  });
}

describe('the random-walk note', () => {
  it('is given for a random walk, where persistence is the best baseline', () => {
    const g = new Generator(5);
    const walk = new Float64Array(600);
    for (let i = 1; i < walk.length; i++) walk[i] = walk[i - 1]! + g.normal();
    const r = scoreNaive(walk, 480, 1);
    expect(['naive', 'drift']).toContain(r.verdict.best!.name);
    expect(r.randomWalk).toBe(true);
  });

  it('is not given for a stationary series that persistence forecasts best', async () => {
    const s = await seattleWeather();
    const F = s.columns.length;
    const t = s.columns.indexOf('temp_max');
    const y = Float64Array.from({ length: s.length }, (_, r) => s.values[r * F + t]!);
    const r = scoreNaive(y, s.index!.indexOf('2015-01-01'), 7);
    expect(r.verdict.best!.name).toBe('naive');
    expect(r.randomWalk).toBe(false);
  });
});
