import {
  type ForecasterEvent,
  type ForecasterWorkerResult,
  makeSeries,
  type TextClassifierEvent,
  type TextClassifierWorkerResult,
  trainInWorker,
} from '../../src/index.js';
import { drawChart, type Line } from './chart.js';
import { type PlaygroundData, spellOut } from './data-format.js';
import { $, svg } from './dom.js';

/** One training run from the page: the worker trains, this side draws its progress and speed. */

export interface Settings {
  cell: 'lstm' | 'gru' | 'rnn';
  hidden: number;
  epochs: number;
  target: string;
}

export type RunResult = ForecasterWorkerResult | TextClassifierWorkerResult;
type Event = ForecasterEvent | TextClassifierEvent;

const COLORS = { train: '#2563eb', val: '#f97316', baseline: '#9ca3af' };

/** The recipe and its options for a data set: small models, so a laptop or a phone trains in seconds. */
export function recipeFor(data: PlaygroundData, s: Settings) {
  const common = { cell: s.cell, hidden: s.hidden, epochs: s.epochs, dataName: data.name, batch: 32 };
  if (data.kind === 'series') {
    const series = makeSeries(data.columns, data.rows, data.index.length ? { index: data.index } : {});
    // Seattle's test year is 2015, as `kioku train series --data seattle-weather` splits it.
    const split = data.name === 'seattle-weather' ? { testFrom: '2015-01-01' } : {};
    return {
      recipe: 'forecaster' as const,
      options: { ...common, series, target: s.target, lookback: 30, ...split },
    };
  }
  const texts = data.characters ? data.texts.map(spellOut) : data.texts;
  const corpus = { texts, labels: Int32Array.from(data.labels), classes: data.classes };
  // Tried on the built-in sets: these beat the bag-of-words baseline within a minute on a laptop.
  const text = { embed: 64, maxLen: data.characters ? 24 : 120, bidirectional: false, vocabSize: 8000 };
  return { recipe: 'text-classifier' as const, options: { ...common, ...text, corpus } };
}

/** Draws loss and the validation metric per epoch, and shows progress and speed. */
class Progress {
  readonly epochs = new Map<string, Array<Record<string, number>>>();
  /** Epochs each model trains for. */
  private readonly totals = new Map<string, number>();
  private started = 0;
  private last = 0;
  /** The worker's backend, once it has said. */
  backend = '';
  private examples = 0;
  private batches = 0;
  private frame = 0;

  constructor(private readonly metric: string) {}

  onEvent(e: Event): void {
    if (e.type === 'batch') {
      if (this.started === 0) this.started = performance.now();
      this.last = performance.now();
      this.examples += e.size;
      this.batches++;
      const done = (e.epoch - 1 + e.batch / (e.batches ?? e.batch)) / this.total(e.model);
      ($('progress') as HTMLProgressElement).value = done;
      $('train-status').textContent =
        `${e.model}: epoch ${e.epoch}, batch ${e.batch}/${e.batches ?? '?'}, loss ${e.loss.toFixed(4)}`;
    } else if (e.type === 'epoch') {
      const list = this.epochs.get(e.model) ?? [];
      list.push(e.logs);
      this.epochs.set(e.model, list);
    } else if (e.type === 'epoch-begin') this.totals.set(e.model, e.epochs);
    this.frame ||= requestAnimationFrame(() => this.draw());
  }

  private total(model: string): number {
    return this.totals.get(model) ?? 1;
  }

  /** Batches and examples per second from the first batch to the latest (validation time included). */
  speed(): string {
    const seconds = (this.last - this.started) / 1000;
    if (this.batches === 0 || seconds <= 0) return 'idle';
    return `${(this.batches / seconds).toFixed(1)} batches/s · ${Math.round(this.examples / seconds)} examples/s`;
  }

  draw(): void {
    this.frame = 0;
    $('speed').textContent = `${this.backend ? `${this.backend} · ` : ''}${this.speed()}`;
    const lines = (key: string): Line[] =>
      [...this.epochs].flatMap(([model, logs], m) => {
        const color = m === 0 ? COLORS : { train: COLORS.baseline, val: '#64748b' };
        const points = (k: string) => logs.map((l, i) => [i + 1, l[k] ?? Number.NaN] as [number, number]);
        const val = `val${key[0]!.toUpperCase()}${key.slice(1)}`;
        return [
          ...(key === 'loss'
            ? [{ name: `${model} train`, color: color.train, points: points(key), dashed: m > 0 }]
            : []),
          { name: `${model} validation`, color: color.val, points: points(val), dashed: m > 0 },
        ];
      });
    drawChart(svg('loss-chart'), lines('loss'), { title: 'Loss per epoch' });
    drawChart(svg('metric-chart'), lines(this.metric), {
      title: `Validation ${this.metric === 'mae' ? 'MAE' : this.metric} per epoch`,
    });
  }
}

/** Trains in `worker`, drawing its progress; resolves with the worker's result. */
export async function train(
  worker: Worker,
  data: PlaygroundData,
  settings: Settings,
  signal: AbortSignal,
): Promise<RunResult> {
  const progress = new Progress(data.kind === 'series' ? 'mae' : 'accuracy');
  const { recipe, options } = recipeFor(data, settings);
  const onEvent = (e: Event) => progress.onEvent(e);
  const result =
    recipe === 'forecaster'
      ? await trainInWorker(worker, recipe, options, { signal, onEvent })
      : await trainInWorker(worker, recipe, options, { signal, onEvent });
  progress.backend = result.backend;
  progress.draw();
  return result;
}
