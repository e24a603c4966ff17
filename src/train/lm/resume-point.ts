import type { LmState } from '../../nn/language-model.js';
import { StateDictError } from '../../tensor/errors.js';
import { defaultGenerator } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import type { RestoredTraining } from '../checkpoint.js';
import type { OptimizerLike, SchedulerLike, TrainingState } from '../fit-types.js';
import type { LmScore } from './score.js';
import type { LmHistory, LmResumePoint } from './train-options.js';

export type { LmResumePoint } from './train-options.js';

type Packed = { shape: number[]; data: number[] };
const packTensor = (t: Tensor): Packed => ({ shape: [...t.shape], data: Array.from(t.f32) });
const unpackTensor = (p: Packed): Tensor => new Tensor(Float32Array.from(p.data), p.shape);

function packState(state: LmState | null): Packed[] | null {
  if (state === null) return null;
  return state instanceof Tensor ? [packTensor(state)] : state.map(packTensor);
}

function unpackState(packed: Packed[] | null): LmState | null {
  if (packed === null) return null;
  const ts = packed.map(unpackTensor);
  return ts.length === 1 ? ts[0]! : [ts[0]!, ts[1]!];
}

/** The run's position as a checkpoint keeps it (JSON), in the data-loader slot of a training state. */
interface Position {
  chunk: number;
  tokens: number;
  seconds: number;
  skipped: number;
  trainSum: number;
  trainCount: number;
  baseLr: number | null;
  best: LmScore | null;
  state: Packed[] | null;
}

/** A point as `fit`'s checkpoint format stores it, with the optimizer, scheduler and generator states. */
export function lmTrainingState(
  p: LmResumePoint,
  optimizer: OptimizerLike,
  scheduler?: SchedulerLike,
): TrainingState {
  const position: Position = {
    chunk: p.chunk,
    tokens: p.tokens,
    seconds: p.seconds,
    skipped: p.skipped,
    trainSum: p.trainSum,
    trainCount: p.trainCount,
    baseLr: p.baseLr,
    best: p.best,
    state: packState(p.state),
  };
  const bestAt = p.best === null ? -1 : p.history.valNats.indexOf(p.best.nats);
  return {
    epoch: p.epoch,
    step: p.step,
    progress: null,
    optimizer: optimizer.stateDict(),
    scheduler: scheduler?.stateDict() ?? null,
    rng: defaultGenerator.getState(),
    dataLoader: position,
    history: p.history as unknown as TrainingState['history'],
    best: p.best === null ? null : { epoch: Math.max(0, p.history.step[bestAt] ?? 0), value: p.best.nats },
    sinceBest: 0,
    bestWeights: p.bestWeights,
    skippedBatches: p.skipped,
  };
}

/** A loader-like target for `restoreTrainingState` that catches the position. */
export class PositionSlot {
  position: Position | null = null;
  loadStateDict(state: never): void {
    this.position = state as Position;
  }
}

const HISTORY_KEYS = ['step', 'epoch', 'trainNats', 'valNats', 'valBits', 'seconds'] as const;

/** The point a checkpoint restored (see `restoreTrainingState`) stands at. */
export function lmResumePoint(r: RestoredTraining, slot: PositionSlot, where: string): LmResumePoint {
  const p = slot.position;
  const history = r.history as unknown as LmHistory;
  if (p === null || !Number.isInteger(p.chunk) || HISTORY_KEYS.some((k) => !Array.isArray(history[k]))) {
    throw new StateDictError(`${where} is not a checkpoint of a language-model run (no stream position)`);
  }
  return {
    epoch: r.initialEpoch,
    chunk: p.chunk,
    step: r.resume.step,
    tokens: p.tokens,
    seconds: p.seconds,
    skipped: p.skipped,
    state: unpackState(p.state),
    trainSum: p.trainSum,
    trainCount: p.trainCount,
    baseLr: p.baseLr,
    history,
    best: p.best,
    bestWeights: r.resume.bestWeights,
  };
}
