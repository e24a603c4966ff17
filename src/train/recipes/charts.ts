import type { ForecastChart } from '../../plot/charts.js';
import type { History } from '../fit-types.js';
import type { RunStore } from './store.js';

/**
 * The charts a recipe keeps, drawn only when its store takes charts. The chart code (Vega-Lite)
 * is loaded on first use, so a bundle that trains without charts can leave it out.
 */

const plot = () => import('../../plot/charts.js');

export async function curvesChart(
  store: RunStore | undefined,
  history: History,
  metric: string,
  title: string,
): Promise<string[]> {
  if (!store?.writeChart) return [];
  const { trainingCurvesSvg } = await plot();
  return store.writeChart('training-curves', await trainingCurvesSvg(history, { metric, title }));
}

/** The test confusion matrix; none beyond 50 classes, where the report lists the largest confusions. */
export async function confusionChart(
  store: RunStore | undefined,
  matrix: number[][],
  labels: string[],
  title: string,
): Promise<string[]> {
  if (!store?.writeChart) return [];
  const { confusionMatrixSvg, CONFUSION_PLOT_MAX_CLASSES } = await plot();
  if (labels.length > CONFUSION_PLOT_MAX_CLASSES) return [];
  return store.writeChart('confusion-matrix', await confusionMatrixSvg(matrix, labels, title));
}

export async function forecastChart(
  store: RunStore | undefined,
  name: string,
  chart: ForecastChart,
): Promise<string[]> {
  if (!store?.writeChart) return [];
  const { forecastSvg } = await plot();
  return store.writeChart(name, await forecastSvg(chart));
}

/** history.json: every model's per-epoch history. */
export async function historyFile(
  store: RunStore | undefined,
  histories: Record<string, History>,
): Promise<string | null> {
  if (!store) return null;
  return store.writeFile('history.json', `${JSON.stringify(histories, null, 2)}\n`);
}
