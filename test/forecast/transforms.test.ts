import { describe, expect, it } from 'vitest';
import {
  decodeForecast,
  describeTransform,
  encodeTargets,
  encodeWindow,
  parseTargetTransform,
  type TargetTransform,
  transformContext,
} from '../../src/data/target-transform.js';
import { ValueError } from '../../src/tensor/errors.js';

const series = Array.from(
  { length: 40 },
  (_, t) => 50 + 3 * t + 10 * Math.sin((2 * Math.PI * t) / 7) + (t % 3),
);
const transforms: TargetTransform[] = [
  { kind: 'none' },
  { kind: 'difference' },
  { kind: 'log-difference' },
  { kind: 'seasonal-difference', period: 7 },
  { kind: 'window', mode: 'ratio' },
  { kind: 'window', mode: 'offset' },
];

describe('target transforms', () => {
  for (const t of transforms) {
    it(`${describeTransform(t)}: decode(encodeTargets) is the identity for horizons beyond a season`, () => {
      for (const end of [10, 20]) {
        const horizon = 16; // more than two seasons of 7: seasonal differences chain through forecasts
        const encoded = encodeTargets(t, series, end, horizon);
        const decoded = decodeForecast(t, series.slice(0, end), encoded);
        const expected = series.slice(end, end + horizon);
        decoded.forEach((v, k) => {
          expect(v).toBeCloseTo(expected[k]!, 9);
        });
      }
    });

    it(`${describeTransform(t)}: survives a JSON round trip`, () => {
      expect(parseTargetTransform(JSON.parse(JSON.stringify(t)))).toEqual(t);
    });
  }

  it('encode windows by hand', () => {
    const y = [2, 4, 8, 6, 12];
    expect(Array.from(encodeWindow({ kind: 'difference' }, y, 5, 3))).toEqual([4, -2, 6]);
    expect(Array.from(encodeWindow({ kind: 'seasonal-difference', period: 2 }, y, 5, 2))).toEqual([2, 4]);
    expect(Array.from(encodeWindow({ kind: 'window', mode: 'ratio' }, y, 4, 3))).toEqual([4 / 6, 8 / 6, 1]);
    expect(Array.from(encodeWindow({ kind: 'window', mode: 'offset' }, y, 4, 3))).toEqual([-2, 2, 0]);
    for (const v of encodeWindow({ kind: 'log-difference' }, y, 3, 2)) expect(v).toBeCloseTo(Math.log(2), 15);
    expect(transformContext({ kind: 'seasonal-difference', period: 12 })).toBe(12);
  });

  it('differences cumulate over the horizon; seasonal differences reuse earlier forecasts', () => {
    expect(Array.from(decodeForecast({ kind: 'difference' }, [1, 5], [1, 1, -3]))).toEqual([6, 7, 4]);
    // m = 2: steps 1–2 add to the last season observed, steps 3–4 to the forecasts of steps 1–2.
    expect(
      Array.from(decodeForecast({ kind: 'seasonal-difference', period: 2 }, [10, 20], [1, 2, 3, 4])),
    ).toEqual([11, 22, 14, 26]);
    expect(Array.from(decodeForecast({ kind: 'window', mode: 'ratio' }, [3, 4], [1.5]))).toEqual([6]);
  });

  it('forecasts outside the training range are fine: a differenced level keeps rising', () => {
    const decoded = decodeForecast({ kind: 'difference' }, [100, 200], new Array(5).fill(100));
    expect(Array.from(decoded)).toEqual([300, 400, 500, 600, 700]);
  });

  it('rejects what it cannot transform, naming the value', () => {
    expect(() => encodeWindow({ kind: 'log-difference' }, [1, 0, 2], 3, 2)).toThrow(
      /log-difference needs positive values, values\[1\] is 0/,
    );
    expect(() => encodeTargets({ kind: 'window', mode: 'ratio' }, [1, 0, 2], 2, 1)).toThrow(
      /window ratio divides by the window's last value, values\[1\] is 0/,
    );
    expect(() => encodeWindow({ kind: 'seasonal-difference', period: 7 }, series, 10, 5)).toThrow(
      /seasonal difference \(m=7\) needs values\[-2, 10\) of a series of 40/,
    );
    expect(() => decodeForecast({ kind: 'seasonal-difference', period: 7 }, [1, 2], [0])).toThrow(
      /history needs at least 7 values, got 2/,
    );
    expect(() => parseTargetTransform({ kind: 'box-cox' })).toThrow(
      /transform must be an object whose kind is one of none, difference, log-difference, seasonal-difference, window, got "box-cox"/,
    );
    expect(() => parseTargetTransform({ kind: 'seasonal-difference', period: 1 })).toThrow(ValueError);
    expect(() => parseTargetTransform({ kind: 'window', mode: 'scale' }, 'config.transform')).toThrow(
      /config.transform.mode must be 'ratio' or 'offset', got "scale"/,
    );
  });
});
