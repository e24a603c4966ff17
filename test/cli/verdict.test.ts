import { describe, expect, it } from 'vitest';
import { verdict } from '../../src/cli/reports.js';
import type { NamedReport } from '../../src/train/recipes/text-classifier-options.js';

/** Reports carrying only the accuracy, the one score the verdict compares. */
const named = (model: string, accuracy: number) =>
  ({ model, report: { accuracy } }) as unknown as NamedReport;

describe('the text verdict', () => {
  it('says the network learned nothing when it does no better than the majority class', () => {
    const said = verdict([
      named('lstm-bi', 0.8571),
      named('bag-of-words', 0.8571),
      named('majority', 0.8571),
    ]);
    expect(said).toBe(
      "lstm-bi does no better than always answering the most frequent class (accuracy 0.8571, majority 0.8571): it learned nothing beyond the labels' frequencies.",
    );
  });

  it('says a tie with the best baseline is a tie', () => {
    const said = verdict([named('lstm-bi', 0.95), named('bag-of-words', 0.95), named('majority', 0.6)]);
    expect(said).toBe('lstm-bi tied the bag-of-words baseline on accuracy (0.9500).');
  });

  it('names the winner, the network or a baseline', () => {
    expect(verdict([named('lstm', 0.97), named('bag-of-words', 0.95), named('majority', 0.6)])).toBe(
      'lstm scored the best accuracy (0.9700; best baseline bag-of-words 0.9500).',
    );
    expect(verdict([named('lstm', 0.9), named('tf-idf', 0.95), named('majority', 0.6)])).toBe(
      'The tf-idf baseline beat lstm on accuracy (0.9500 vs 0.9000).',
    );
  });

  it('says when the winner leads by less than the test set noise, and not when it leads clearly', () => {
    const counted = (model: string, accuracy: number, examples: number) =>
      ({ model, report: { accuracy, examples } }) as unknown as NamedReport;
    // 602 and 600 of 605 right: 2 examples, 0.7 standard errors of the difference.
    expect(verdict([counted('lstm-bi', 602 / 605, 605), counted('bag-of-words', 600 / 605, 605)])).toBe(
      'lstm-bi scored the best accuracy (0.9950; best baseline bag-of-words 0.9917). The difference, 2 of 605 test examples, is within the noise of a test set this size (0.7 standard errors): another seed can reverse it.',
    );
    expect(verdict([counted('lstm-bi', 595 / 605, 605), counted('bag-of-words', 600 / 605, 605)])).toMatch(
      /^The bag-of-words baseline beat lstm-bi on accuracy \(0\.9917 vs 0\.9835\)\. The difference, 5 of 605 test examples, is within the noise/,
    );
    // 90% against 80% of 1000: 6.3 standard errors, a clear lead.
    expect(verdict([counted('lstm', 0.9, 1000), counted('bag-of-words', 0.8, 1000)])).toBe(
      'lstm scored the best accuracy (0.9000; best baseline bag-of-words 0.8000).',
    );
  });
});
