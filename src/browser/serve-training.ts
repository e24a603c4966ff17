import { modelToFiles } from '../io/model-format.js';
import { watchAddingFlow } from '../train/inspect/adding-watch.js';
import { trainForecaster } from '../train/recipes/forecaster.js';
import { MemoryStore } from '../train/recipes/store.js';
import { trainTextClassifier } from '../train/recipes/text-classifier.js';
import {
  type AddingFlowWorkerResult,
  buffersOf,
  errorToMessage,
  type ForecasterWorkerResult,
  type FromWorker,
  listen,
  type MessageEndpoint,
  type ModelFileMap,
  type TextClassifierWorkerResult,
  type ToWorker,
  type WorkerRecipe,
} from './worker-protocol.js';

/**
 * The worker's side of training off the main thread: runs the recipe a page asks for, posts its
 * events as they come, stops after the current batch when asked, and posts the trained model as
 * its model-directory files. `kioku/worker` starts it in a Web Worker, and in a Node worker thread.
 */

type Emit = (event: unknown) => Promise<void>;

/** The files a store keeps for the model directory `name`, or null when it has none. */
function storedFiles(store: MemoryStore, name: string): ModelFileMap | null {
  const saved = store.models.get(name);
  return saved ? modelToFiles(saved) : null;
}

async function runRecipe(
  recipe: WorkerRecipe,
  options: Record<string, unknown>,
  signal: AbortSignal,
  onEvent: Emit,
  backend: string,
): Promise<ForecasterWorkerResult | TextClassifierWorkerResult | AddingFlowWorkerResult> {
  if (recipe === 'adding-flow')
    return { backend, flows: await watchAddingFlow({ ...options, signal, onEvent }) };
  const store = new MemoryStore({ charts: false, keepCheckpoints: 1 });
  const run = { ...options, store, signal, onEvent };
  if (recipe === 'forecaster') {
    const { model, saved, ...rest } = await trainForecaster(
      run as unknown as Parameters<typeof trainForecaster>[0],
    );
    return { ...rest, backend, files: storedFiles(store, 'model')! };
  }
  const { model, baseline, saved, ...rest } = await trainTextClassifier(
    run as unknown as Parameters<typeof trainTextClassifier>[0],
  );
  return {
    ...rest,
    backend,
    files: storedFiles(store, 'model')!,
    baselineFiles: storedFiles(store, 'bag-of-words'),
  };
}

export interface ServeTrainingOptions {
  /** Chooses the backend before the first run; returns its name. */
  initBackend(): string | Promise<string>;
}

/** Serves training requests arriving on `endpoint` (a worker's `self`, or Node's parentPort). */
export function serveTraining(endpoint: MessageEndpoint, options: ServeTrainingOptions): void {
  const backend = Promise.resolve().then(() => options.initBackend());
  const runs = new Map<number, AbortController>();
  const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => endpoint.postMessage(message, transfer);
  listen(endpoint, async (data) => {
    const message = data as ToWorker;
    if (message?.kind === 'stop') {
      runs.get(message.id)?.abort();
      return;
    }
    if (message?.kind !== 'train') return;
    const { id } = message;
    const controller = new AbortController();
    runs.set(id, controller);
    try {
      const emit: Emit = async (event) => post({ kind: 'event', id, event });
      const result = await runRecipe(message.recipe, message.options, controller.signal, emit, await backend);
      const files =
        'baselineFiles' in result
          ? [result.files, result.baselineFiles]
          : 'files' in result
            ? [result.files]
            : [];
      post({ kind: 'done', id, result }, buffersOf(...files));
    } catch (e) {
      post({ kind: 'error', id, error: errorToMessage(e) });
    } finally {
      runs.delete(id);
    }
  });
}
