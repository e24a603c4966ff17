import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ModelDirError } from '../io/model-config.js';
import { loadModelDir } from '../io/model-dir-node.js';
import type { LoadedModelDir } from '../io/model-format.js';
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
  config: LoadedModelDir['config'];
  where: string;
}

/**
 * Loads the model directory a command's --model names. Its problems read as the CLI's: the
 * flag, the path and what to pass instead, never the library function that found them; a
 * training run's --out, which holds the model in model/, is pointed to.
 */
export async function openModelDir(dir: string): Promise<LoadedModelDir> {
  try {
    return await loadModelDir(dir);
  } catch (e) {
    // Problems with a file inside the directory name that file already.
    if (!(e instanceof ModelDirError) || !e.message.startsWith('loadModelDir: ')) throw e;
    const what = e.message.slice('loadModelDir: '.length);
    const inner = join(dir, 'model');
    const advice = existsSync(join(inner, 'config.json'))
      ? `it looks like a training run's --out; pass --model ${inner}`
      : 'pass the model directory kioku train wrote (the model/ folder of its --out, holding config.json and model.safetensors)';
    throw new CliError(`--model: ${what}; ${advice}`, { cause: e });
  }
}

/** Loads a model directory and rebuilds its head with the saved weights. */
export async function loadHead(
  dir: string,
): Promise<LoadedHead<TextClassifier | BagOfWordsClassifier | SequenceForecaster>> {
  const loaded = await openModelDir(dir);
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
  return (await openModelDir(dir)).config.task;
}

/** A model directory's model, whatever it holds: a head or a language model (kioku train lm). */
export async function loadAnyModel(dir: string): Promise<{
  model: TextClassifier | BagOfWordsClassifier | SequenceForecaster | LanguageModel;
  config: LoadedHead<never>['config'];
}> {
  const loaded = await openModelDir(dir);
  if (loaded.config.task !== 'language-model') return loadHead(dir);
  const config = loaded.config as unknown as Record<string, unknown>;
  return { model: openLanguageModel(config, loaded.tensors, dir).model, config: loaded.config };
}
