import { ModelDirError } from '../io/model-config.js';
import {
  DTypeError,
  IndexError,
  KiokuError,
  ShapeError,
  StateDictError,
  ValueError,
} from '../tensor/errors.js';
import type { AddingFlow } from '../train/inspect/adding.js';
import type { AddingFlowEvent, AddingWatchOptions } from '../train/inspect/adding-watch.js';
import type { ForecasterEvent, TextClassifierEvent } from '../train/recipes/events.js';
import type { ForecasterOptions, ForecasterResult } from '../train/recipes/forecaster-options.js';
import type {
  TextClassifierOptions,
  TextClassifierResult,
} from '../train/recipes/text-classifier-options.js';

/**
 * The messages between a page and a training worker, and what a run sends back. Everything here
 * is structured-clone-safe: plain objects, typed arrays and Maps, never functions or modules.
 */

/** Options that stay on the page's side: the worker makes its own store, signal and event sink. */
export const PAGE_SIDE_OPTIONS = [
  'store',
  'resume',
  'checkpointEvery',
  'signal',
  'onEvent',
  'optionName',
] as const;
type PageSide = (typeof PAGE_SIDE_OPTIONS)[number];

/** A model directory's files, name → bytes (`openModel` opens it, `zipModelDir` packs it). */
export type ModelFileMap = Map<string, Uint8Array>;

export interface ForecasterWorkerResult extends Omit<ForecasterResult, 'model' | 'saved'> {
  /** The backend the worker trained on. */
  backend: string;
  /** The trained model's directory, as `kioku train series` saves it. */
  files: ModelFileMap;
}

export interface TextClassifierWorkerResult
  extends Omit<TextClassifierResult, 'model' | 'baseline' | 'saved'> {
  backend: string;
  /** The trained model's directory, as `kioku train text` saves it. */
  files: ModelFileMap;
  /** The bag-of-words baseline's directory, when one was trained. */
  baselineFiles: ModelFileMap | null;
}

export interface AddingFlowWorkerResult {
  backend: string;
  /** Each cell's gradient flow after its last training step. */
  flows: AddingFlow[];
}

/** The recipes a worker runs: their options, events and results. The language model joins here. */
export interface WorkerRecipes {
  forecaster: {
    options: Omit<ForecasterOptions, PageSide>;
    event: ForecasterEvent;
    result: ForecasterWorkerResult;
  };
  'text-classifier': {
    options: Omit<TextClassifierOptions, PageSide>;
    event: TextClassifierEvent;
    result: TextClassifierWorkerResult;
  };
  /** Cells trained side by side on the adding problem, their gradient flow measured as they learn. */
  'adding-flow': {
    options: Omit<AddingWatchOptions, 'signal' | 'onEvent'>;
    event: AddingFlowEvent;
    result: AddingFlowWorkerResult;
  };
}

export type WorkerRecipe = keyof WorkerRecipes;
export const WORKER_RECIPES: readonly WorkerRecipe[] = ['forecaster', 'text-classifier', 'adding-flow'];

/** Page → worker. */
export type ToWorker =
  | { kind: 'train'; id: number; recipe: WorkerRecipe; options: Record<string, unknown> }
  | { kind: 'stop'; id: number };

/** Worker → page. */
export type FromWorker =
  | { kind: 'event'; id: number; event: unknown }
  | { kind: 'done'; id: number; result: unknown }
  | { kind: 'error'; id: number; error: { name: string; message: string } };

/** kioku's errors that take a bare message, so a worker's error is rethrown as its own class. */
const ERRORS: Record<string, new (message: string) => KiokuError> = {
  KiokuError,
  ValueError,
  ShapeError,
  DTypeError,
  IndexError,
  StateDictError,
  ModelDirError,
};

export function errorToMessage(e: unknown): { name: string; message: string } {
  return e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };
}

/** The worker's error as the class it had (a KiokuError named like it when it is not one of kioku's plain ones). */
export function errorFromMessage(error: { name: string; message: string }): KiokuError {
  const Class = ERRORS[error.name];
  if (Class) return new Class(error.message);
  const e = new KiokuError(`${error.name}: ${error.message}`);
  e.name = error.name === 'Error' ? 'KiokuError' : error.name;
  return e;
}

/** What both ends need of a Web Worker, a worker's `self`, or Node's Worker and parentPort. */
export interface MessageEndpoint {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  addEventListener?(
    type: 'message' | 'error',
    listener: (event: { data?: unknown; message?: string }) => void,
  ): void;
  removeEventListener?(
    type: 'message' | 'error',
    listener: (event: { data?: unknown; message?: string }) => void,
  ): void;
  on?(type: 'message' | 'error', listener: (data: unknown) => void): void;
  off?(type: 'message' | 'error', listener: (data: unknown) => void): void;
}

export function isEndpoint(value: unknown): value is MessageEndpoint {
  const e = value as MessageEndpoint | null;
  return (
    typeof e?.postMessage === 'function' &&
    (typeof e.addEventListener === 'function' || typeof e.on === 'function')
  );
}

/** Calls `handler` with each message's data until the returned function is called. */
export function listen(endpoint: MessageEndpoint, handler: (data: unknown) => void): () => void {
  if (typeof endpoint.addEventListener === 'function') {
    const listener = (event: { data?: unknown }) => handler(event.data);
    endpoint.addEventListener('message', listener);
    return () => endpoint.removeEventListener?.('message', listener);
  }
  endpoint.on!('message', handler);
  return () => endpoint.off?.('message', handler);
}

/** Calls `handler` with the message of an error the worker itself raises (a script that fails to load). */
export function listenErrors(endpoint: MessageEndpoint, handler: (message: string) => void): () => void {
  if (typeof endpoint.addEventListener === 'function') {
    const listener = (event: { message?: string }) =>
      handler(event.message || 'the worker script failed to load');
    endpoint.addEventListener('error', listener);
    return () => endpoint.removeEventListener?.('error', listener);
  }
  const listener = (e: unknown) => handler(e instanceof Error ? e.message : String(e));
  endpoint.on!('error', listener);
  return () => endpoint.off?.('error', listener);
}

/** The buffers of a model's files, handed over rather than copied. */
export function buffersOf(...maps: Array<ModelFileMap | null>): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const map of maps) for (const bytes of map?.values() ?? []) buffers.add(bytes.buffer as ArrayBuffer);
  return [...buffers];
}
