import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/registry.js';
import { openModel, trainInWorker } from '../../src/browser/index.js';
import { makeSeries } from '../../src/data/series.js';
import { KiokuError, ValueError } from '../../src/tensor/errors.js';
import type { ForecasterEvent } from '../../src/train/recipes/events.js';
import { trainForecaster } from '../../src/train/recipes/forecaster.js';
import { forecastSeries } from '../../src/train/recipes/series-model.js';
import { trainTextClassifier } from '../../src/train/recipes/text-classifier.js';
import { predictText } from '../../src/train/recipes/text-model.js';

/*
 * The worker API in a Node worker thread (kioku/worker's Node entry), on the JS backend on both
 * sides: what comes back from the worker is what the same recipe gives on the calling thread.
 */

const WORKER = new URL('../../src/browser/worker-node.ts', import.meta.url);
let worker: Worker;

beforeAll(() => {
  setBackend('js');
  // The worker's entry is TypeScript: tsx's loader is registered in the thread before importing it
  // (the test runs from the repository's root, where 'tsx' resolves).
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER.href)}); })`;
  worker = new Worker(boot, { eval: true, env: { ...process.env, KIOKU_BACKEND: 'js' } });
});
afterAll(() => worker.terminate());

/** 300 days of a noisy weekly cycle, dated. */
function weekly() {
  const day = (i: number) => new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10);
  const rows = Array.from({ length: 300 }, (_, i) => [
    10 + 5 * Math.sin((2 * Math.PI * i) / 7) + ((i * 37) % 11) / 10,
  ]);
  return makeSeries(['y'], rows, { index: rows.map((_, i) => day(i)) });
}

const FORECASTER = { target: 'y', lookback: 14, hidden: 8, epochs: 3, batch: 32, dataName: 'weekly' };

describe('trainInWorker (Node worker thread)', () => {
  it('trains a forecaster off the thread to the same weights and forecasts as on it', async () => {
    const series = weekly();
    const events: ForecasterEvent['type'][] = [];
    const run = await trainInWorker(
      worker,
      'forecaster',
      { series, ...FORECASTER },
      {
        onEvent: (e) => events.push(e.type),
      },
    );
    const here = await trainForecaster({ series, ...FORECASTER });
    expect(run.backend).toBe('js');
    expect(run.fit).toEqual(here.fit);
    expect(run.test.models).toEqual(here.test.models);
    expect(events.filter((t) => t === 'epoch')).toHaveLength(3);
    expect(events.at(0)).toBe('series-data');
    expect(events.at(-1)).toBe('trained');
    const opened = openModel(run.files, { source: 'from-worker' });
    const there = await forecastSeries(opened, { steps: 5 });
    const local = await forecastSeries({ model: here.model, config: here.config as never }, { steps: 5 });
    expect(there.rows).toEqual(local.rows);
    expect(run.files.get('config.json')!.length).toBeGreaterThan(100);
  });

  it('stops after the current batch when the signal aborts, and still sends the model', async () => {
    const controller = new AbortController();
    let batches = 0;
    const run = await trainInWorker(
      worker,
      'forecaster',
      { series: weekly(), ...FORECASTER, epochs: 50 },
      {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'batch' && ++batches === 2) controller.abort();
        },
      },
    );
    expect(run.fit.stopReason).toBe('aborted');
    expect(run.fit.epochs).toBeLessThan(50);
    const forecast = await forecastSeries(openModel(run.files), { steps: 3 });
    expect(forecast.rows.every((r) => Number.isFinite(r.value))).toBe(true);
  });

  it('trains a text classifier and sends its bag-of-words baseline too', async () => {
    const texts = Array.from({ length: 120 }, (_, i) =>
      i % 2 ? `cheap pills offer ${i % 7} win money now` : `meeting notes for project ${i % 5} attached`,
    );
    const corpus = { texts, labels: Int32Array.from(texts, (_, i) => i % 2), classes: ['ham', 'spam'] };
    const options = { corpus, epochs: 2, embed: 8, hidden: 8, maxLen: 16, vocabSize: 200 };
    const run = await trainInWorker(worker, 'text-classifier', options);
    const here = await trainTextClassifier(options);
    expect(run.test).toEqual(here.test);
    expect(run.labels).toEqual(['ham', 'spam']);
    const samples = ['win cheap money', 'project meeting'];
    const opened = openModel(run.files);
    expect(predictText(opened, samples)).toEqual(
      predictText({ model: here.model, config: here.config as never }, samples),
    );
    expect(predictText(openModel(run.baselineFiles!), samples).map((p) => p.label)).toEqual(['spam', 'ham']);
  });

  it("rethrows the recipe's error as its class, naming the option", async () => {
    const run = trainInWorker(worker, 'forecaster', { series: weekly(), ...FORECASTER, lookback: 0 });
    await expect(run).rejects.toThrow(ValueError);
    await expect(run).rejects.toThrow(/lookback must be an integer ≥ 1, got 0/);
  });

  it('refuses what cannot go to a worker, and a second run on a busy worker', async () => {
    const series = weekly();
    expect(() =>
      trainInWorker(worker, 'forecaster', { series, ...FORECASTER, onEvent: () => {} } as never),
    ).toThrow(/option onEvent cannot go to a worker/);
    expect(() => trainInWorker({} as never, 'forecaster', { series, ...FORECASTER })).toThrow(
      /worker must be a Worker running kioku\/worker/,
    );
    expect(() => trainInWorker(worker, 'lm' as 'forecaster', { series, ...FORECASTER })).toThrow(
      /recipe must be one of forecaster, text-classifier, adding-flow, got "lm"/,
    );
    const first = trainInWorker(worker, 'forecaster', { series, ...FORECASTER, epochs: 1 });
    expect(() => trainInWorker(worker, 'forecaster', { series, ...FORECASTER })).toThrow(/already training/);
    expect((await first).fit.epochs).toBe(1);
    expect(() =>
      trainInWorker(worker, 'forecaster', { series, ...FORECASTER, extra: () => 1 } as never),
    ).toThrow(KiokuError);
  });
});
