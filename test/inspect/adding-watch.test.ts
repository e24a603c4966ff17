import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type BackendName, backend, setBackend } from '../../src/backend/registry.js';
import { trainInWorker } from '../../src/browser/train-in-worker.js';
import type { AddingFlow } from '../../src/train/inspect/adding.js';
import { addingGradientFlow } from '../../src/train/inspect/adding.js';
import { type AddingFlowEvent, watchAddingFlow } from '../../src/train/inspect/adding-watch.js';

/*
 * The adding problem's gradient flow measured while the cells train: in this thread, and in a
 * worker thread through kioku/worker's 'adding-flow' recipe (the playground's "why did it
 * forget?" view), both on the JS backend.
 */

const WORKER = new URL('../../src/browser/worker-node.ts', import.meta.url);
const SMALL = { T: 12, hiddenSize: 4, steps: 6, every: 4, testSize: 64 };
let worker: Worker;
let previous: BackendName = 'js';

beforeAll(() => {
  previous = backend();
  setBackend('js');
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER.href)}); })`;
  worker = new Worker(boot, { eval: true, env: { ...process.env, KIOKU_BACKEND: 'js' } });
});
afterAll(async () => {
  setBackend(previous);
  await worker.terminate();
});

const values = (f: AddingFlow) => ({ cell: f.cell, mse: f.mse, input: [...f.input], hidden: [...f.hidden] });

it('reports each cell at step 0 and every `every` steps, ending where training to the end measures', async () => {
  const events: AddingFlowEvent[] = [];
  const flows = await watchAddingFlow({
    ...SMALL,
    cells: ['rnn', 'lstm', 'gru'],
    onEvent: (e) => void events.push(e),
  });
  expect(events.map((e) => `${e.cell}@${e.step}/${e.steps}`)).toEqual(
    [0, 4, 6].flatMap((s) => ['rnn', 'lstm', 'gru'].map((c) => `${c}@${s}/6`)),
  );
  const want = addingGradientFlow(['rnn', 'lstm', 'gru'], { T: 12, hiddenSize: 4, steps: 6 });
  expect(flows.map(values)).toEqual(want.map(values));
  expect(events.slice(-3).map(values)).toEqual(want.map(values));
  // After 4 steps: what 4 steps of training measure.
  const four = addingGradientFlow(['rnn', 'lstm', 'gru'], { T: 12, hiddenSize: 4, steps: 4 });
  expect(events.slice(3, 6).map(values)).toEqual(four.map(values));
});

it('runs in a worker as the adding-flow recipe, with the same events and flows, and stops when asked', async () => {
  const events: AddingFlowEvent[] = [];
  const run = await trainInWorker(worker, 'adding-flow', SMALL, { onEvent: (e) => events.push(e) });
  const here: AddingFlowEvent[] = [];
  const flows = await watchAddingFlow({ ...SMALL, onEvent: (e) => void here.push(e) });
  expect(run.backend).toBe('js');
  expect(run.flows.map(values)).toEqual(flows.map(values));
  expect(events.map((e) => [e.cell, e.step, ...values(e).input])).toEqual(
    here.map((e) => [e.cell, e.step, ...values(e).input]),
  );
  const stop = new AbortController();
  const steps: number[] = [];
  const stopped = await trainInWorker(
    worker,
    'adding-flow',
    { ...SMALL, steps: 1000, every: 1 },
    {
      signal: stop.signal,
      onEvent: (e) => {
        steps.push(e.step);
        if (e.step === 2) stop.abort();
      },
    },
  );
  expect(Math.max(...steps)).toBeLessThan(1000);
  expect(stopped.flows.map((f) => f.cell)).toEqual(['rnn', 'lstm']);
});

it('rejects bad options with a sentence naming them', async () => {
  await expect(watchAddingFlow({ every: 0 })).rejects.toThrow(/every must be a positive integer, got 0/);
  await expect(watchAddingFlow({ cells: ['lstm', 'tcn' as 'rnn'] })).rejects.toThrow(
    /cells must be out of rnn, lstm, gru, got tcn/,
  );
});
