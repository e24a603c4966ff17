import { KiokuError } from '../tensor/errors.js';
import { MicroBatcher } from './batcher.js';
import { RequestError } from './errors.js';
import type { Job, ModelKind } from './kinds.js';
import type { ServeMetrics } from './metrics.js';
import { SessionStore } from './sessions.js';

/**
 * One model being served: its requests batched (stateless ones together, session steps
 * together), its sessions' states, and the isolation that keeps one bad request from failing
 * the others in its batch.
 */

export interface RunSettings {
  maxBatchSize: number;
  maxWaitMs: number;
  /** Most cost (a text's tokens) in one batch, for a kind that costs its items. */
  maxBatchTokens: number;
  batching: boolean;
  maxSessions: number;
  sessionIdleMs: number;
}

/** A failure while running: a request error stays one; kioku's errors are the request's fault too. */
function asRequestError(e: unknown): Error {
  if (e instanceof RequestError) return e;
  if (e instanceof KiokuError) return new RequestError('body', e.message);
  return e instanceof Error ? e : new Error(String(e));
}

export class ServedModel<Item, Out, State extends object> {
  readonly name: string;
  readonly kind: ModelKind<Item, Out, State>;
  readonly store: SessionStore<State>;
  private readonly metrics: ServeMetrics;
  private readonly stateless: MicroBatcher<Job<Item>, Out[]>;
  private readonly sessionSteps: MicroBatcher<Job<Item>, Out[]>;

  constructor(name: string, kind: ModelKind<Item, Out, State>, settings: RunSettings, metrics: ServeMetrics) {
    this.name = name;
    this.kind = kind;
    this.metrics = metrics;
    this.store = new SessionStore<State>({
      max: settings.maxSessions,
      idleMs: settings.sessionIdleMs,
      onEvict: (reason) => metrics.evictions.inc({ model: name, reason }),
    });
    const common = {
      maxRows: settings.maxBatchSize,
      maxWaitMs: settings.maxWaitMs,
      batching: settings.batching && kind.batched,
      rows: (job: Job<Item>) => job.items.length,
      maxCost: settings.maxBatchTokens,
      cost: (job: Job<Item>) => (kind.cost ? job.items.reduce((n, item) => n + kind.cost!(item), 0) : 0),
    };
    this.stateless = new MicroBatcher({ ...common, key: () => null, run: (jobs) => this.runStateless(jobs) });
    this.sessionSteps = new MicroBatcher({
      ...common,
      key: (job) => job.session!.id,
      run: (jobs) => this.runSessions(jobs),
    });
  }

  /** The outputs of a job's items, once its batch has run. */
  run(job: Job<Item>): Promise<Out[]> {
    return job.session ? this.sessionSteps.submit(job) : this.stateless.submit(job);
  }

  /** Open sessions. */
  get sessions(): number {
    return this.store.size;
  }

  /** Requests waiting for their batch. */
  get waiting(): number {
    return this.stateless.waiting + this.sessionSteps.waiting;
  }

  /** Runs every waiting job now. */
  drain(): void {
    this.stateless.drain();
    this.sessionSteps.drain();
  }

  close(): void {
    this.drain();
    this.store.close();
  }

  /** Runs `jobs` together; when that fails, each alone, so only the bad one fails. */
  private isolated(
    jobs: Job<Item>[],
    mode: string,
    run: (jobs: Job<Item>[]) => Out[][],
  ): Array<Out[] | Error> {
    this.metrics.batchRows.observe(
      { model: this.name, mode },
      jobs.reduce((n, j) => n + j.items.length, 0),
    );
    try {
      return run(jobs);
    } catch (e) {
      if (jobs.length === 1) return [asRequestError(e)];
      return jobs.flatMap((j) => this.isolated([j], mode, run));
    }
  }

  private runStateless(jobs: Job<Item>[]): Array<Out[] | Error> {
    return this.isolated(jobs, 'stateless', (batch) => {
      const outs = this.kind.run(batch.flatMap((j) => j.items));
      let at = 0;
      return batch.map((j) => outs.slice(at, (at += j.items.length)));
    });
  }

  /** Session steps: each job's state is looked up now (its start may have run in the batch before). */
  private runSessions(jobs: Job<Item>[]): Array<Out[] | Error> {
    const results: Array<Out[] | Error> = [];
    const open: number[] = [];
    const states: (State | null)[] = [];
    jobs.forEach((job, i) => {
      const s = job.session!;
      const state = s.start ? null : this.store.get(s.id);
      if (state === undefined) {
        results[i] = new RequestError(
          s.field,
          `${s.field}: no open session "${s.id}" (never started, ended, or closed by the server when idle or full); start one with sequence_start: true`,
        );
        return;
      }
      open.push(i);
      states.push(state);
    });
    if (open.length === 0) return results;
    const stateOf = new Map(open.map((i, k) => [jobs[i]!, states[k]!]));
    const done = this.isolated(
      open.map((i) => jobs[i]!),
      'session',
      (batch) => {
        const { outputs, states: next } = this.kind.step(
          batch.flatMap((j) => j.items),
          batch.map((j) => stateOf.get(j)!),
        );
        batch.forEach((j, k) => {
          const s = j.session!;
          if (s.end) this.store.delete(s.id);
          else this.store.set(s.id, next[k]!);
        });
        return outputs.map((o) => [o]);
      },
    );
    open.forEach((i, k) => {
      results[i] = done[k]!;
    });
    return results;
  }
}
