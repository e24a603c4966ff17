import { TextClassifier } from '../../nn/heads.js';
import { mul } from '../../ops/binary.js';
import { sum } from '../../ops/reduce.js';
import { noGrad } from '../../tensor/autograd.js';
import { ValueError } from '../../tensor/errors.js';
import { Tensor } from '../../tensor/tensor.js';
import {
  ADDING_CELLS,
  type AddingCell,
  type AddingFlow,
  type AddingTraining,
  addingGradientFlow,
} from '../inspect/adding.js';
import { integratedGradients, perStep } from '../inspect/saliency.js';
import { type RecurrentTrace, traceRecurrent } from '../inspect/trace.js';
import { selectDirections, type TraceSelection } from '../inspect/trace-select.js';
import { softmaxRows } from '../tasks.js';
import { drawnDirections, inspectionCharts } from './inspect-charts.js';
import type { OpenedModel } from './opened.js';
import type { RunStore } from './store.js';
import { textRuntime } from './text-model.js';

/*
 * What `kioku inspect` does: look inside a trained text classifier on one text (every gate,
 * cell and hidden state of every layer, the tokens that moved the prediction) and measure the
 * gradient flow of RNN, LSTM and GRU on the adding problem, drawing charts through the store.
 */

const chartSpecs = () => import('../inspect/charts.js');
const render = () => import('../../plot/render.js');

export interface InspectTextOptions extends TraceSelection {
  /** Units drawn per heatmap, the most active first (default 16). */
  top?: number;
  /**
   * Points on the path from the zero embedding to the text at which the gradient is averaged
   * for the saliency (integrated gradients; default 32). 1: plain gradient × input.
   */
  saliencySteps?: number;
  /** Where charts go (gates, cell or hidden state, saliency); none without a store that takes charts. */
  store?: RunStore;
}

export interface TextInspection {
  /** The tokens as the model reads them (words outside its vocabulary as its unknown token). */
  tokens: string[];
  label: string;
  probability: number;
  probabilities: Record<string, number>;
  /**
   * Per token: Σ over the embedding of x · ∂m/∂x (averaged along α·x, see saliencySteps), m the
   * predicted label's logit minus the mean of the others (> 0: the token pushed towards the label),
   * plus, with a bag-of-words path, that path's share of m (linear: its exact attribution).
   */
  saliency: number[];
  /** Units of the first drawn layer and direction, most active first (the hidden state's spread over the tokens). */
  units: number[];
  /** The drawn layers and directions (layer and direction options) and their most active units. */
  drawn: Array<{ layer: number; direction: 'forward' | 'reverse'; units: number[] }>;
  trace: RecurrentTrace;
  /** Files the charts went to. */
  charts: string[];
}

/** Runs a trained recurrent text classifier on `text` and reports what happened inside it. */
export async function inspectText(
  opened: OpenedModel,
  text: string,
  options: InspectTextOptions = {},
): Promise<TextInspection> {
  const rt = textRuntime(opened);
  const model = rt.model;
  if (!(model instanceof TextClassifier)) {
    throw new ValueError(
      `inspectText: "${opened.where ?? 'model'}" is a bag-of-words model, which has no recurrent state to inspect`,
    );
  }
  if (typeof text !== 'string')
    throw new ValueError(`inspectText: text must be a string, got ${typeof text}`);
  const top = options.top ?? 16;
  if (!Number.isInteger(top) || top < 1)
    throw new ValueError(`inspectText: top must be a positive integer, got ${String(top)}`);
  const steps = options.saliencySteps ?? 32;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new ValueError(`inspectText: saliencySteps must be a positive integer, got ${String(steps)}`);
  }
  model.eval();
  const ids = rt.encode(text);
  const T = ids.length;
  const vocab = (opened.config as { vocab?: { tokens?: string[] } }).vocab?.tokens;
  const tokens = Array.from(ids, (id) => vocab?.[id] ?? String(id));
  const embedded = noGrad(() => model.embedding.forward(new Tensor(ids, [1, T])));
  const trace = traceRecurrent(model.rnn, embedded);
  const drawn = drawnDirections(selectDirections('inspectText', trace, options), top);
  const { probabilities, saliency } = saliencyOf(model, ids, embedded, steps);
  const best = probabilities.indexOf(Math.max(...probabilities));
  const inspection = {
    tokens,
    label: rt.labels[best]!,
    probability: probabilities[best]!,
    probabilities: Object.fromEntries(rt.labels.map((l, j) => [l, probabilities[j]!])),
    saliency,
    units: drawn[0]!.units,
    drawn: drawn.map(({ dir, units }) => ({ layer: dir.layer, direction: dir.direction, units })),
    trace,
  };
  const title = `predicted ${inspection.label} (${inspection.probability.toFixed(3)})`;
  const charts = await inspectionCharts(options.store, { labels: tokens, saliency, drawn, title });
  return { ...inspection, charts };
}

/** The model's own forward on the token ids, its embedding's output replaced by `x` (1, T, E). */
function logitsFrom(model: TextClassifier, ids: Int32Array, x: Tensor): Tensor {
  const embedding = model.embedding;
  embedding.forward = () => x;
  try {
    return model.forward(new Tensor(ids, [1, ids.length]), Int32Array.of(ids.length));
  } finally {
    delete (embedding as { forward?: unknown }).forward;
  }
}

/**
 * Class probabilities and, per token, the attribution of the predicted label's logit margin (its
 * logit minus the others' mean: softmax reads only differences) by integrated gradients from the
 * zero embedding, summed over the embedding.
 */
function saliencyOf(
  model: TextClassifier,
  ids: Int32Array,
  embedded: Tensor,
  m: number,
): { probabilities: number[]; saliency: number[] } {
  const probabilities = Array.from(softmaxRows(noGrad(() => logitsFrom(model, ids, embedded))));
  const best = probabilities.indexOf(Math.max(...probabilities));
  const k = probabilities.length;
  const weights = Float32Array.from(probabilities, (_, j) => (j === best ? 1 : -1 / (k - 1)));
  const margin = new Tensor(weights, [1, k]);
  const attributions = integratedGradients(embedded, m, (x) => sum(mul(logitsFrom(model, ids, x), margin)));
  model.zeroGrad();
  const saliency = perStep(attributions, ids.length);
  if (model.bag) addBagShares(saliency, model.bag.weight.f32, ids, weights);
  return { probabilities, saliency };
}

/**
 * The bag-of-words path adds the mean of its rows to the logits, a linear term the embedding's
 * path never sees: token t's share of the margin is its row · margin weights ÷ T, its exact
 * integrated gradient from a zero row.
 */
function addBagShares(saliency: number[], bag: Float32Array, ids: Int32Array, weights: Float32Array): void {
  const k = weights.length;
  ids.forEach((id, t) => {
    let s = 0;
    for (let j = 0; j < k; j++) s += bag[id * k + j]! * weights[j]!;
    saliency[t]! += s / ids.length;
  });
}

export interface GradientFlowReportOptions extends AddingTraining {
  cells?: readonly AddingCell[];
  store?: RunStore;
}

export interface GradientFlowReport {
  T: number;
  flows: AddingFlow[];
  charts: string[];
}

/** Trains each cell on the adding problem, measures its gradient flow and draws norm against distance back. */
export async function gradientFlowReport(
  options: GradientFlowReportOptions = {},
): Promise<GradientFlowReport> {
  const cells = options.cells ?? ADDING_CELLS;
  for (const c of cells) {
    if (!ADDING_CELLS.includes(c))
      throw new ValueError(
        `gradientFlowReport: cells must be out of ${ADDING_CELLS.join(', ')}, got ${String(c)}`,
      );
  }
  const flows = addingGradientFlow(cells, options);
  const T = flows[0]?.input.length ?? 0;
  const store = options.store;
  if (!store?.writeChart) return { T, flows, charts: [] };
  const [spec, { renderSvg }] = await Promise.all([chartSpecs(), render()]);
  const name = (f: AddingFlow) => `${f.cell.toUpperCase()} (MSE ${f.mse.toFixed(3)})`;
  const svg = await renderSvg(
    spec.gradientFlowSpec(
      flows.map((f) => ({ name: name(f), values: f.input })),
      `Adding problem, T = ${T}: gradient of the prediction w.r.t. each input step`,
      '‖∂ŷ/∂x_t‖ (mean over 64 sequences)',
    ),
  );
  return { T, flows, charts: await store.writeChart('gradient-flow', svg) };
}
