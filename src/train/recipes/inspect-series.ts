import type { TimeSeries } from '../../data/series.js';
import { slice } from '../../ops/shape.js';
import { noGrad } from '../../tensor/autograd.js';
import { ValueError } from '../../tensor/errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { integratedGradients, perStep } from '../inspect/saliency.js';
import { type RecurrentTrace, traceRecurrent } from '../inspect/trace.js';
import { inspectionCharts, mostActive } from './inspect-charts.js';
import type { OpenedModel } from './opened.js';
import { modelInputs, seriesRuntime } from './series-model.js';
import type { RunStore } from './store.js';

/*
 * `kioku inspect --data file --row N` for a forecaster: the window of `lookback` rows that ends
 * at row N, run through the model's recurrent layer (every gate, cell and hidden state), and
 * which steps of the window moved its next-step prediction most.
 */

export interface InspectSeriesOptions {
  /** The data, read with the model's columns (seriesReadOptions). */
  series: TimeSeries;
  /** The window's last row, 0-based among the data rows; it needs lookback − 1 rows before it. */
  row: number;
  dataName?: string;
  /** Units drawn per heatmap, most active first (default 16). */
  top?: number;
  /** Integrated-gradients steps of the saliency (default 32; 1: plain gradient × input). */
  saliencySteps?: number;
  store?: RunStore;
}

export interface SeriesInspection {
  target: string;
  /** The window's rows: their dates, or their row numbers. */
  steps: string[];
  /** The model's prediction of the target for the step after the window. */
  prediction: number;
  /** Per step of the window: attribution of the (scaled) prediction, summed over the features. */
  saliency: number[];
  units: number[];
  trace: RecurrentTrace;
  charts: string[];
}

export async function inspectSeries(
  opened: OpenedModel,
  options: InspectSeriesOptions,
): Promise<SeriesInspection> {
  const rt = seriesRuntime(opened);
  const { s, model } = rt;
  const top = options.top ?? 16;
  const m = options.saliencySteps ?? 32;
  for (const [name, v] of [
    ['top', top],
    ['saliencySteps', m],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new ValueError(`inspectSeries: ${name} must be a positive integer, got ${String(v)}`);
  }
  const series = modelInputs(rt, options.series, options);
  const row = options.row;
  if (!Number.isInteger(row) || row < s.lookback - 1 || row >= series.length) {
    throw new ValueError(
      `inspectSeries: row must be an integer in [${s.lookback - 1}, ${series.length - 1}] (the model reads ${s.lookback} rows ending at it), got ${String(row)}`,
    );
  }
  const F = s.columns.length;
  const first = row - s.lookback + 1;
  const raw = series.values.slice(first * F, (row + 1) * F);
  const window = new Tensor(rt.scaler.transform(new Tensor(raw, [s.lookback, F])).f32, [1, s.lookback, F]);
  model.eval();
  const next = (x: Tensor) => slice(model.forward(x), 1, 0, 1);
  const scaled = noGrad(() => next(window)).item();
  const attributions = integratedGradients(window, m, next);
  model.zeroGrad();
  const trace = traceRecurrent(model.rnn, window);
  const last = trace.layers[trace.layers.length - 1]![0]!;
  const units = mostActive(last.hidden, top);
  const steps = Array.from({ length: s.lookback }, (_, k) => series.index?.[first + k] ?? String(first + k));
  const prediction = scaled * rt.scaler.std[s.targetIndex]! + rt.scaler.mean[s.targetIndex]!;
  const saliency = perStep(attributions, s.lookback);
  const charts = await inspectionCharts(options.store, {
    labels: steps,
    units,
    saliency,
    dir: last,
    title: `${s.target} after ${steps[steps.length - 1]}: ${prediction.toFixed(3)}`,
  });
  return { target: s.target, steps, prediction, saliency, units, trace, charts };
}
