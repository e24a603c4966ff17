/** The options of a project export, checked, and the settings (project.json) derived from them. */
import { ValueError } from '../../tensor/errors.js';
import { isJsonObject } from '../json-strict.js';
import type { ModelConfig } from '../model-config.js';

/** Data kioku reads from an npm package; a project needs them as a bundled file. */
export const BUILTIN_DATA = ['spam-assassin', 'seattle-weather', 'births', 'sp500', 'stocks'] as const;
const isBuiltin = (data: string) =>
  (BUILTIN_DATA as readonly string[]).includes(data) || data.startsWith('stocks:');

/** kioku train series' defaults (FORECASTER_DEFAULTS) for what a forecaster's config does not record. */
const SERIES_DEFAULTS = { epochs: 50, patience: 8, lrSchedule: 'plateau' } as const;
export type LrSchedule = 'plateau' | 'cosine' | 'constant';

export interface PytorchProjectOptions {
  /** A data file to bundle (a plain file name and its content): the data of a built-in source. */
  dataFile?: { name: string; content: string | Uint8Array };
  /** The data train.py reads by default; default: the bundled file, else the config's `data`. */
  data?: string;
  /** Text and label columns (keys) of a CSV/JSONL file. Default 'text' and 'label'. */
  textColumn?: string;
  labelColumn?: string;
  /** Examples used (kioku's --limit), for the same split. Default: all. */
  limit?: number;
  /** Vocabulary size and minimum count for train.py --build-vocab. Default 20000 and 1. */
  vocabSize?: number;
  minFreq?: number;
  /** Training settings; default: the config's `training` record, else kioku's defaults. */
  epochs?: number;
  batch?: number;
  lr?: number;
  seed?: number;
  /** Adam's L2 weight decay and the loss's label smoothing; default: the config's `training`, else 0. */
  weightDecay?: number;
  labelSmoothing?: number;
  /** Forecasters: early stopping's patience and the learning-rate schedule. Default kioku's: 8 and 'plateau'. */
  patience?: number;
  lrSchedule?: LrSchedule;
}

/** What project.json holds: the settings train.py starts from (its flags override them). */
export interface ProjectSettings {
  task: 'classification';
  data: string;
  textColumn: string;
  labelColumn: string;
  limit: number | null;
  val: number;
  test: number;
  vocabSize: number;
  minFreq: number;
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
  weightDecay: number;
  labelSmoothing: number;
}

/** project.json of a forecaster: the data and training settings (the encoding is config.json's series). */
export interface SeriesProjectSettings {
  task: 'forecasting';
  data: string;
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
  weightDecay: number;
  patience: number;
  lrSchedule: LrSchedule;
}

const describe = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : v === null ? 'null' : typeof v);

export function checkOptions(o: PytorchProjectOptions): void {
  const where = 'exportPytorchProject: options';
  if (!isJsonObject(o)) throw new ValueError(`${where} must be an object, got ${describe(o)}`);
  for (const k of ['data', 'textColumn', 'labelColumn'] as const) {
    if (o[k] !== undefined && (typeof o[k] !== 'string' || o[k] === '')) {
      throw new ValueError(`${where}.${k} must be a non-empty string, got ${describe(o[k])}`);
    }
  }
  for (const k of ['limit', 'vocabSize', 'minFreq', 'epochs', 'batch', 'seed', 'patience'] as const) {
    const v: unknown = o[k];
    const least = k === 'seed' || k === 'patience' ? 0 : 1;
    if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < least)) {
      throw new ValueError(
        `${where}.${k} must be a ${least === 0 ? 'non-negative' : 'positive'} integer, got ${v}`,
      );
    }
  }
  const schedules: unknown[] = ['plateau', 'cosine', 'constant'];
  if (o.lrSchedule !== undefined && !schedules.includes(o.lrSchedule)) {
    throw new ValueError(
      `${where}.lrSchedule must be one of ${schedules.join(', ')}, got ${describe(o.lrSchedule)}`,
    );
  }
  if (o.lr !== undefined && !(typeof o.lr === 'number' && o.lr > 0 && Number.isFinite(o.lr))) {
    throw new ValueError(`${where}.lr must be a positive number, got ${o.lr}`);
  }
  if (
    o.weightDecay !== undefined &&
    !(typeof o.weightDecay === 'number' && o.weightDecay >= 0 && Number.isFinite(o.weightDecay))
  ) {
    throw new ValueError(`${where}.weightDecay must be a number ≥ 0, got ${o.weightDecay}`);
  }
  const ls = o.labelSmoothing;
  if (ls !== undefined && !(typeof ls === 'number' && ls >= 0 && ls < 1)) {
    throw new ValueError(`${where}.labelSmoothing must be a number in [0, 1), got ${ls}`);
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

/** project.json for a model: its task, where the data is, kioku's split and training settings. */
export function settingsFor(config: ModelConfig, o: PytorchProjectOptions): ProjectSettings {
  const training = (isJsonObject(config.training) ? config.training : {}) as Record<string, unknown>;
  const num = (v: unknown, fallback: number) => (typeof v === 'number' ? v : fallback);
  // The file columns the model was trained from (config.json's dataColumns), unless overridden.
  const recorded = isJsonObject(config.dataColumns) ? config.dataColumns : {};
  const column = (k: 'text' | 'label') =>
    typeof recorded[k] === 'string' ? (recorded[k] as string) : undefined;
  const data = dataOf(config, o);
  for (const k of ['patience', 'lrSchedule'] as const) {
    if (o[k] !== undefined)
      throw new ValueError(`exportPytorchProject: options.${k} applies to forecasters, not text classifiers`);
  }
  return {
    task: 'classification',
    data,
    textColumn: o.textColumn ?? column('text') ?? 'text',
    labelColumn: o.labelColumn ?? column('label') ?? 'label',
    limit: o.limit ?? null,
    val: 0.1,
    test: 0.1,
    vocabSize: o.vocabSize ?? 20000,
    minFreq: o.minFreq ?? 1,
    epochs: o.epochs ?? num(training.epochs, 5),
    batch: o.batch ?? num(training.batch, 32),
    lr: o.lr ?? num(training.lr, 3e-3),
    seed: o.seed ?? num(training.seed, 0),
    weightDecay: o.weightDecay ?? num(training.weightDecay, 0),
    labelSmoothing: o.labelSmoothing ?? num(training.labelSmoothing, 0),
  };
}

/** The data a project reads by default: the bundled file, the one asked for, else the model's. */
function dataOf(config: ModelConfig, o: PytorchProjectOptions): string {
  const source = typeof config.data === 'string' ? config.data : '';
  const data = o.dataFile?.name ?? o.data ?? source;
  if (data === '' || (isBuiltin(data) && o.dataFile === undefined)) {
    throw new ValueError(
      `exportPytorchProject: the model was trained on ${data ? `the built-in "${data}"` : 'unrecorded data'}; pass options.dataFile (writePytorchProject bundles built-in data) or options.data`,
    );
  }
  return data;
}

/** project.json for a forecaster; the options of a text project are refused by name. */
export function seriesSettingsFor(config: ModelConfig, o: PytorchProjectOptions): SeriesProjectSettings {
  for (const k of ['textColumn', 'labelColumn', 'limit', 'vocabSize', 'minFreq', 'labelSmoothing'] as const) {
    if (o[k] !== undefined) {
      throw new ValueError(
        `exportPytorchProject: options.${k} applies to text classifiers; a forecaster's project reads the columns and rows its config.json records`,
      );
    }
  }
  const training = (isJsonObject(config.training) ? config.training : {}) as Record<string, unknown>;
  const num = (v: unknown, fallback: number) => (typeof v === 'number' ? v : fallback);
  return {
    task: 'forecasting',
    data: dataOf(config, o),
    epochs: o.epochs ?? SERIES_DEFAULTS.epochs,
    batch: o.batch ?? num(training.batch, 32),
    lr: o.lr ?? num(training.lr, 3e-3),
    seed: o.seed ?? num(training.seed, 0),
    weightDecay: o.weightDecay ?? 0,
    patience: o.patience ?? SERIES_DEFAULTS.patience,
    lrSchedule: o.lrSchedule ?? SERIES_DEFAULTS.lrSchedule,
  };
}
