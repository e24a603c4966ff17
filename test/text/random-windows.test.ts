import { describe, expect, it } from 'vitest';
import { RandomWindows } from '../../src/train/recipes/text-windows.js';

const long = { tokens: Int32Array.from({ length: 40 }, (_, i) => 100 + i), label: 1 };
const short = { tokens: Int32Array.of(5, 6, 7), label: 0 };

/** Whether `xs` is a run of consecutive token ids (the texts above count up by one). */
const isRun = (xs: ArrayLike<number>) => Array.from(xs).every((x, i, a) => i === 0 || x === a[i - 1]! + 1);

describe('RandomWindows', () => {
  it('reads a short text whole and a long one as maxLen tokens of one random run', () => {
    const d = new RandomWindows([short, long], 8, 'head', 3);
    expect(d.length).toBe(2);
    expect(d.get(0)).toBe(short);
    const starts = new Set<number>();
    for (let k = 0; k < 50; k++) {
      const w = d.get(1);
      expect(w.label).toBe(1);
      expect(w.tokens.length).toBe(8);
      expect(isRun(w.tokens)).toBe(true);
      starts.add(w.tokens[0]!);
    }
    // Every start from 100 to 132 is possible; 50 draws reach many of them, the last one included.
    expect(starts.size).toBeGreaterThan(15);
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...starts)).toBeLessThanOrEqual(132);
  });

  it("keeps the first quarter with 'headTail', as evaluation reads it, and moves the rest", () => {
    const d = new RandomWindows([long], 8, 'headTail', 3);
    const rests = new Set<number>();
    for (let k = 0; k < 30; k++) {
      const w = Array.from(d.get(0).tokens);
      expect(w.slice(0, 2)).toEqual([100, 101]);
      expect(isRun(w.slice(2))).toBe(true);
      expect(w[2]!).toBeGreaterThanOrEqual(102);
      expect(w[7]!).toBeLessThanOrEqual(139);
      rests.add(w[2]!);
    }
    expect(rests.size).toBeGreaterThan(10);
  });

  it('draws the same windows from the same seed', () => {
    const draws = (seed: number) => {
      const d = new RandomWindows([long], 8, 'head', seed);
      return Array.from({ length: 5 }, () => d.get(0).tokens[0]);
    };
    expect(draws(7)).toEqual(draws(7));
    expect(draws(7)).not.toEqual(draws(8));
  });
});
