import type { ModelConfigInput } from '../../io/model-config.js';
import { ValueError } from '../../tensor/errors.js';
import { packTrainingState, type ResumeTargets, restoreTrainingState } from '../checkpoint.js';
import type { CheckpointWriter, FitOptions } from '../fit-types.js';
import type { ResumedEvent } from './events.js';
import type { Emit } from './fitting.js';
import type { OptionName, RecipeRunOptions } from './options.js';
import type { CheckpointStore, StoredCheckpoint } from './store.js';

/**
 * A recipe's checkpoints: a rolling set in `store.checkpoints`, written after every epoch (and
 * every `checkpointEvery` batches), and `resume` to continue one after checking that it was
 * trained with the same options on the same data.
 */

export interface CheckpointPlan {
  /** The model's config plus `run`, saved with every checkpoint. */
  config: ModelConfigInput;
  /** The options that decided the weights; a resumed run must have the same. */
  run: Record<string, unknown>;
  /** Config fields derived from the data (vocabulary, scaler…) that a resumed run must match. */
  data: Record<string, unknown>;
  /** What a checkpoint restores. */
  targets: ResumeTargets & { dataLoader: { loadStateDict(state: never): void } };
  /** The model's name in events, and the epochs this run trains to. */
  model: string;
  epochs: number;
}

type CheckpointFitOptions = Pick<
  FitOptions<unknown>,
  'checkpoint' | 'checkpointEvery' | 'onNonFinite' | 'initialEpoch' | 'history' | 'resume'
>;

function writer(store: CheckpointStore, config: ModelConfigInput): CheckpointWriter {
  return async (model, state) => {
    await store.save(state.step, {
      config,
      stateDict: model.stateDict(),
      trainingState: packTrainingState(state),
    });
  };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Refuses a checkpoint trained with other options or on other data. */
function checkMatches(cp: StoredCheckpoint, plan: CheckpointPlan, name: OptionName): void {
  const from = `${name('resume')} ${cp.from ?? cp.where}`;
  const savedRun = (cp.config.run ?? {}) as Record<string, unknown>;
  for (const key of new Set([...Object.keys(savedRun), ...Object.keys(plan.run)])) {
    if (!same(savedRun[key], plan.run[key])) {
      throw new ValueError(
        `${from}: the checkpoint was trained with ${name(key)} ${JSON.stringify(savedRun[key] ?? null)}, this run has ${JSON.stringify(plan.run[key] ?? null)}; resume with the same options`,
      );
    }
  }
  for (const [key, value] of Object.entries(plan.data)) {
    if (!same(cp.config[key], value)) {
      throw new ValueError(
        `${from}: the data changed since the checkpoint (its ${key} differs); resume on the same data`,
      );
    }
  }
}

/**
 * The fit options for checkpoints and non-finite batches. With `resume`, restores the checkpoint
 * into the plan's targets and reports it.
 */
export async function checkpointing<E>(
  o: RecipeRunOptions<E>,
  plan: CheckpointPlan,
  name: OptionName,
  emit: Emit<ResumedEvent>,
): Promise<CheckpointFitOptions> {
  const store = o.store?.checkpoints;
  const fitOptions: CheckpointFitOptions = {
    ...(store ? { checkpoint: writer(store, { ...plan.config, run: plan.run }) } : {}),
    ...(o.checkpointEvery !== undefined ? { checkpointEvery: o.checkpointEvery } : {}),
    onNonFinite: o.onNonFinite ?? 'stop',
  };
  const cp = o.resume;
  if (cp === undefined) {
    await store?.startAfresh?.();
    return fitOptions;
  }
  checkMatches(cp, plan, name);
  const r = restoreTrainingState(cp, plan.targets, `"${cp.where}"`);
  // Newer checkpoints in the store would outnumber (and so evict) the resumed run's own.
  const newer = (await store?.list())?.filter((c) => c.step > r.resume.step) ?? [];
  if (newer.length) {
    throw new ValueError(
      `${name('resume')} ${cp.from ?? cp.where}: ${newer.at(-1)!.where} is newer than the checkpoint resumed (step ${r.resume.step}); resume from the newest or write to another ${name('store')}`,
    );
  }
  if (r.initialEpoch > plan.epochs) {
    throw new ValueError(
      `${name('epochs')} ${plan.epochs}: the checkpoint in ${cp.where} has already trained ${r.initialEpoch} epoch${r.initialEpoch === 1 ? '' : 's'}`,
    );
  }
  await emit({
    type: 'resumed',
    model: plan.model,
    where: cp.where,
    epoch: r.initialEpoch,
    epochs: plan.epochs,
    batch: r.resume.progress?.batch ?? null,
    history: structuredClone(r.history),
  });
  return { ...fitOptions, initialEpoch: r.initialEpoch, history: r.history, resume: r.resume };
}
