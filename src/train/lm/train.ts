import { chunkCount, type LmChunk, lmChunk } from '../../data/lm-stream.js';
import { detachState, type LanguageModel, type LmState } from '../../nn/language-model.js';
import { crossEntropy } from '../../nn/losses.js';
import { reshape } from '../../ops/shape.js';
import { clipGradNorm } from '../../optim/clip.js';
import { dropGradients, trainingStep } from '../../tensor/step.js';
import { NonFiniteError } from '../trainer.js';
import { decayedLr, lrOf, setLr } from './lr-decay.js';
import { RunLog } from './run-log.js';
import { yieldToEventLoop } from './score.js';
import { type LmSettings, type LmTrainOptions, type LmTrainResult, lmSettings } from './train-options.js';

export type { LmHistory, LmTrainEvent, LmTrainOptions, LmTrainResult } from './train-options.js';

/*
 * Stateful truncated back-propagation through time, as PyTorch's word_language_model example:
 * the training stream is cut into B parallel streams read in order, `bptt` steps per chunk;
 * the hidden state is carried from chunk to chunk and detached between them, so gradients
 * flow back at most `bptt` steps while the state remembers further.
 */

/**
 * One optimisation step on a chunk from `state`; returns the chunk's mean loss (nats) and the
 * new state, detached (inside the step, so its buffers outlive it).
 */
export function trainChunk(
  model: LanguageModel,
  chunk: LmChunk,
  state: LmState | null,
  s: Pick<LmSettings, 'optimizer' | 'clip'>,
): { loss: number; state: LmState; norm: number } {
  const params = model.parameters();
  dropGradients(params, () => s.optimizer.zeroGrad());
  return trainingStep(() => {
    const [logits, next] = model.forward(chunk.inputs, state);
    const n = chunk.targets.size;
    const loss = crossEntropy(reshape(logits, [n, logits.shape[2]!]), reshape(chunk.targets, [n]));
    const value = loss.item();
    let norm = Number.NaN;
    if (Number.isFinite(value)) {
      loss.backward();
      norm = clipGradNorm(params, s.clip);
      if (Number.isFinite(norm)) s.optimizer.step();
    }
    return { loss: value, state: detachState(next), norm };
  });
}

/** The loop's moving parts, shared by its helpers. */
interface Run {
  model: LanguageModel;
  s: LmSettings;
  o: LmTrainOptions;
  log: RunLog;
  stepsPerEpoch: number;
  baseLr: number | null;
}

/** Sets the `decayTo` rate for the next step from the run's progress. */
function decay(run: Run): void {
  if (run.s.decayTo === null || run.baseLr === null) return;
  const planned = run.s.epochs * run.stepsPerEpoch;
  const progress = Math.max(run.log.step / planned, run.log.timeSpent());
  setLr(run.s.optimizer, decayedLr(run.baseLr, run.s.decayTo, progress));
}

/** Trains one chunk; a non-finite one throws, or is skipped (state restarted) with onNonFinite 'skip'. */
function step(run: Run, epoch: number, i: number, state: LmState | null) {
  const chunk = lmChunk(run.s.stream, i * run.s.bptt, run.s.bptt);
  decay(run);
  const r = trainChunk(run.model, chunk, state, run.s);
  const bad = !Number.isFinite(r.loss) ? 'loss' : !Number.isFinite(r.norm) ? 'gradient norm' : null;
  if (bad && !run.s.skipNonFinite) {
    throw new NonFiniteError(bad, bad === 'loss' ? r.loss : r.norm, epoch + 1, i + 1);
  }
  if (bad) run.log.skipped++;
  run.log.addChunk(bad ? 0 : r.loss, bad ? 0 : chunk.targets.size);
  return { loss: r.loss, tokens: chunk.targets.size, state: bad ? null : r.state };
}

/** Trains `model` on `options.train` with stateful truncated BPTT; see {@link LmTrainOptions}. */
export async function trainLanguageModel(
  model: LanguageModel,
  options: LmTrainOptions,
): Promise<LmTrainResult> {
  const s = lmSettings(model, options);
  const { scheduler, signal, onEvent, checkpoint, resume } = options;
  const perStep = scheduler && options.schedulerInterval === 'step';
  const stepsPerEpoch = chunkCount(s.stream, s.bptt);
  const log = new RunLog(model, s, options);
  const baseLr = s.decayTo === null ? null : (resume?.baseLr ?? lrOf(s.optimizer) ?? null);
  const run: Run = { model, s, o: options, log, stepsPerEpoch, baseLr };
  let stopReason: LmTrainResult['stopReason'] = 'completed';
  model.train();
  for (let epoch = resume?.epoch ?? 0; epoch < s.epochs && stopReason === 'completed'; epoch++) {
    const from = epoch === resume?.epoch ? resume.chunk : 0;
    let state: LmState | null = from > 0 ? (resume?.state ?? null) : null;
    for (let i = from; i < stepsPerEpoch; i++) {
      const r = step(run, epoch, i, state);
      state = r.state;
      if (perStep) scheduler.step();
      await onEvent?.({
        type: 'step',
        epoch: epoch + 1,
        step: log.step,
        stepsPerEpoch,
        loss: r.loss,
        tokens: r.tokens,
        lr: lrOf(s.optimizer),
        seconds: log.seconds(),
      });
      await yieldToEventLoop();
      if (signal?.aborted) stopReason = 'aborted';
      else if (log.outOfTime()) stopReason = 'time';
      const last = i + 1 === stepsPerEpoch;
      const evaluate = last || stopReason !== 'completed' || log.step % s.every === 0;
      if (evaluate) {
        await log.evaluate(epoch + (i + 1) / stepsPerEpoch);
        model.train();
      }
      if (last && scheduler && !perStep) scheduler.step(log.history.valNats.at(-1));
      if (checkpoint && (evaluate || log.step % s.checkpointEvery === 0)) {
        await checkpoint(
          last ? log.point(epoch + 1, 0, null, baseLr) : log.point(epoch, i + 1, state, baseLr),
        );
      }
      if (stopReason !== 'completed') break;
    }
  }
  if (log.bestWeights) model.loadStateDict(log.bestWeights);
  model.eval();
  return {
    history: log.history,
    best: log.best,
    steps: log.step,
    tokens: log.tokens,
    seconds: log.seconds(),
    skipped: log.skipped,
    stopReason,
  };
}
