import {
  loadWeightsInto,
  type ModelFiles,
  type ModelFromFilesOptions,
  modelFromFiles,
} from '../io/model-format.js';
import { modelFromConfig } from '../nn/heads.js';
import type { OpenedModel } from '../train/recipes/opened.js';

/**
 * A model directory's files opened for use: checked as `modelFromFiles` checks them (the same
 * checks as loading from disk), its head rebuilt from config.json and its weights loaded, in
 * evaluation mode. What `predictText`, `forecastSeries` and the evaluations take.
 */
export function openModel(files: ModelFiles, options: ModelFromFilesOptions = {}): Required<OpenedModel> {
  const loaded = modelFromFiles(files, { caller: 'openModel', ...options });
  const model = modelFromConfig(loaded.config.architecture);
  const where = options.source ?? 'model';
  loadWeightsInto(
    model,
    loaded.tensors,
    options.pathOf?.('model.safetensors') ?? `${where}/model.safetensors`,
  );
  model.eval();
  return { model, config: loaded.config, where };
}
