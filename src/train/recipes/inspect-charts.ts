import type { Tensor } from '../../tensor/tensor.js';
import type { HeatmapPanel } from '../inspect/charts.js';
import type { DirectionTrace } from '../inspect/trace.js';
import type { RunStore } from './store.js';

/** The charts of `kioku inspect`, drawn only when the store takes charts (Vega-Lite loads lazily). */

const specs = () => import('../inspect/charts.js');
const render = () => import('../../plot/render.js');

/** Unit indices by the spread (standard deviation) of their (K, 1, H) values over the steps, largest first. */
export function mostActive(values: Tensor, top: number): number[] {
  const [K, , H] = values.shape as [number, number, number];
  const spread = Array.from({ length: H }, (_, u) => {
    let s = 0;
    let s2 = 0;
    for (let k = 0; k < K; k++) {
      const v = values.f32[k * H + u]!;
      s += v;
      s2 += v * v;
    }
    return Math.sqrt(Math.max(0, s2 / K - (s / K) ** 2));
  });
  return spread
    .map((v, u) => [v, u] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, top)
    .map(([, u]) => u);
}

/** values[t][k] of unit units[k] of a (K, 1, W) tensor. */
function columns(t: Tensor, units: readonly number[]): number[][] {
  const [K, , W] = t.shape as [number, number, number];
  return Array.from({ length: K }, (_, k) => units.map((u) => t.f32[k * W + u]!));
}

/** σ gates lie in [0, 1], tanh ones in [−1, 1]: fixed colour scales make panels comparable. */
const GATE_DOMAIN: Record<string, [number, number]> = {
  i: [0, 1],
  f: [0, 1],
  o: [0, 1],
  r: [0, 1],
  z: [0, 1],
  g: [-1, 1],
  n: [-1, 1],
};

export interface InspectionChartData {
  /** One label per step (tokens, dates). */
  labels: string[];
  units: number[];
  saliency: number[];
  /** The layer and direction drawn. */
  dir: DirectionTrace;
  /** What was predicted, for the titles. */
  title: string;
}

/** gates (a heatmap per gate), state (the cell or hidden state of the top units) and saliency. */
export async function inspectionCharts(
  store: RunStore | undefined,
  d: InspectionChartData,
): Promise<string[]> {
  if (!store?.writeChart) return [];
  const [spec, { renderSvg }] = await Promise.all([specs(), render()]);
  const { dir, units, labels } = d;
  const panels: HeatmapPanel[] = Object.entries(dir.gates).map(([name, t]) => ({
    name,
    values: columns(t!, units),
    ...(GATE_DOMAIN[name] ? { domain: GATE_DOMAIN[name] } : {}),
  }));
  const layer = `layer ${dir.layer}`;
  const state = dir.cell ?? dir.hidden;
  const few = units.slice(0, 8);
  const svgs = await Promise.all([
    renderSvg(spec.gateHeatmapSpec(labels, units, panels, `Gate activations, ${layer}: ${d.title}`)),
    renderSvg(
      spec.stateLinesSpec(
        labels,
        few,
        columns(state, few),
        `${dir.cell ? 'cell state c' : 'hidden state h'}, ${layer}, most active units`,
      ),
    ),
    renderSvg(spec.saliencySpec(labels, d.saliency, `What moved the prediction: ${d.title}`)),
  ]);
  const names = ['gates', 'state', 'saliency'];
  const written = await Promise.all(svgs.map((svg, k) => store.writeChart!(names[k]!, svg)));
  return written.flat();
}
