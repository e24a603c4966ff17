import { join } from 'node:path';
import { loadModelDir } from '../io/model-dir-node.js';
import { loadWeightsInto } from '../io/model-format.js';
import {
  type BagOfWordsClassifier,
  modelFromConfig,
  SequenceForecaster,
  type TextClassifier,
} from '../nn/heads.js';
import type { LanguageModel } from '../nn/language-model.js';
import { KiokuError } from '../tensor/errors.js';
import { openLanguageModel } from '../train/recipes/language-model-open.js';
import type { OpenedModel } from '../train/recipes/opened.js';

/** Opening the model directories the commands are given. */

/** A model directory that does not hold the kind of model a command needs. */
export class CliError extends KiokuError {
  override name = 'CliError';
}

export interface LoadedHead<M> extends OpenedModel {
  model: M & OpenedModel['model'];
  config: Awaited<ReturnType<typeof loadModelDir>>['config'];
  where: string;
}

/** Loads a model directory and rebuilds its head with the saved weights. */
export async function loadHead(
  dir: string,
): Promise<LoadedHead<TextClassifier | BagOfWordsClassifier | SequenceForecaster>> {
  const loaded = await loadModelDir(dir);
  if (loaded.config.task === 'language-model') {
    throw new CliError(
      `"${dir}" holds a language model; this command needs a text classifier or a forecaster (use kioku generate)`,
    );
  }
  const model = modelFromConfig(loaded.config.architecture);
  loadWeightsInto(model, loaded.tensors, join(dir, 'model.safetensors'));
  model.eval();
  return { model, config: loaded.config, where: dir };
}

export async function loadTextModel(dir: string): Promise<LoadedHead<TextClassifier | BagOfWordsClassifier>> {
  const head = await loadHead(dir);
  if (head.config.task !== 'classification' || head.model instanceof SequenceForecaster) {
    throw new CliError(
      `"${dir}" holds a ${head.config.task} model; this command needs a text classifier (kioku train text)`,
    );
  }
  return { ...head, model: head.model };
}

export async function loadSeriesModel(dir: string): Promise<LoadedHead<SequenceForecaster>> {
  const head = await loadHead(dir);
  if (head.config.task !== 'forecasting' || !(head.model instanceof SequenceForecaster)) {
    throw new CliError(
      `"${dir}" holds a ${head.config.task} model; this command needs a forecaster (kioku train series)`,
    );
  }
  return { ...head, model: head.model };
}

/** The task recorded in a model directory ('classification' or 'forecasting'). */
export async function modelTask(dir: string): Promise<string> {
  return (await loadModelDir(dir)).config.task;
}

/** A model directory's model, whatever it holds: a head or a language model (kioku train lm). */
export async function loadAnyModel(dir: string): Promise<{
  model: TextClassifier | BagOfWordsClassifier | SequenceForecaster | LanguageModel;
  config: LoadedHead<never>['config'];
}> {
  const loaded = await loadModelDir(dir);
  if (loaded.config.task !== 'language-model') return loadHead(dir);
  const config = loaded.config as unknown as Record<string, unknown>;
  return { model: openLanguageModel(config, loaded.tensors, dir).model, config: loaded.config };
}
