import { describe, expect, it } from 'vitest';
import { Reporter } from '../../src/cli/reporter.js';
import { classificationTable } from '../../src/cli/reports.js';
import { textReport } from '../../src/train/recipes/text-reports.js';

/** The per-class table of a classifier with more classes than rows it lists. */
describe('the per-class table beyond 50 classes', () => {
  it('lists the lowest F1 among classes with test examples and says how many had none', async () => {
    const labels = Array.from({ length: 60 }, (_, i) => `c${i}`);
    // Classes 0–54 have two test examples each; 55–59 none. Class i < 10 gets one of its two wrong.
    const yTrue = Array.from({ length: 110 }, (_, j) => j >> 1);
    const yPred = yTrue.map((c, j) => (c < 10 && j % 2 === 1 ? (c + 1) % 55 : c));
    let out = '';
    const reporter = new Reporter({
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: () => true },
    });
    await classificationTable(
      reporter,
      'test',
      [{ model: 'lstm', report: textReport(yTrue, yPred, labels) }],
      labels,
      110,
      'Test',
    );
    const lines = out.split('\n');
    expect(lines).toContain('Per class (lstm, the 20 lowest F1 of 60; 5 without test examples left out):');
    const rows = lines.filter((l) => /^c\d+ /.test(l)).map((l) => l.split(/\s+/)[0]);
    expect(rows).toHaveLength(20);
    for (const c of ['c55', 'c56', 'c57', 'c58', 'c59']) expect(rows).not.toContain(c);
    // The ten classes with a wrong answer have the lowest F1 (0.6667 or 0.5): all listed.
    for (let c = 0; c < 10; c++) expect(rows).toContain(`c${c}`);
  });
});
