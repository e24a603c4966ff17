import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-node.js';
import { loadModelDir, saveModelDir } from '../io/model-dir-node.js';
import { type LoadedModelDir, loadWeightsInto } from '../io/model-format.js';
import {
  type BagOfWordsClassifier,
  modelFromConfig,
  SequenceForecaster,
  type TextClassifier,
} from '../nn/heads.js';
import type { Module } from '../nn/module.js';
import {
  type CurveHistory,
  confusionMatrixSvg,
  type ForecastChart,
  forecastSvg,
  trainingCurvesSvg,
} from '../plot/index.js';
import { svgToPng } from '../plot/png.js';
import { KiokuError } from '../tensor/errors.js';

/** A model directory that does not hold the kind of model a command needs. */
export class CliError extends KiokuError {
  override name = 'CliError';
}

export interface LoadedHead<M extends Module> {
  model: M;
  config: LoadedModelDir['config'];
}

/** Loads a model directory and rebuilds its head with the saved weights. */
export async function loadHead(
  dir: string,
): Promise<LoadedHead<TextClassifier | BagOfWordsClassifier | SequenceForecaster>> {
  const loaded = await loadModelDir(dir);
  const model = modelFromConfig(loaded.config.architecture);
  loadWeightsInto(model, loaded.tensors, join(dir, 'model.safetensors'));
  model.eval();
  return { model, config: loaded.config };
}

export async function loadTextModel(dir: string): Promise<LoadedHead<TextClassifier | BagOfWordsClassifier>> {
  const { model, config } = await loadHead(dir);
  if (config.task !== 'classification' || model instanceof SequenceForecaster) {
    throw new CliError(
      `"${dir}" holds a ${config.task} model; this command needs a text classifier (kioku train text)`,
    );
  }
  return { model, config };
}

export async function loadSeriesModel(dir: string): Promise<LoadedHead<SequenceForecaster>> {
  const { model, config } = await loadHead(dir);
  if (config.task !== 'forecasting' || !(model instanceof SequenceForecaster)) {
    throw new CliError(
      `"${dir}" holds a ${config.task} model; this command needs a forecaster (kioku train series)`,
    );
  }
  return { model, config };
}

/** The task recorded in a model directory ('classification' or 'forecasting'). */
export async function modelTask(dir: string): Promise<string> {
  return (await loadModelDir(dir)).config.task;
}

export async function saveHead(
  dir: string,
  model: TextClassifier | BagOfWordsClassifier | SequenceForecaster,
  config: { task: string; [key: string]: unknown },
): Promise<void> {
  await saveModelDir(dir, {
    config: { ...config, architecture: model.config() },
    stateDict: model.stateDict(),
  });
}

/** Writes `<name>.svg` and `<name>.png` into `dir`; returns the paths. */
export async function writeChart(dir: string, name: string, svg: string): Promise<string[]> {
  const svgPath = join(dir, `${name}.svg`);
  const pngPath = join(dir, `${name}.png`);
  await writeFileAtomic(svgPath, svg);
  await writeFileAtomic(pngPath, svgToPng(svg));
  return [svgPath, pngPath];
}

export async function writeCurves(
  dir: string,
  history: CurveHistory,
  metric: string,
  title: string,
): Promise<string[]> {
  return writeChart(dir, 'training-curves', await trainingCurvesSvg(history, { metric, title }));
}

export async function writeConfusion(
  dir: string,
  matrix: number[][],
  labels: string[],
  title?: string,
): Promise<string[]> {
  return writeChart(dir, 'confusion-matrix', await confusionMatrixSvg(matrix, labels, title));
}

export async function writeForecast(dir: string, name: string, chart: ForecastChart): Promise<string[]> {
  return writeChart(dir, name, await forecastSvg(chart));
}
