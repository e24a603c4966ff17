import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type BatcherOptions, MicroBatcher } from '../../src/serve/batcher.js';
import { lengthBuckets } from '../../src/train/recipes/serving-text.js';

/**
 * The micro-batcher on its own, with a run function that records its batches: batches fill up to
 * the row limit or the wait, jobs sharing a key never meet and keep their order, and a job's
 * error reaches that job alone.
 */

interface Job {
  id: string;
  rows: number;
  key?: string;
  cost?: number;
}

function batcher(options: Partial<BatcherOptions<Job, string>> = {}) {
  const batches: string[][] = [];
  const b = new MicroBatcher<Job, string>({
    maxRows: 4,
    maxWaitMs: 10,
    batching: true,
    rows: (j) => j.rows,
    key: (j) => j.key ?? null,
    cost: (j) => j.cost ?? 0,
    run: (jobs) => {
      batches.push(jobs.map((j) => j.id));
      return jobs.map((j) => (j.id.startsWith('bad') ? new Error(`${j.id} failed`) : `done ${j.id}`));
    },
    ...options,
  });
  return { b, batches };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('MicroBatcher', () => {
  it('runs the jobs that came within the wait as one batch, answering each', async () => {
    const { b, batches } = batcher();
    const answers = Promise.all([b.submit({ id: 'a', rows: 1 }), b.submit({ id: 'b', rows: 2 })]);
    expect(batches).toEqual([]);
    expect(b.waiting).toBe(2);
    await vi.advanceTimersByTimeAsync(10);
    expect(batches).toEqual([['a', 'b']]);
    expect(await answers).toEqual(['done a', 'done b']);
  });

  it('runs a batch at once when it reaches the row limit, and what did not fit after', async () => {
    const { b, batches } = batcher();
    const answers = [1, 2, 1, 3].map((rows, i) => b.submit({ id: `j${i}`, rows }));
    // j0..j2 hold 4 rows: they ran as j2 came; j3 (3 rows) waits for company
    expect(batches).toEqual([['j0', 'j1', 'j2']]);
    await vi.advanceTimersByTimeAsync(10);
    expect(batches).toEqual([['j0', 'j1', 'j2'], ['j3']]);
    expect(await Promise.all(answers)).toEqual(['done j0', 'done j1', 'done j2', 'done j3']);
  });

  it('never puts two jobs of one key in a batch, and keeps their order', async () => {
    const { b, batches } = batcher({ maxRows: 10 });
    const answers = ['a', 'b', 'a', 'a'].map((key, i) => b.submit({ id: `${key}${i}`, rows: 1, key }));
    await vi.advanceTimersByTimeAsync(10);
    await vi.advanceTimersByTimeAsync(10);
    await vi.advanceTimersByTimeAsync(10);
    expect(batches).toEqual([['a0', 'b1'], ['a2'], ['a3']]);
    expect(await Promise.all(answers)).toEqual(['done a0', 'done b1', 'done a2', 'done a3']);
  });

  it('cuts a batch at the cost limit', async () => {
    const { b, batches } = batcher({ maxRows: 10, maxCost: 100 });
    const answers = [60, 30, 50, 20].map((cost, i) => b.submit({ id: `j${i}`, rows: 1, cost }));
    // j0..j2 cost 140 ≥ 100: the batch ran as j2 came, cut after j0 and j1 (90); j2 and j3 are left.
    expect(batches).toEqual([['j0', 'j1']]);
    await vi.advanceTimersByTimeAsync(10);
    expect(batches).toEqual([
      ['j0', 'j1'],
      ['j2', 'j3'],
    ]);
    expect(await Promise.all(answers)).toEqual(['done j0', 'done j1', 'done j2', 'done j3']);
  });

  it('runs a job that costs more than the limit alone', async () => {
    const { b, batches } = batcher({ maxCost: 100 });
    const answers = [
      b.submit({ id: 'big', rows: 1, cost: 300 }),
      b.submit({ id: 'small', rows: 1, cost: 1 }),
    ];
    await vi.advanceTimersByTimeAsync(10);
    expect(batches).toEqual([['big'], ['small']]);
    expect(await Promise.all(answers)).toEqual(['done big', 'done small']);
  });

  it('lets a job left behind wait only what is left of its own wait', async () => {
    const { b, batches } = batcher({ maxRows: 10 });
    const answers = [b.submit({ id: 'a0', rows: 1, key: 'a' })];
    await vi.advanceTimersByTimeAsync(4);
    answers.push(b.submit({ id: 'a1', rows: 1, key: 'a' }));
    // a0's wait ends at 10 ms: it runs alone (a1 shares its key); a1 came at 4, so it runs at 14.
    await vi.advanceTimersByTimeAsync(6);
    expect(batches).toEqual([['a0']]);
    await vi.advanceTimersByTimeAsync(3);
    expect(batches).toEqual([['a0']]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([['a0'], ['a1']]);
    expect(await Promise.all(answers)).toEqual(['done a0', 'done a1']);
  });

  it('without batching, runs each job alone as it comes', async () => {
    const { b, batches } = batcher({ batching: false });
    const answers = [b.submit({ id: 'a', rows: 1 }), b.submit({ id: 'b', rows: 1 })];
    expect(batches).toEqual([['a'], ['b']]);
    expect(await Promise.all(answers)).toEqual(['done a', 'done b']);
  });

  it('fails only the job whose run failed, and drains what waits when asked', async () => {
    const { b, batches } = batcher({ maxWaitMs: 60_000 });
    const good = b.submit({ id: 'good', rows: 1 });
    const bad = b.submit({ id: 'bad', rows: 1 });
    b.drain();
    expect(batches).toEqual([['good', 'bad']]);
    expect(await good).toBe('done good');
    await expect(bad).rejects.toThrow('bad failed');
  });
});

describe('length buckets', () => {
  it('groups texts longest first, a bucket closing below three quarters of its longest', () => {
    const texts = [3, 40, 8, 31, 30, 4, 6, 29].map((n) => new Int32Array(n));
    // 40, 31, 30 (≥ 30); 29 (< 30 opens a bucket), then 8 (< 21.75); 8, 6 (≥ 6); 4, 3.
    expect(lengthBuckets(texts)).toEqual([[1, 3, 4], [7], [2, 6], [5, 0]]);
  });

  it('keeps texts of one length together, in their order', () => {
    expect(lengthBuckets([5, 5, 5].map((n) => new Int32Array(n)))).toEqual([[0, 1, 2]]);
    expect(lengthBuckets([])).toEqual([]);
  });
});
