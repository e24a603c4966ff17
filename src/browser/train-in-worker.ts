import { KiokuError, ValueError } from '../tensor/errors.js';
import {
  errorFromMessage,
  type FromWorker,
  isEndpoint,
  listen,
  listenErrors,
  type MessageEndpoint,
  PAGE_SIDE_OPTIONS,
  type ToWorker,
  WORKER_RECIPES,
  type WorkerRecipe,
  type WorkerRecipes,
} from './worker-protocol.js';

/**
 * Training off the main thread, the page's side: start a recipe in a worker that runs
 * `kioku/worker`, receive its progress events, stop it with an AbortSignal, receive the trained
 * model as model-directory files. The page never blocks: the worker trains, the page only
 * receives messages.
 */

export interface WorkerRunOptions<E> {
  /** Stops training after the current batch; the model trained so far is still evaluated and sent. */
  signal?: AbortSignal;
  /** Receives each progress event (epoch, batch, loss, metrics…), as the recipe emits it. */
  onEvent?: (event: E) => void;
}

let nextId = 1;
const busy = new WeakSet<object>();

function checkArguments(
  worker: unknown,
  recipe: unknown,
  options: unknown,
): asserts worker is MessageEndpoint {
  if (!isEndpoint(worker)) {
    throw new ValueError(
      'trainInWorker: worker must be a Worker running kioku/worker (a Web Worker, or a Node worker thread)',
    );
  }
  if (!WORKER_RECIPES.includes(recipe as WorkerRecipe)) {
    throw new ValueError(
      `trainInWorker: recipe must be one of ${WORKER_RECIPES.join(', ')}, got ${JSON.stringify(recipe)}`,
    );
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ValueError(
      `trainInWorker: options must be the recipe's options object, got ${String(options)}`,
    );
  }
  const pageSide = PAGE_SIDE_OPTIONS.filter((k) => k in options);
  if (pageSide.length > 0) {
    throw new ValueError(
      `trainInWorker: option ${pageSide.join(', ')} cannot go to a worker; pass signal and onEvent as trainInWorker's fourth argument (the worker keeps its own store)`,
    );
  }
  if (busy.has(worker))
    throw new ValueError('trainInWorker: this worker is already training; wait for its result');
}

/**
 * Trains `recipe` ('forecaster', 'text-classifier' or 'adding-flow') with `options` in `worker`.
 * Resolves with the recipe's result (histories, test metrics beside the baselines, config) and
 * the trained model's files (adding-flow: each cell's last gradient flow); rejects with the
 * worker's error, as the class it was thrown as.
 */
export function trainInWorker<R extends WorkerRecipe>(
  worker: MessageEndpoint,
  recipe: R,
  options: WorkerRecipes[R]['options'],
  run: WorkerRunOptions<WorkerRecipes[R]['event']> = {},
): Promise<WorkerRecipes[R]['result']> {
  checkArguments(worker, recipe, options);
  const id = nextId++;
  try {
    // Messages arrive on a later task, so the listeners set up below see every one.
    const message: ToWorker = { kind: 'train', id, recipe, options: options as Record<string, unknown> };
    worker.postMessage(message, []);
  } catch (e) {
    throw new ValueError(
      `trainInWorker: options must be plain data a worker can receive (${(e as Error).message})`,
    );
  }
  busy.add(worker);
  return new Promise((resolve, reject) => {
    const stop = () => worker.postMessage({ kind: 'stop', id } satisfies ToWorker, []);
    const finish = () => {
      unlisten();
      unlistenErrors();
      run.signal?.removeEventListener('abort', stop);
      busy.delete(worker);
    };
    const unlisten = listen(worker, (data) => {
      const message = data as FromWorker;
      if (message?.id !== id) return;
      if (message.kind === 'event') run.onEvent?.(message.event as WorkerRecipes[R]['event']);
      else if (message.kind === 'done') {
        finish();
        resolve(message.result as WorkerRecipes[R]['result']);
      } else if (message.kind === 'error') {
        finish();
        reject(errorFromMessage(message.error));
      }
    });
    const unlistenErrors = listenErrors(worker, (message) => {
      finish();
      reject(new KiokuError(`trainInWorker: the worker failed: ${message}`));
    });
    if (run.signal?.aborted) stop();
    else run.signal?.addEventListener('abort', stop, { once: true });
  });
}
