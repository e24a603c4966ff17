import { ValueError } from '../../tensor/errors.js';
import { Generator } from '../../tensor/random.js';
import {
  ADDING_CELLS,
  ADDING_DEFAULTS,
  type AddingCell,
  type AddingFlow,
  type AddingTraining,
  addingModel,
  addingProblem,
  addingTrainer,
  measureAddingFlow,
} from './adding.js';

/*
 * The adding problem's gradient flow as training proceeds: the cells train side by side, a few
 * steps each in turn, and every `every` steps each one's flow is measured on held-out sequences
 * and reported. Between rounds it yields to the event loop, so a worker running it still hears
 * a request to stop, and a page running it is not held for more than one round.
 */

export interface AddingWatchOptions extends AddingTraining {
  /** The cells compared (default RNN and LSTM). */
  cells?: readonly AddingCell[];
  /** Training steps between measurements (default 50). */
  every?: number;
  /** Held-out sequences each measurement averages over (default 32). */
  testSize?: number;
  /** Stops after the current round; the flows measured last are returned. */
  signal?: AbortSignal;
  /** Receives each measurement, the untrained one (step 0) first. */
  onEvent?: (event: AddingFlowEvent) => void | Promise<void>;
}

/** One cell's flow after `step` of `steps` training steps. */
export interface AddingFlowEvent extends AddingFlow {
  type: 'flow';
  step: number;
  steps: number;
}

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function checkOptions(o: AddingWatchOptions): void {
  for (const name of ['every', 'testSize', 'steps', 'T', 'hiddenSize', 'batchSize'] as const) {
    const v = o[name];
    if (v !== undefined && (!Number.isInteger(v) || v < 1))
      throw new ValueError(`watchAddingFlow: ${name} must be a positive integer, got ${String(v)}`);
  }
  for (const c of o.cells ?? []) {
    if (!ADDING_CELLS.includes(c))
      throw new ValueError(
        `watchAddingFlow: cells must be out of ${ADDING_CELLS.join(', ')}, got ${String(c)}`,
      );
  }
}

/** Trains each cell on the adding problem, reporting its gradient flow every `every` steps. */
export async function watchAddingFlow(options: AddingWatchOptions = {}): Promise<AddingFlow[]> {
  checkOptions(options);
  const training = { ...ADDING_DEFAULTS, ...options };
  const cells = options.cells ?? ['rnn', 'lstm'];
  const every = options.every ?? 50;
  const test = addingProblem(training.T, options.testSize ?? 32, new Generator(training.seed + 1000));
  const runs = cells.map((cell) => {
    const model = addingModel(cell, training.hiddenSize, new Generator(training.seed));
    return { model, step: addingTrainer(model, training), flow: measureAddingFlow(model, test) };
  });
  const report = async (step: number) => {
    for (const r of runs) await options.onEvent?.({ type: 'flow', step, steps: training.steps, ...r.flow });
  };
  await report(0);
  for (let done = 0; done < training.steps && !options.signal?.aborted; ) {
    const n = Math.min(every, training.steps - done);
    for (const r of runs) {
      for (let k = 0; k < n; k++) r.step();
      r.flow = measureAddingFlow(r.model, test);
      await nextTask();
    }
    done += n;
    await report(done);
  }
  return runs.map((r) => r.flow);
}
