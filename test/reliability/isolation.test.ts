import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/native/init.js';
import { trainRun } from './train-run.js';

const backend = initBackend();
const STEPS = 25;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The weights a run in a worker thread ends with, and the backend it used. */
function inWorker(seed: number, steps: number): Promise<{ backend: string; weights: Float32Array }> {
  return new Promise((resolve, reject) => {
    // Workers do not inherit the TypeScript loader, so the worker loads its script through tsx.
    const script = new URL('./train-worker.ts', import.meta.url).href;
    const boot = `import('tsx/esm/api').then((m) => m.tsImport(${JSON.stringify(script)}, ${JSON.stringify(import.meta.url)}))`;
    const worker = new Worker(boot, { eval: true, workerData: { seed, steps } });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
  });
}

/** Bitwise equality: a NaN or a −0 must match too. */
function expectSameBits(a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer))).toBe(0);
}

describe(`training isolation (${backend} backend)`, () => {
  it('two models trained at once, steps interleaved, equal their separate runs bit for bit', async () => {
    const lstm = await trainRun({ seed: 1, steps: STEPS });
    const gru = await trainRun({ seed: 2, steps: STEPS, cell: 'gru' });
    const [lstm2, gru2] = await Promise.all([
      trainRun({ seed: 1, steps: STEPS, pause: nextTurn }),
      trainRun({ seed: 2, steps: STEPS, cell: 'gru', pause: nextTurn }),
    ]);
    expectSameBits(lstm2, lstm);
    expectSameBits(gru2, gru);
    // The runs differ from each other and from their start, so equality is not vacuous.
    const untrained = await trainRun({ seed: 1, steps: 0 });
    expect(lstm.some((w, i) => w !== untrained[i])).toBe(true);
  });

  it('a model trained in a worker thread, while the main thread trains another, ends with the same weights', async () => {
    const reference = await trainRun({ seed: 3, steps: STEPS });
    const other = await trainRun({ seed: 4, steps: STEPS, cell: 'gru' });
    // The main thread keeps training until the worker is done, so the two runs overlap.
    let done = false;
    const worker = inWorker(3, STEPS).finally(() => {
      done = true;
    });
    let rounds = 0;
    do {
      expectSameBits(await trainRun({ seed: 4, steps: STEPS, cell: 'gru', pause: nextTurn }), other);
      rounds++;
    } while (!done);
    const fromWorker = await worker;
    expect(rounds).toBeGreaterThan(1);
    expect(fromWorker.backend).toBe(backend);
    expectSameBits(fromWorker.weights, reference);
  });
});
