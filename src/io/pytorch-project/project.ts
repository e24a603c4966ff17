/**
 * `kioku export --format pytorch-project`: a runnable Python project that trains a kioku model's
 * exact architecture with PyTorch on one process or a torchrun cluster, reading data the way
 * kioku does and writing kioku's model directory.
 *
 *   model.py          the architecture (exportPytorch's generator) and a safetensors reader
 *   data.py           kioku's readers, split, tokenizer, vocabulary, scaler and windows in Python
 *   char_classes.py   the tokenizer's Unicode character classes, as kioku computes them
 *   train.py          DistributedDataParallel training (gloo on CPU, NCCL on GPU)
 *   project.json      the run's settings (data, columns, split, epochs, batch, learning rate, seed)
 *   config.json       the kioku model's config, model.safetensors its weights (train.py --init)
 *   README.md         the commands
 *   <data file>       the data, when kioku read it from a package (spam-assassin, seattle-weather …)
 */
import { type Cell, modelFromConfig, SequenceForecaster, TextClassifier } from '../../nn/heads.js';
import { ValueError } from '../../tensor/errors.js';
import { isJsonObject } from '../json-strict.js';
import { loadWeightsInto, type ModelConfig, parseModelConfig } from '../model-dir.js';
import { pytorchModelSource } from '../pytorch.js';
import { parseSafetensors, toStateDict } from '../safetensors.js';
import { charClassesModule } from './char-classes.js';
import { DATA_PY } from './data-py.js';
import { projectReadme } from './readme.js';
import { TRAIN_PY } from './train-py.js';

/** Data kioku reads from an npm package; a project needs them as a bundled file. */
export const BUILTIN_DATA = ['spam-assassin', 'seattle-weather', 'births'] as const;
const isBuiltin = (data: string) =>
  (BUILTIN_DATA as readonly string[]).includes(data) || data.startsWith('stocks:');

export interface PytorchProjectOptions {
  /** A data file to bundle (a plain file name and its content): the data of a built-in source. */
  dataFile?: { name: string; content: string | Uint8Array };
  /** The data train.py reads by default; default: the bundled file, else the config's `data`. */
  data?: string;
  /** Text and label columns (keys) of a CSV/JSONL file. Default 'text' and 'label'. */
  textColumn?: string;
  labelColumn?: string;
  /** Date column of a series CSV. Default 'date'. */
  dateColumn?: string;
  /** Examples used (kioku's --limit), for the same split. Default: all. */
  limit?: number;
  /** First date of the test split (kioku's --test-from). Default: 2015-01-01 for seattle-weather, else the last 20%. */
  testFrom?: string;
  /** Vocabulary size and minimum count for train.py --build-vocab. Default 20000 and 1. */
  vocabSize?: number;
  minFreq?: number;
  /** Training settings; default: the config's `training` record, else kioku's defaults. */
  epochs?: number;
  batch?: number;
  lr?: number;
  seed?: number;
}

/** What project.json holds: the settings train.py starts from (its flags override them). */
export interface ProjectSettings {
  task: 'classification' | 'forecasting';
  data: string;
  textColumn: string;
  labelColumn: string;
  dateColumn: string;
  limit: number | null;
  testFrom: string | null;
  val: number;
  test: number;
  vocabSize: number;
  minFreq: number;
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
}

const describe = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : v === null ? 'null' : typeof v);

function checkOptions(o: PytorchProjectOptions): void {
  const where = 'exportPytorchProject: options';
  if (!isJsonObject(o)) throw new ValueError(`${where} must be an object, got ${describe(o)}`);
  for (const k of ['data', 'textColumn', 'labelColumn', 'dateColumn', 'testFrom'] as const) {
    if (o[k] !== undefined && (typeof o[k] !== 'string' || o[k] === '')) {
      throw new ValueError(`${where}.${k} must be a non-empty string, got ${describe(o[k])}`);
    }
  }
  for (const k of ['limit', 'vocabSize', 'minFreq', 'epochs', 'batch', 'seed'] as const) {
    const v: unknown = o[k];
    if (
      v !== undefined &&
      (typeof v !== 'number' || !Number.isSafeInteger(v) || v < (k === 'seed' ? 0 : 1))
    ) {
      throw new ValueError(
        `${where}.${k} must be a ${k === 'seed' ? 'non-negative' : 'positive'} integer, got ${v}`,
      );
    }
  }
  if (o.lr !== undefined && !(typeof o.lr === 'number' && o.lr > 0 && Number.isFinite(o.lr))) {
    throw new ValueError(`${where}.lr must be a positive number, got ${o.lr}`);
  }
  const f = o.dataFile;
  if (f !== undefined) {
    const ok =
      isJsonObject(f) && typeof f.name === 'string' && /^[\w.-]+$/.test(f.name) && !f.name.startsWith('.');
    if (!ok || !(typeof f.content === 'string' || f.content instanceof Uint8Array)) {
      throw new ValueError(`${where}.dataFile must be {name: a plain file name, content: string or bytes}`);
    }
  }
}

/** The kioku model of the directory files, with its weights checked against the architecture. */
function loadModel(files: Record<string, Uint8Array | string>): {
  model: TextClassifier | SequenceForecaster;
  config: ModelConfig;
} {
  if (!isJsonObject(files))
    throw new ValueError(`exportPytorchProject: files must be an object of file contents`);
  const bytes = (name: string) => {
    const f = files[name];
    if (typeof f === 'string') return new TextEncoder().encode(f);
    if (f instanceof Uint8Array) return f;
    throw new ValueError(
      `exportPytorchProject: files must hold "${name}" of the model directory, got ${describe(f)}`,
    );
  };
  const config = parseModelConfig(bytes('config.json'), 'config.json');
  const model = modelFromConfig(config.architecture);
  if (!(model instanceof TextClassifier || model instanceof SequenceForecaster)) {
    throw new ValueError(
      `exportPytorchProject: a ${config.architecture.type} cannot be exported; recurrent models only`,
    );
  }
  loadWeightsInto(
    model,
    toStateDict(parseSafetensors(bytes('model.safetensors'), { source: 'model.safetensors' })),
  );
  return { model, config };
}

/** The config fields data.py needs, checked so train.py never meets a half-written config. */
function checkTaskConfig(config: ModelConfig, model: TextClassifier | SequenceForecaster): void {
  const c = config as Record<string, unknown>;
  const fail = (what: string) => new ValueError(`exportPytorchProject: config.json ${what}`);
  if (model instanceof TextClassifier) {
    const tokenizer = c.tokenizer as { type?: unknown } | undefined;
    if (!isJsonObject(c.vocab) || !Array.isArray(c.labels) || !Number.isInteger(c.maxLen)) {
      throw fail('lacks the vocab, labels or maxLen of a text classifier');
    }
    if (!isJsonObject(tokenizer) || tokenizer.type !== 'word') {
      throw fail(
        `uses the tokenizer ${describe(tokenizer?.type)}; the project reproduces kioku's word tokenizer only`,
      );
    }
  } else if (!isJsonObject(c.series) || !isJsonObject(c.scaler)) {
    throw fail('lacks the series settings or scaler of a forecaster');
  }
}

function settingsFor(
  config: ModelConfig,
  model: TextClassifier | SequenceForecaster,
  o: PytorchProjectOptions,
): ProjectSettings {
  const training = (isJsonObject(config.training) ? config.training : {}) as Record<string, unknown>;
  const num = (v: unknown, fallback: number) => (typeof v === 'number' ? v : fallback);
  const source = typeof config.data === 'string' ? config.data : '';
  const data = o.dataFile?.name ?? o.data ?? source;
  if (data === '' || (isBuiltin(data) && o.dataFile === undefined)) {
    throw new ValueError(
      `exportPytorchProject: the model was trained on ${data ? `the built-in "${data}"` : 'unrecorded data'}; pass options.dataFile (writePytorchProject bundles built-in data) or options.data`,
    );
  }
  const text = model instanceof TextClassifier;
  return {
    task: text ? 'classification' : 'forecasting',
    data,
    textColumn: o.textColumn ?? 'text',
    labelColumn: o.labelColumn ?? 'label',
    dateColumn: o.dateColumn ?? 'date',
    limit: o.limit ?? null,
    testFrom: o.testFrom ?? (source === 'seattle-weather' ? '2015-01-01' : null),
    val: 0.1,
    test: 0.1,
    vocabSize: o.vocabSize ?? 20000,
    minFreq: o.minFreq ?? 1,
    epochs: o.epochs ?? num(training.epochs, text ? 5 : 20),
    batch: o.batch ?? num(training.batch, 32),
    lr: o.lr ?? num(training.lr, 3e-3),
    seed: o.seed ?? num(training.seed, 0),
  };
}

/**
 * The files of a runnable PyTorch project for a saved kioku text classifier or forecaster,
 * given its model directory's files (at least config.json and model.safetensors): name →
 * content, ready for `writeDirAtomic(outDir, files)`. Throws ValueError for another kind of
 * model, a config without the vocabulary/tokenizer or scaler/series it needs, built-in data
 * without `dataFile`, or bad options.
 */
export function exportPytorchProject(
  files: Record<string, Uint8Array | string>,
  options: PytorchProjectOptions = {},
): Record<string, Uint8Array | string> {
  checkOptions(options);
  const { model, config } = loadModel(files);
  checkTaskConfig(config, model);
  const settings = settingsFor(config, model, options);
  const out: Record<string, Uint8Array | string> = {
    'README.md': projectReadme(settings, config, model.settings.cell as Cell),
    'model.py': pytorchModelSource(model),
    'data.py': DATA_PY,
    'char_classes.py': charClassesModule(),
    'train.py': TRAIN_PY,
    'project.json': `${JSON.stringify(settings, null, 2)}\n`,
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
