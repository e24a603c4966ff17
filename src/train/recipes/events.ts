import type { BatchLogs, FitResult, History } from '../fit-types.js';

/**
 * What a recipe reports while it runs. Every event is a plain object of numbers, strings and
 * arrays, so a Web Worker can post it as it is. Training events name the model they are about
 * (`lstm-bi`, `bag-of-words`, …), since a recipe trains baselines after its model.
 */

/** The text data after splitting and building the vocabulary. */
export interface TextDataEvent {
  type: 'text-data';
  /** Examples used (after `limit`). */
  examples: number;
  classes: string[];
  train: number;
  val: number;
  test: number;
  /** Vocabulary size, `<pad>` and `<unk>` included. */
  vocabulary: number;
  maxLen: number;
  /** Share of the validation and test tokens unknown to the vocabulary (kioku warns above 0.2). */
  unknownRate: number;
  /** Epochs the model trains for: as given, or sized to the training set. */
  epochs: number;
}

/** Rows [start, end) of one split, with their first and last dates when the series has dates. */
export interface Span {
  start: number;
  end: number;
  from: string | null;
  to: string | null;
}

/** The series after choosing its columns, splitting it in time and picking its transform. */
export interface SeriesDataEvent {
  type: 'series-data';
  /** Rows of all series. */
  rows: number;
  /** Series in a panel (1 for a single series). */
  series: number;
  /** The network's input columns: the target, covariates and calendar sin/cos columns. */
  columns: string[];
  target: string;
  /** The splits of the (first) series. */
  train: Span;
  val: Span;
  test: Span;
  /** The dates' frequency as a sentence, or null without dates. */
  frequency: string | null;
  /** Season length m. */
  season: number;
  /** Forecast steps per origin, and how the network produces them. */
  horizon: number;
  strategy: 'direct' | 'recursive';
  /** The target transform and why it was picked. */
  transform: string;
  transformReason: string;
  /** Input rows per window, and why it is shorter than the default (null when it is not). */
  lookback: number;
  lookbackReason: string | null;
  /** Calendar features added as inputs, and a sentence on the choice. */
  calendar: string[];
  calendarReason: string;
  /** The learning-rate schedule, in words. */
  schedule: string;
}

/** The model about to be trained. */
export interface ModelEvent {
  type: 'model';
  model: string;
  parameters: number;
}

/** Training continues from a checkpoint. */
export interface ResumedEvent {
  type: 'resumed';
  model: string;
  /** The checkpoint. */
  where: string;
  /** Epochs the checkpoint has completed. */
  epoch: number;
  /** Epochs this run trains to. */
  epochs: number;
  /** Batches done in the next epoch, when the checkpoint was taken inside it. */
  batch: number | null;
  /** The checkpoint's history: one value per completed epoch. */
  history: History;
}

export interface EpochBeginEvent {
  type: 'epoch-begin';
  model: string;
  epoch: number;
  epochs: number;
  /** Batches per epoch. */
  batches: number | null;
}

/** A batch trained: the trainer's {@link BatchLogs} as they are, naming the model. */
export interface BatchEvent extends BatchLogs {
  type: 'batch';
  model: string;
}

export interface EpochEvent {
  type: 'epoch';
  model: string;
  epoch: number;
  epochs: number;
  /** Wall-clock seconds of the epoch, validation and checkpoint included. */
  seconds: number;
  /** loss, valLoss, the metrics and their `val…` twins, lr, and `skipped` with onNonFinite 'skip'. */
  logs: Record<string, number>;
}

/** A model's training is over (finished, stopped early, or stopped by the signal). */
export interface TrainedEvent {
  type: 'trained';
  model: string;
  stopReason: FitResult['stopReason'];
  /** Epochs completed. */
  epochs: number;
  bestEpoch: number | null;
  skippedBatches: number;
}

export type TrainingEvent =
  | ModelEvent
  | ResumedEvent
  | EpochBeginEvent
  | BatchEvent
  | EpochEvent
  | TrainedEvent;

/**
 * A baseline fitted without epochs (the TF-IDF logistic regression): 'begin' before a fit that
 * may take a while on many classes, 'end' with what was chosen.
 */
export interface BaselineEvent {
  type: 'baseline';
  model: string;
  stage: 'begin' | 'end';
  /** Seconds the fit took ('end'), else 0. */
  seconds: number;
  /** What is fitted ('begin') or what was chosen ('end'), in words. */
  detail: string;
}

export type TextClassifierEvent = TextDataEvent | TrainingEvent | BaselineEvent;
export type ForecasterEvent = SeriesDataEvent | TrainingEvent;
