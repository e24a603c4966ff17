import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, VEGA_LITE_SCHEMA } from '../../plot/style.js';

/*
 * Vega-Lite specs of what inspection measures: gate heatmaps over the tokens, the state's
 * evolution, per-token saliency, and gradient norm against distance back in time. Rendering
 * (plot/render.ts) is the caller's, loaded lazily like every chart of kioku.
 */

/** A step label that stays unique when a token repeats: "3 free". */
export const stepLabel = (tokens: readonly string[], t: number): string => `${t} ${tokens[t]}`;

/** The x axis of a chart along the tokens: one column per step label, in order, slanted. */
const stepAxis = (labels: readonly string[]) =>
  ({ field: 'step', type: 'ordinal', sort: labels, title: null, axis: { labelAngle: -60 } }) as const;

export interface HeatmapPanel {
  /** The panel's name (a gate, 'cell', 'hidden'). */
  name: string;
  /** values[t][u]: panel value at step t for the u-th listed unit. */
  values: number[][];
  /** The colour scale's range (σ gates [0, 1], tanh ones [−1, 1]); default: the values' range. */
  domain?: [number, number];
}

/** One heatmap row per unit, one column per token, one panel per gate (stacked, each its own scale). */
export function gateHeatmapSpec(
  tokens: readonly string[],
  units: readonly number[],
  panels: readonly HeatmapPanel[],
  title: string,
): TopLevelSpec {
  const labels = tokens.map((_, t) => stepLabel(tokens, t));
  const unitNames = units.map((u) => `unit ${u}`);
  return {
    $schema: VEGA_LITE_SCHEMA,
    title,
    vconcat: panels.map((p) => ({
      title: { text: p.name, anchor: 'start', fontSize: 12 },
      width: Math.max(240, 14 * tokens.length),
      height: Math.max(80, 10 * units.length),
      data: {
        values: p.values.flatMap((row, t) =>
          units.map((_, k) => ({ step: labels[t], unit: unitNames[k], value: row[k] })),
        ),
      },
      mark: 'rect',
      encoding: {
        x: stepAxis(labels),
        y: { field: 'unit', type: 'ordinal', sort: unitNames, title: null },
        color: {
          field: 'value',
          type: 'quantitative',
          scale: { scheme: 'viridis', ...(p.domain ? { domain: p.domain } : {}) },
          title: null,
        },
      },
    })),
    resolve: { scale: { color: 'independent' } },
    config: CHART_CONFIG,
  };
}

/** The state of each listed unit along the tokens, one line per unit. */
export function stateLinesSpec(
  tokens: readonly string[],
  units: readonly number[],
  values: number[][],
  title: string,
): TopLevelSpec {
  const labels = tokens.map((_, t) => stepLabel(tokens, t));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title,
    width: Math.max(300, 14 * tokens.length),
    height: 240,
    data: {
      values: values.flatMap((row, t) =>
        units.map((u, k) => ({ step: labels[t], unit: `unit ${u}`, value: row[k] })),
      ),
    },
    mark: { type: 'line', point: true },
    encoding: {
      x: stepAxis(labels),
      y: { field: 'value', type: 'quantitative', title: null },
      color: { field: 'unit', type: 'nominal', title: null },
    },
    config: CHART_CONFIG,
  };
}

/** Gradient × input per token: which tokens moved the prediction, and which way. */
export function saliencySpec(
  tokens: readonly string[],
  saliency: readonly number[],
  title: string,
): TopLevelSpec {
  const labels = tokens.map((_, t) => stepLabel(tokens, t));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title,
    width: Math.max(300, 14 * tokens.length),
    height: 200,
    data: {
      values: saliency.map((v, t) => ({ step: labels[t], value: v, sign: v >= 0 ? 'for' : 'against' })),
    },
    mark: 'bar',
    encoding: {
      x: stepAxis(labels),
      y: { field: 'value', type: 'quantitative', title: 'integrated gradient × input' },
      color: {
        field: 'sign',
        type: 'nominal',
        title: 'the predicted label',
        scale: { domain: ['for', 'against'], range: ['#d62728', '#1f77b4'] },
      },
    },
    config: CHART_CONFIG,
  };
}

export interface FlowSeries {
  name: string;
  /** values[k]: the norm at distance k back in time. */
  values: ArrayLike<number>;
}

/** Gradient norm against distance back in time, log scale, one line per series. */
export function gradientFlowSpec(series: readonly FlowSeries[], title: string, yTitle: string): TopLevelSpec {
  const values = series.flatMap((s) =>
    Array.from(s.values, (v, k) => ({ distance: k, norm: Math.max(v, 1e-30), series: s.name })),
  );
  return {
    $schema: VEGA_LITE_SCHEMA,
    title,
    width: 420,
    height: 280,
    data: { values },
    mark: 'line',
    encoding: {
      x: { field: 'distance', type: 'quantitative', title: 'steps back in time' },
      y: { field: 'norm', type: 'quantitative', scale: { type: 'log' }, title: yTitle },
      color: { field: 'series', type: 'nominal', title: null },
    },
    config: CHART_CONFIG,
  };
}
