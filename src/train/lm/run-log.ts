import type { LanguageModel, LmState } from '../../nn/language-model.js';
import type { Tensor } from '../../tensor/tensor.js';
import { evaluateLanguageModel } from './evaluate.js';
import type { LmResumePoint } from './resume-point.js';
import type { LmScore } from './score.js';
import type { LmHistory, LmSettings, LmTrainOptions } from './train-options.js';

/** Counters of a language-model run, its clock and its evaluations; resumable from a point. */
export class RunLog {
  readonly history: LmHistory = { step: [], epoch: [], trainNats: [], valNats: [], valBits: [], seconds: [] };
  best: LmScore | null = null;
  bestWeights: Record<string, Tensor> | null = null;
  step = 0;
  tokens = 0;
  skipped = 0;
  private sum = 0;
  private count = 0;
  /** Clock reading that counts as second 0 of the run (earlier for a resumed run). */
  private readonly started: number;
  /** How long the last evaluation took, to leave time for a closing one. */
  private evalMs: number | null = null;

  constructor(
    private readonly model: LanguageModel,
    private readonly s: LmSettings,
    private readonly options: LmTrainOptions,
  ) {
    const r = options.resume;
    this.started = s.clock() - (r ? r.seconds * 1000 : 0);
    if (!r) return;
    Object.assign(this.history, structuredClone(r.history));
    [this.best, this.bestWeights] = [r.best, r.bestWeights];
    [this.step, this.tokens, this.skipped, this.sum, this.count] = [
      r.step,
      r.tokens,
      r.skipped,
      r.trainSum,
      r.trainCount,
    ];
  }

  seconds(): number {
    return (this.s.clock() - this.started) / 1000;
  }

  /** How far the time budget is spent, 0 to 1 (0 without one). */
  timeSpent(): number {
    return Number.isFinite(this.s.maxMs) ? (this.s.clock() - this.started) / this.s.maxMs : 0;
  }

  /** Whether one more step and a closing evaluation would overrun the budget. */
  outOfTime(): boolean {
    const elapsed = this.s.clock() - this.started;
    const stepMs = this.step > 0 ? elapsed / this.step : 0;
    return elapsed + stepMs + this.closingEvalMs(elapsed) >= this.s.maxMs;
  }

  /**
   * The closing evaluations' length: the last evaluation's times their number, or before any a
   * guess (a forward pass costs about a third of a training step).
   */
  private closingEvalMs(elapsed: number): number {
    const val = this.options.val;
    if (!val || !Number.isFinite(this.s.maxMs)) return 0;
    const one = this.evalMs ?? (this.tokens > 0 ? (elapsed / this.tokens) * (val.length / 3) : 0);
    return one * this.s.closingEvaluations;
  }

  addChunk(loss: number, tokens: number): void {
    this.step++;
    this.tokens += tokens;
    this.sum += loss * tokens;
    this.count += tokens;
  }

  /** The run's point after `chunk` chunks of epoch `epoch`, for a checkpoint. */
  point(epoch: number, chunk: number, state: LmState | null, baseLr: number | null): LmResumePoint {
    return {
      epoch,
      chunk,
      step: this.step,
      tokens: this.tokens,
      seconds: this.seconds(),
      skipped: this.skipped,
      state,
      trainSum: this.sum,
      trainCount: this.count,
      baseLr,
      history: structuredClone(this.history),
      best: this.best,
      bestWeights: this.bestWeights,
    };
  }

  /** Evaluates on the validation stream (when there is one) and records the result. */
  async evaluate(epoch: number): Promise<void> {
    const train = this.count > 0 ? this.sum / this.count : Number.NaN;
    this.sum = this.count = 0;
    const { val, evalBatchSize = 10, signal, onEvent } = this.options;
    if (!val) return;
    const began = this.s.clock();
    const score = await evaluateLanguageModel(this.model, val, { batch: evalBatchSize, signal });
    this.evalMs = this.s.clock() - began;
    const h = this.history;
    h.step.push(this.step);
    h.epoch.push(epoch);
    h.trainNats.push(train);
    h.valNats.push(score.nats);
    h.valBits.push(score.bits);
    h.seconds.push(this.seconds());
    if (this.best === null || score.nats < this.best.nats) {
      this.best = score;
      if (this.s.restoreBest) this.bestWeights = snapshot(this.model);
    }
    const { step, tokens } = this;
    await onEvent?.({ type: 'eval', epoch, step, train, val: score, seconds: this.seconds(), tokens });
  }
}

function snapshot(model: LanguageModel): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.clone()]));
}
