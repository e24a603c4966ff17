import type { TopLevelSpec } from 'vega-lite';
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

/** A layer and direction to draw, with its most active units. */
export interface DrawnDirection {
  dir: DirectionTrace;
  /** Unit indices, most active first (see mostActive). */
  units: number[];
}

/** Each chosen layer and direction with its `top` most active units (by its hidden state's spread). */
export function drawnDirections(dirs: readonly DirectionTrace[], top: number): DrawnDirection[] {
  return dirs.map((dir) => ({ dir, units: mostActive(dir.hidden, top) }));
}

export interface InspectionChartData {
  /** One label per step (tokens, dates). */
  labels: string[];
  saliency: number[];
  /** The layers and directions drawn: one chart file each for gates and state. */
  drawn: DrawnDirection[];
  /** What was predicted, for the titles. */
  title: string;
}

type Specs = typeof import('../inspect/charts.js');

/** The gate heatmaps and state lines of one layer and direction, as SVG. */
async function directionSvgs(
  spec: Specs,
  renderSvg: (s: TopLevelSpec) => Promise<string>,
  { dir, units }: DrawnDirection,
  labels: string[],
  title: string,
): Promise<string[]> {
  const panels: HeatmapPanel[] = Object.entries(dir.gates).map(([name, t]) => ({
    name,
    values: columns(t!, units),
    ...(GATE_DOMAIN[name] ? { domain: GATE_DOMAIN[name] } : {}),
  }));
  const where = `layer ${dir.layer}${dir.direction === 'reverse' ? ', reverse' : ''}`;
  const state = dir.cell ?? dir.hidden;
  const few = units.slice(0, 8);
  const stateName = dir.cell ? 'cell state c' : 'hidden state h';
  return Promise.all([
    renderSvg(spec.gateHeatmapSpec(labels, units, panels, `Gate activations, ${where}: ${title}`)),
    renderSvg(
      spec.stateLinesSpec(labels, few, columns(state, few), `${stateName}, ${where}, most active units`),
    ),
  ]);
}

/**
 * gates (a heatmap per gate) and state (the cell or hidden state of the top units) per drawn layer
 * and direction, and saliency. One drawn direction writes gates and state; several write
 * gates-layer0-forward, state-layer0-forward, … .
 */
export async function inspectionCharts(
  store: RunStore | undefined,
  d: InspectionChartData,
): Promise<string[]> {
  if (!store?.writeChart) return [];
  const [spec, { renderSvg }] = await Promise.all([specs(), render()]);
  const charts: Array<[string, string]> = [];
  for (const drawn of d.drawn) {
    const [gates, state] = await directionSvgs(spec, renderSvg, drawn, d.labels, d.title);
    const suffix = d.drawn.length === 1 ? '' : `-layer${drawn.dir.layer}-${drawn.dir.direction}`;
    charts.push([`gates${suffix}`, gates!], [`state${suffix}`, state!]);
  }
  charts.push([
    'saliency',
    await renderSvg(spec.saliencySpec(d.labels, d.saliency, `What moved the prediction: ${d.title}`)),
  ]);
  const written = await Promise.all(charts.map(([name, svg]) => store.writeChart!(name, svg)));
  return written.flat();
}
