/**
 * Dynamic micro-batching: jobs that arrive close together are run as one batch. A batch runs when
 * its jobs hold `maxRows` rows or when the oldest job has waited `maxWaitMs`; with batching off,
 * each job runs on its own as it comes. Jobs sharing a key (a session's id) never meet in one
 * batch: the later waits for the next, so a sequence's requests run in the order they came.
 */

export interface BatcherOptions<J, R> {
  /** Most rows in one batch (a job larger than that still runs, alone). */
  maxRows: number;
  /** How long the first job of a batch waits for company, in milliseconds. */
  maxWaitMs: number;
  /** false: every job runs alone, at once. */
  batching: boolean;
  rows(job: J): number;
  /** Jobs with the same non-null key go to different batches, in arrival order. */
  key(job: J): string | null;
  /** Runs a batch: one result or error per job, in order. */
  run(jobs: J[]): Array<R | Error>;
}

interface Pending<J, R> {
  job: J;
  resolve(r: R): void;
  reject(e: Error): void;
}

export class MicroBatcher<J, R> {
  private readonly o: BatcherOptions<J, R>;
  private queue: Pending<J, R>[] = [];
  private queuedRows = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(options: BatcherOptions<J, R>) {
    this.o = options;
  }

  /** Jobs waiting for their batch. */
  get waiting(): number {
    return this.queue.length;
  }

  submit(job: J): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.queuedRows += this.o.rows(job);
      if (!this.o.batching || this.queuedRows >= this.o.maxRows) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.o.maxWaitMs);
    });
  }

  /** Runs every waiting job now, batch after batch (for shutdown). */
  drain(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.queue.length > 0) this.runOne();
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.runOne();
    // What stayed behind (rows beyond the limit, a session's later request) starts a new wait.
    if (this.queue.length > 0) {
      if (!this.o.batching || this.queuedRows >= this.o.maxRows) setImmediate(() => this.flush());
      else this.timer = setTimeout(() => this.flush(), this.o.maxWaitMs);
    }
  }

  /** Takes the next batch off the queue and runs it. */
  private runOne(): void {
    const batch: Pending<J, R>[] = [];
    const rest: Pending<J, R>[] = [];
    const keys = new Set<string>();
    let rows = 0;
    for (const p of this.queue) {
      const n = this.o.rows(p.job);
      const key = this.o.key(p.job);
      const full = batch.length > 0 && (!this.o.batching || rows + n > this.o.maxRows);
      if (full || (key !== null && keys.has(key))) {
        rest.push(p);
        if (key !== null) keys.add(key);
        continue;
      }
      batch.push(p);
      rows += n;
      if (key !== null) keys.add(key);
    }
    this.queue = rest;
    this.queuedRows -= rows;
    if (batch.length === 0) return;
    let results: Array<R | Error>;
    try {
      results = this.o.run(batch.map((p) => p.job));
    } catch (e) {
      results = batch.map(() => (e instanceof Error ? e : new Error(String(e))));
    }
    batch.forEach((p, i) => {
      const r = results[i];
      if (r instanceof Error) p.reject(r);
      else p.resolve(r as R);
    });
  }
}
