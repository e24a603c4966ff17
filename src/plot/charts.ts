import type { TopLevelSpec } from 'vega-lite';
import { ShapeError, ValueError } from '../tensor/errors.js';
import { renderSvg } from './render.js';
import { CHART_CONFIG, VEGA_LITE_SCHEMA } from './style.js';

/** Per-epoch series as a trainer's History holds them: `loss`, `valLoss`, `accuracy`, `valAccuracy`, … */
export type CurveHistory = Readonly<Record<string, readonly number[]>>;

export interface TrainingCurvesOptions {
  /** The metric drawn beside the loss (e.g. 'accuracy' or 'mae'); none when absent from the history. */
  metric?: string;
  title?: string;
}

const valKey = (name: string): string => `val${name[0]!.toUpperCase()}${name.slice(1)}`;

/** Vega-Lite spec of the loss and the main metric per epoch, training vs validation, side by side. */
export function trainingCurvesSpec(history: CurveHistory, options: TrainingCurvesOptions = {}): TopLevelSpec {
  const loss = history.loss;
  if (!loss || loss.length === 0) {
    throw new ValueError('trainingCurves: history.loss must hold at least one epoch, got none');
  }
  const panels = ['loss'];
  if (options.metric) {
    if (!history[options.metric] && !history[valKey(options.metric)]) {
      throw new ValueError(
        `trainingCurves: metric "${options.metric}" is not in the history (keys: ${Object.keys(history).join(', ')})`,
      );
    }
    panels.push(options.metric);
  }
  const values: Array<{ epoch: number; value: number; split: string; panel: string }> = [];
  for (const panel of panels) {
    for (const [key, split] of [
      [panel, 'train'],
      [valKey(panel), 'validation'],
    ] as const) {
      const series = history[key] ?? [];
      series.forEach((v, i) => {
        if (Number.isFinite(v)) values.push({ epoch: i + 1, value: v, split, panel });
      });
    }
  }
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: options.title ?? 'Training curves',
    data: { values },
    facet: { column: { field: 'panel', type: 'nominal', sort: panels, title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 300,
      height: 220,
      mark: { type: 'line', point: true },
      encoding: {
        x: {
          field: 'epoch',
          type: 'quantitative',
          title: 'epoch',
          scale: { zero: false },
          axis: { tickMinStep: 1 },
        },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: {
          field: 'split',
          type: 'nominal',
          title: null,
          scale: { domain: ['train', 'validation'], range: ['#1f77b4', '#ff7f0e'] },
        },
      },
    },
    config: CHART_CONFIG,
  };
}

export function trainingCurvesSvg(
  history: CurveHistory,
  options: TrainingCurvesOptions = {},
): Promise<string> {
  return renderSvg(trainingCurvesSpec(history, options));
}

/** Classes a confusion matrix is drawn for; beyond this the report's list of confusions says more. */
export const CONFUSION_PLOT_MAX_CLASSES = 50;
/** Classes up to which each cell shows its count. */
const COUNTED_CLASSES = 12;

/**
 * Vega-Lite heatmap of a confusion matrix (rows true, columns predicted) with counts in the
 * cells. From 13 classes on the rows are normalised (each cell the share of its actual class),
 * classes are sorted by support, most frequent first, and the cells shrink to fit 50 classes
 * with every label legible.
 */
export function confusionMatrixSpec(
  matrix: readonly (readonly number[])[],
  labels?: readonly string[],
  title = 'Confusion matrix',
): TopLevelSpec {
  const k = matrix.length;
  if (k === 0 || matrix.some((row) => row.length !== k)) {
    throw new ShapeError(
      `confusionMatrix: matrix must be square and non-empty, got ${k} rows of lengths ${matrix.map((r) => r.length).join(', ')}`,
    );
  }
  const names = labels ?? matrix.map((_, i) => String(i));
  if (names.length !== k) {
    throw new ShapeError(`confusionMatrix: labels must name ${k} classes, got ${names.length}`);
  }
  if (k > COUNTED_CLASSES) return normalisedConfusionSpec(matrix, names, title);
  const total = matrix.flat().reduce((s, v) => s + v, 0);
  const values = matrix.flatMap((row, t) =>
    row.map((count, p) => ({
      actual: names[t]!,
      predicted: names[p]!,
      count,
      share: total ? count / total : 0,
    })),
  );
  const size = Math.max(160, Math.min(480, 90 * k));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title,
    width: size,
    height: size,
    data: { values },
    encoding: {
      x: {
        field: 'predicted',
        type: 'nominal',
        sort: [...names],
        title: 'predicted',
        axis: { labelAngle: 0 },
      },
      y: { field: 'actual', type: 'nominal', sort: [...names], title: 'actual' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues' }, title: 'count' },
        },
      },
      {
        mark: { type: 'text', fontSize: 16 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.share > 0.25', value: 'white' }, value: 'black' },
        },
      },
    ],
    config: CHART_CONFIG,
  };
}

/** Many classes: row-normalised rates, classes by support, small cells, labels at an angle. */
function normalisedConfusionSpec(
  matrix: readonly (readonly number[])[],
  names: readonly string[],
  title: string,
): TopLevelSpec {
  const k = matrix.length;
  if (k > CONFUSION_PLOT_MAX_CLASSES) {
    throw new ValueError(
      `confusionMatrix: at most ${CONFUSION_PLOT_MAX_CLASSES} classes can be drawn legibly, got ${k}; list the largest confusions instead`,
    );
  }
  const support = matrix.map((row) => row.reduce((s, v) => s + v, 0));
  const order = names.map((_, i) => i).sort((a, b) => support[b]! - support[a]! || a - b);
  const sorted = order.map((i) => names[i]!);
  const values = matrix.flatMap((row, t) =>
    row.map((count, p) => ({
      actual: names[t]!,
      predicted: names[p]!,
      count,
      rate: support[t] ? count / support[t]! : 0,
    })),
  );
  const size = Math.min(720, 14 * k + 40);
  const axis = { labelFontSize: 10, labelLimit: 120 };
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: `${title} (rows normalised, classes by support)`,
    width: size,
    height: size,
    data: { values },
    mark: 'rect',
    encoding: {
      x: {
        field: 'predicted',
        type: 'nominal',
        sort: sorted,
        title: 'predicted',
        axis: { ...axis, labelAngle: -60 },
      },
      y: { field: 'actual', type: 'nominal', sort: sorted, title: 'actual', axis },
      color: {
        field: 'rate',
        type: 'quantitative',
        scale: { scheme: 'blues', domain: [0, 1] },
        title: 'share of actual',
      },
      tooltip: [
        { field: 'actual' },
        { field: 'predicted' },
        { field: 'count' },
        { field: 'rate', format: '.2f' },
      ],
    },
    config: CHART_CONFIG,
  };
}

export function confusionMatrixSvg(
  matrix: readonly (readonly number[])[],
  labels?: readonly string[],
  title?: string,
): Promise<string> {
  return renderSvg(confusionMatrixSpec(matrix, labels, title));
}

export interface ForecastChart {
  /** x values: ISO dates ('2015-01-31') or step numbers. */
  x: readonly (string | number)[];
  actual: readonly number[];
  /** Named predicted series, the model first (e.g. `{ LSTM: [...], persistence: [...] }`). */
  series: Readonly<Record<string, readonly number[]>>;
  title?: string;
  yTitle?: string;
  /** A prediction interval drawn as a shaded band (NaN where there is none), e.g. after the history. */
  band?: { lower: readonly number[]; upper: readonly number[]; label: string };
}

/** The shaded band layer of a forecast chart, over the same x encoding. */
function bandLayer(chart: ForecastChart, x: unknown): Record<string, unknown> {
  const band = chart.band!;
  const values: Array<{ x: string | number; lower: number; upper: number; band: string }> = [];
  chart.x.forEach((xi, i) => {
    const [lo, hi] = [band.lower[i]!, band.upper[i]!];
    if (Number.isFinite(lo) && Number.isFinite(hi))
      values.push({ x: xi, lower: lo, upper: hi, band: band.label });
  });
  return {
    data: { values },
    mark: { type: 'area', opacity: 0.25, color: '#d62728' },
    encoding: {
      x,
      y: { field: 'lower', type: 'quantitative' },
      y2: { field: 'upper' },
      fill: { field: 'band', type: 'nominal', title: null, scale: { range: ['#d62728'] } },
    },
  };
}

/**
 * Vega-Lite line chart of actual values against one or more forecasts over the same x, with
 * an optional prediction-interval band.
 */
export function forecastSpec(chart: ForecastChart): TopLevelSpec {
  const n = chart.x.length;
  if (n === 0) throw new ValueError('forecast: x must not be empty');
  if (chart.actual.length !== n) {
    throw new ShapeError(`forecast: actual has ${chart.actual.length} values but x has ${n}`);
  }
  for (const [name, s] of Object.entries(chart.series)) {
    if (s.length !== n)
      throw new ShapeError(`forecast: series "${name}" has ${s.length} values but x has ${n}`);
  }
  const temporal = typeof chart.x[0] === 'string';
  const names = ['actual', ...Object.keys(chart.series)];
  const values: Array<{ x: string | number; value: number; series: string }> = [];
  for (const [name, s] of [['actual', chart.actual], ...Object.entries(chart.series)] as const) {
    s.forEach((v, i) => {
      if (Number.isFinite(v)) values.push({ x: chart.x[i]!, value: v, series: name });
    });
  }
  const palette = ['#222222', '#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#8c564b'];
  const x = temporal
    ? { field: 'x', type: 'temporal', title: null, scale: { type: 'utc' }, axis: { format: '%b %d %Y' } }
    : { field: 'x', type: 'quantitative', title: 'step' };
  const lines = {
    data: { values },
    mark: { type: 'line', strokeWidth: 1.4 },
    encoding: {
      x,
      y: { field: 'value', type: 'quantitative', title: chart.yTitle ?? null, scale: { zero: false } },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: names, range: palette.slice(0, names.length) },
      },
      strokeDash: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: names, range: names.map((_, i) => (i < 2 ? [1, 0] : [4, 3])) },
      },
    },
  };
  const head = {
    $schema: VEGA_LITE_SCHEMA,
    title: chart.title ?? 'Forecast vs actual',
    width: 640,
    height: 260,
    config: CHART_CONFIG,
  };
  if (!chart.band) return { ...head, ...lines } as TopLevelSpec;
  for (const [name, s] of Object.entries(chart.band).filter(([k]) => k !== 'label')) {
    if ((s as readonly number[]).length !== n)
      throw new ShapeError(
        `forecast: band ${name} has ${(s as readonly number[]).length} values but x has ${n}`,
      );
  }
  return {
    ...head,
    layer: [bandLayer(chart, x), lines],
    resolve: { scale: { color: 'independent' } },
  } as TopLevelSpec;
}

export function forecastSvg(chart: ForecastChart): Promise<string> {
  return renderSvg(forecastSpec(chart));
}
