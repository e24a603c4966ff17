import { describe, expect, it } from 'vitest';
import { encodeInputs, encodeOutputs, firstOrigin, inputWidth } from '../../src/data/forecast-encoding.js';
import { seattleWeather } from '../../src/io/datasets/builtin.js';
import { ForecastScorer, scoreForecasts } from '../../src/train/baselines/accuracy.js';
import { fitStandardBaselines } from '../../src/train/baselines/standard.js';
import { scoreWithBaselines } from '../../src/train/recipes/series-baselines.js';
import { encoderSeries, readPanel, withCalendar } from '../../src/train/recipes/series-panel.js';
import { planSeries } from '../../src/train/recipes/series-plan.js';
import { splitPanel } from '../../src/train/recipes/series-split.js';
import { ForecastWindows, originsIn } from '../../src/train/recipes/series-windows.js';

/**
 * A long series is trained and scored without holding every window or every origin's
 * forecasts at once: windows are encoded per batch, the baselines scored a block of origins at
 * a time. Both give exactly what encoding every window up front and scoring every origin in
 * one call gave, here on Seattle's daily temperatures (with weather covariates and the
 * day-of-week calendar).
 */

const name = (k: string) => k;

async function seattle() {
  const panel = readPanel({ series: await seattleWeather(), target: 'temp_max' }, name);
  withCalendar(panel, ['day-of-week']);
  const split = splitPanel(panel, { horizon: 7 }, name);
  const plan = planSeries(
    panel,
    split.members,
    { transform: 'auto', lookback: 14, horizon: 7, strategy: 'direct' },
    name,
  );
  return { panel, split, plan };
}

describe('forecast windows encoded per batch', () => {
  it("equal each window encoded on its own, in any batch order, and the loss weights' inputs", async () => {
    const { panel, split, plan } = await seattle();
    const { spec, scalings } = plan;
    const at = originsIn([{ from: 0, to: split.members[0]!.val }], spec.horizon, firstOrigin(spec));
    const windows = new ForecastWindows(spec, panel.members, scalings, at);
    expect(windows.length).toBeGreaterThan(900);
    const size = spec.lookback * inputWidth(spec);
    const series = encoderSeries(panel.members[0]!);
    const items = [windows.length - 1, 0, 500, 17, 500];
    const batch = windows.collate(items);
    expect(batch.inputs.shape).toEqual([5, spec.lookback, inputWidth(spec)]);
    items.forEach((w, i) => {
      const alone = new Float32Array(size);
      encodeInputs(spec, scalings[0]!, series, at.origins[w]!, alone);
      expect(batch.inputs.f32.subarray(i * size, (i + 1) * size)).toEqual(alone);
      const target = encodeOutputs(spec, scalings[0]!, series, at.origins[w]!);
      expect(batch.targets.f32.subarray(i * spec.horizon, (i + 1) * spec.horizon)).toEqual(target);
      expect(batch.origins[i]).toBe(at.origins[w]);
    });
    const all = windows.encodeAll();
    expect(all.inputs.subarray(500 * size, 501 * size)).toEqual(
      batch.inputs.f32.subarray(2 * size, 3 * size),
    );
    expect(all.targets.length).toBe(windows.length * spec.horizon);
  });
  it('hold no encoded copy: more window values than a typed array can hold still batch', () => {
    // 2,000,000 windows × 2,200 steps = 4.4e9 encoded values, over a Float32Array's 2^32 limit.
    const n = 2_002_200;
    const target = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 10));
    const member = {
      id: null,
      target,
      covariates: new Float64Array(0),
      calendar: new Float32Array(0),
      times: null,
      index: null,
    };
    const spec = {
      lookback: 2200,
      horizon: 1,
      transform: { kind: 'none' as const },
      covariates: 0,
      calendar: [],
    };
    const scaling = { target: { mean: 0, std: 2 }, covariates: [] };
    const windows = new ForecastWindows(spec, [member], [scaling], originsIn([{ from: 0, to: n }], 1, 2200));
    expect(windows.length).toBe(n - 2200);
    const batch = windows.collate([windows.length - 1]);
    expect(batch.inputs.f32[2199]).toBe(Math.fround(target[n - 2]! / 2));
    expect(batch.targets.f32[0]).toBe(Math.fround(target[n - 1]! / 2));
  });
});

describe('scoring a split a block of origins at a time', () => {
  async function split() {
    const s = await seattleWeather();
    const t = s.columns.indexOf('temp_max');
    const target = Float64Array.from({ length: s.length }, (_, r) => s.values[r * s.columns.length + t]!);
    const trainEnd = 1100;
    const horizon = 7;
    const origins = Array.from({ length: target.length - horizon + 1 - trainEnd }, (_, i) => trainEnd + i);
    // A model that is neither a baseline nor exact: last week's values shrunk toward the mean.
    const model = origins.map((o) =>
      Float64Array.from({ length: horizon }, (_, k) => 0.8 * target[o - 7 + k]! + 3),
    );
    return { target, trainEnd, horizon, origins, model };
  }

  it('gives the scores of every origin scored in one call, for the model and each baseline', async () => {
    const f = await split();
    const options = { period: 7, horizon: f.horizon, transform: 'none', calendar: false };
    const blocked = scoreWithBaselines('model', [f], { ...options, block: 25 });
    expect(scoreWithBaselines('model', [f], { ...options, block: 1e9 })).toEqual(blocked);
    const train = f.target.subarray(0, f.trainEnd);
    const actual = f.origins.map((o) => f.target.subarray(o, o + f.horizon));
    const set = fitStandardBaselines(train, { period: 7 });
    const naive2 = set.naive2.forecastAt(f.target, f.origins, f.horizon);
    const whole = (predicted: Float64Array[]) =>
      scoreForecasts({ actual, predicted, train, period: 7, naive2 });
    expect(blocked.models[0]!.pooled).toEqual(whole(f.model).pooled);
    expect(blocked.models[0]!.perStep).toEqual(whole(f.model).perStep);
    expect(blocked.models.map((m) => m.name)).toEqual(['model', ...set.baselines.map((b) => b.name)]);
    set.baselines.forEach((b, i) => {
      const expected = whole(b.forecastAt(f.target, f.origins, f.horizon));
      expect(blocked.models[i + 1]!.pooled).toEqual(expected.pooled);
      expect(blocked.models[i + 1]!.perStep).toEqual(expected.perStep);
    });
    expect(blocked.models[0]!.pooled.mase).toBeGreaterThan(0.1);
  });

  it('ForecastScorer checks each block and needs naive2 with every block or with none', () => {
    const scorer = new ForecastScorer([1, 2, 4, 3], 1, 2, true);
    expect(() => scorer.add({ actual: [[1, 2]], predicted: [[1, 2]] })).toThrow(
      /naive2 rows must be given with every block/,
    );
    expect(() => scorer.add({ actual: [[1, 2]], predicted: [[1]], naive2: [[1, 1]] })).toThrow(
      /predicted\[0\] has 1 values, expected 2/,
    );
    expect(new ForecastScorer([1, 2, 3], 1, 2, false).scores().pooled.reasons.mae).toMatch(
      /no forecast origins/,
    );
  });
});
