import { decodeOutputs, encodeInputs, firstOrigin, inputWidth } from '../../data/forecast-encoding.js';
import type { SeriesPanel } from '../../data/panel.js';
import type { TimeSeries } from '../../data/series.js';
import { slice } from '../../ops/shape.js';
import { noGrad } from '../../tensor/autograd.js';
import { ValueError } from '../../tensor/errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { integratedGradients, perStep } from '../inspect/saliency.js';
import { type RecurrentTrace, traceRecurrent } from '../inspect/trace.js';
import { selectDirections, type TraceSelection } from '../inspect/trace-select.js';
import { drawnDirections, inspectionCharts } from './inspect-charts.js';
import type { OpenedModel } from './opened.js';
import { specOf } from './series-config.js';
import { modelPanel, type SeriesRuntime, seriesRuntime } from './series-model.js';
import { encoderSeries } from './series-panel.js';
import type { RunStore } from './store.js';

/*
 * `kioku inspect --data file --row N` for a forecaster: the window of `lookback` rows that ends
 * at row N, run through the model's recurrent layer (every gate, cell and hidden state), and
 * which steps of the window moved its next-step prediction most.
 */

export interface InspectSeriesOptions extends TraceSelection {
  /** The data, read with the model's columns (seriesReadOptions); one series. */
  series: TimeSeries | SeriesPanel;
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
  /** Units of the first drawn layer and direction, most active first. */
  units: number[];
  /** The drawn layers and directions (layer and direction options) and their most active units. */
  drawn: Array<{ layer: number; direction: 'forward' | 'reverse'; units: number[] }>;
  trace: RecurrentTrace;
  charts: string[];
}

export async function inspectSeries(
  opened: OpenedModel,
  options: InspectSeriesOptions,
): Promise<SeriesInspection> {
  const rt = seriesRuntime(opened);
  const { c, model } = rt;
  const top = options.top ?? 16;
  const m = options.saliencySteps ?? 32;
  for (const [name, v] of [
    ['top', top],
    ['saliencySteps', m],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new ValueError(`inspectSeries: ${name} must be a positive integer, got ${String(v)}`);
  }
  const { window, first, index, decode } = modelWindow(rt, options);
  model.eval();
  const next = (x: Tensor) => slice(model.forward(x), 1, 0, 1);
  const outputs = noGrad(() => model.forward(window)).f32;
  const attributions = integratedGradients(window, m, next);
  model.zeroGrad();
  const trace = traceRecurrent(model.rnn, window);
  const drawn = drawnDirections(selectDirections('inspectSeries', trace, options), top);
  const steps = Array.from({ length: c.lookback }, (_, k) => index?.[first + k] ?? String(first + k));
  const prediction = decode(outputs);
  const saliency = perStep(attributions, c.lookback);
  const charts = await inspectionCharts(options.store, {
    labels: steps,
    saliency,
    drawn,
    title: `${c.target} after ${steps[steps.length - 1]}: ${prediction.toFixed(3)}`,
  });
  const units = drawn[0]!.units;
  const views = drawn.map(({ dir, units }) => ({ layer: dir.layer, direction: dir.direction, units }));
  return { target: c.target, steps, prediction, saliency, units, drawn: views, trace, charts };
}

/**
 * The network's input for the `lookback` rows that end at `options.row`, encoded as forecasting
 * encodes it (transform, scaling, calendar), and how to read its outputs back in the target's units.
 */
function modelWindow(rt: SeriesRuntime, options: InspectSeriesOptions) {
  const { panel, configs } = modelPanel(rt, options.series, options);
  if (panel.members.length !== 1) {
    throw new ValueError('inspectSeries: the model forecasts several series; inspect one series at a time');
  }
  const member = panel.members[0]!;
  const scaling = configs[0]!.scaling;
  const spec = specOf(rt.c);
  const need = firstOrigin(spec);
  const row = options.row;
  if (!Number.isInteger(row) || row < need - 1 || row >= member.target.length) {
    throw new ValueError(
      `inspectSeries: row must be an integer in [${need - 1}, ${member.target.length - 1}] (the model reads ${need} rows ending at it), got ${String(row)}`,
    );
  }
  const end = row + 1;
  const x = new Float32Array(spec.lookback * inputWidth(spec));
  encodeInputs(spec, scaling, encoderSeries(member), end, x);
  const history = member.target.subarray(end - need, end);
  return {
    window: new Tensor(x, [1, spec.lookback, inputWidth(spec)]),
    first: end - spec.lookback,
    index: member.index,
    decode: (outputs: Float32Array) => decodeOutputs(spec, scaling, history, outputs)[0]!,
  };
}
