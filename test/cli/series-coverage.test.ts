import { describe, expect, it } from 'vitest';
import { coverageLine } from '../../src/cli/series-reports.js';

describe('coverageLine', () => {
  it('states the coverage alone when it is within three standard errors of the level', () => {
    // 80% over 137 origins: three standard errors are 10.3 points; over 365, 6.3 (Seattle's 74.2%).
    expect(coverageLine({ level: 0.8, pooled: 0.795 }, 'test', 137)).toBe(
      '80% prediction intervals: 79.5% of the test values inside',
    );
    expect(coverageLine({ level: 0.8, pooled: 0.742 }, 'test', 365)).not.toMatch(/narrow/);
    expect(coverageLine({ level: 0.8, pooled: 0.72 }, 'test', 365)).toMatch(/too narrow/);
  });

  it('says the intervals are too narrow or too wide when the coverage is off by more than chance', () => {
    expect(coverageLine({ level: 0.8, pooled: 0.417 }, 'test', 24)).toBe(
      '80% prediction intervals: 41.7% of the test values inside, below the nominal 80% by more than three standard errors over 24 origins: the intervals are too narrow for this split',
    );
    expect(coverageLine({ level: 0.8, pooled: 0.99 }, 'validation', 200)).toMatch(
      /above the nominal 80%.*too wide/,
    );
  });

  it('allows a wider spread on few origins', () => {
    // Over 4 origins three standard errors are 60 points.
    expect(coverageLine({ level: 0.8, pooled: 0.5 }, 'test', 4)).not.toMatch(/nominal/);
  });
});
