import { afterEach, describe, expect, it, vi } from 'vitest';
import { Reporter } from '../../src/cli/reporter.js';

/** Without a terminal, a long epoch prints a line a minute, so a run written to a log never looks stuck. */

function reporter(isTTY: boolean) {
  const lines: string[] = [];
  const io = { stdout: { write: () => true }, stderr: { write: (s: string) => lines.push(s), isTTY } };
  return { r: new Reporter(io), lines };
}

const batch = (n: number) =>
  ({ type: 'batch', model: 'lstm', epoch: 1, batch: n, batches: 40, loss: 0.5, size: 32 }) as const;

afterEach(() => {
  vi.useRealTimers();
});

describe('progress inside an epoch', () => {
  it('prints a line after a minute, with the batch, the loss and the time left, then waits another minute', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const { r, lines } = reporter(false);
    await r.training({ type: 'epoch-begin', model: 'lstm', epoch: 1, epochs: 3, batches: 40 }, 'mae');
    vi.advanceTimersByTime(30_000);
    await r.training(batch(5), 'mae');
    expect(lines).toEqual([]);
    vi.advanceTimersByTime(31_000);
    await r.training(batch(10), 'mae');
    expect(lines).toEqual(['lstm epoch 1/3: batch 10/40, loss 0.5000, about 3 min left in the epoch\n']);
    vi.advanceTimersByTime(30_000);
    await r.training(batch(15), 'mae');
    expect(lines).toHaveLength(1);
  });

  it('leaves the lines to the progress bar on a terminal', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const { r, lines } = reporter(true);
    await r.training({ type: 'epoch-begin', model: 'lstm', epoch: 1, epochs: 3, batches: 40 }, 'mae');
    vi.advanceTimersByTime(61_000);
    await r.training(batch(10), 'mae');
    r.close();
    expect(lines.join('')).not.toContain('batch 10/40, loss');
  });
});
