/**
 * `kioku export --format pytorch-project`: a runnable Python project that trains a kioku model's
 * exact architecture with PyTorch on one process or a torchrun cluster, reading data the way
 * kioku does and writing kioku's model directory.
 *
 *   model.py          the architecture (exportPytorch's generator) and a safetensors reader; for a
 *                     forecaster also its encoding and `Forecaster` (as `--format pytorch` writes it)
 *   data.py           kioku's data pipeline in Python: for texts the readers, split, tokenizer and
 *                     vocabulary; for series the CSV reading, split, transform, scaling, calendar
 *                     and windows
 *   char_classes.py   the tokenizer's Unicode character classes, as kioku computes them (texts)
 *   train.py          DistributedDataParallel training (gloo on CPU, NCCL on GPU)
 *   project.json      the run's settings (data, columns, split, epochs, batch, learning rate, seed)
 *   config.json       the kioku model's config, model.safetensors its weights (train.py --init)
 *   README.md         the commands
 *   <data file>       the data, when kioku read it from a package (spam-assassin, a built-in series)
 */
import { type Cell, modelFromConfig, SequenceForecaster, TextClassifier } from '../../nn/heads.js';
import { ValueError } from '../../tensor/errors.js';
import { isJsonObject } from '../json-strict.js';
import { CONFIG_FILE, type ModelConfig, WEIGHTS_FILE } from '../model-config.js';
import { loadWeightsInto, modelFromFiles } from '../model-format.js';
import { pytorchModelSource } from '../pytorch.js';
import { charClassesModule } from './char-classes.js';
import { DATA_PY } from './data-py.js';
import { projectReadme, seriesProjectReadme } from './readme.js';
import { SERIES_DATA_PY } from './series-data-py.js';
import { checkOptions, type PytorchProjectOptions, seriesSettingsFor, settingsFor } from './settings.js';
import { TRAIN_PY } from './train-py.js';

const describe = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : v === null ? 'null' : typeof v);

/** The kioku model of the directory files, checked as loading a model directory checks it. */
function loadModel(files: Record<string, Uint8Array | string>): {
  model: TextClassifier | SequenceForecaster;
  config: ModelConfig;
} {
  if (!isJsonObject(files))
    throw new ValueError(`exportPytorchProject: files must be an object of file contents`);
  const bytes: Record<string, Uint8Array> = {};
  for (const name of [CONFIG_FILE, WEIGHTS_FILE]) {
    const f = files[name];
    if (typeof f === 'string') bytes[name] = new TextEncoder().encode(f);
    else if (f instanceof Uint8Array) bytes[name] = f;
    else {
      throw new ValueError(
        `exportPytorchProject: files must hold "${name}" of the model directory, got ${describe(f)}`,
      );
    }
  }
  const loaded = modelFromFiles(bytes, { caller: 'exportPytorchProject', source: 'model' });
  const model = modelFromConfig(loaded.config.architecture);
  if (!(model instanceof TextClassifier || model instanceof SequenceForecaster)) {
    throw new ValueError(
      `exportPytorchProject: a ${loaded.config.architecture.type} cannot be exported; recurrent models only`,
    );
  }
  loadWeightsInto(model, loaded.tensors, `model/${WEIGHTS_FILE}`);
  return { model, config: loaded.config };
}

/** The config fields data.py needs, checked so train.py never meets a half-written config. */
function checkTextConfig(config: ModelConfig): void {
  const c = config as Record<string, unknown>;
  const fail = (what: string) => new ValueError(`exportPytorchProject: config.json ${what}`);
  const tokenizer = c.tokenizer as { type?: unknown } | undefined;
  if (!isJsonObject(c.vocab) || !Array.isArray(c.labels) || !Number.isInteger(c.maxLen)) {
    throw fail('lacks the vocab, labels or maxLen of a text classifier');
  }
  if (!isJsonObject(tokenizer) || tokenizer.type !== 'word') {
    throw fail(
      `uses the tokenizer ${describe(tokenizer?.type)}; the project reproduces kioku's word tokenizer only`,
    );
  }
}

/** The series settings train.py reads, checked so it never meets a half-written config. */
function checkSeriesConfig(config: ModelConfig): void {
  const s = config.series as Record<string, unknown> | undefined;
  const ok =
    isJsonObject(s) &&
    typeof s.target === 'string' &&
    Array.isArray(s.covariates) &&
    Array.isArray(s.members) &&
    isJsonObject(s.split) &&
    isJsonObject(s.transform) &&
    Number.isInteger(s.lookback);
  if (!ok) {
    throw new ValueError(
      'exportPytorchProject: config.json lacks the series settings of a forecaster (target, covariates, split, transform, lookback, members); retrain it with kioku train series',
    );
  }
}

/** The project files that differ by kind: README, model.py, data.py, project.json. */
function kindFiles(
  model: TextClassifier | SequenceForecaster,
  config: ModelConfig,
  options: PytorchProjectOptions,
): Record<string, string> {
  if (model instanceof SequenceForecaster) {
    checkSeriesConfig(config);
    const settings = seriesSettingsFor(config, options);
    return {
      'README.md': seriesProjectReadme(settings, config, model.settings.cell),
      'model.py': pytorchModelSource(model, { series: config.series }),
      'data.py': SERIES_DATA_PY,
      'project.json': `${JSON.stringify(settings, null, 2)}\n`,
    };
  }
  checkTextConfig(config);
  const settings = settingsFor(config, options);
  return {
    'README.md': projectReadme(settings, config, model.settings.cell as Cell),
    'model.py': pytorchModelSource(model),
    'data.py': DATA_PY,
    'char_classes.py': charClassesModule(),
    'project.json': `${JSON.stringify(settings, null, 2)}\n`,
  };
}

/**
 * The files of a runnable PyTorch project for a saved kioku text classifier or forecaster, given its model
 * directory's files (at least config.json and model.safetensors): name → content, ready for
 * `writeDirAtomic(outDir, files)`. Throws ValueError for another kind of model, a config without
 * the vocabulary and tokenizer (or series settings) it needs, built-in data without `dataFile`,
 * or bad options.
 */
export function exportPytorchProject(
  files: Record<string, Uint8Array | string>,
  options: PytorchProjectOptions = {},
): Record<string, Uint8Array | string> {
  checkOptions(options);
  const { model, config } = loadModel(files);
  const out: Record<string, Uint8Array | string> = {
    ...kindFiles(model, config, options),
    'train.py': TRAIN_PY,
    'config.json': files['config.json']!,
    'model.safetensors': files['model.safetensors']!,
  };
  if (options.dataFile) {
    if (Object.hasOwn(out, options.dataFile.name)) {
      throw new ValueError(
        `exportPytorchProject: options.dataFile.name "${options.dataFile.name}" is a file of the project`,
      );
    }
    out[options.dataFile.name] = options.dataFile.content;
  }
  return out;
}
