/**
 * Dynamic micro-batching: jobs that arrive close together are run as one batch. A batch runs when
 * its jobs hold `maxRows` rows (or `maxCost`) or when the oldest job has waited `maxWaitMs`; with
 * batching off, each job runs on its own as it comes. Jobs sharing a key (a session's id) never
 * meet in one batch: the later waits for the next, so a sequence's requests run in the order they
 * came. A job a batch leaves behind waits only what is left of its own wait.
 */

export interface BatcherOptions<J, R> {
  /** Most rows in one batch (a job larger than that still runs, alone). */
  maxRows: number;
  /** How long the first job of a batch waits for company, in milliseconds. */
  maxWaitMs: number;
  /** false: every job runs alone, at once. */
  batching: boolean;
  rows(job: J): number;
  /**
   * Most cost (a text's tokens) in one batch, with `cost`: a batch that would take a whole
   * core's turn for a long time is cut, so requests keep being read while the rest waits.
   */
  maxCost?: number;
  cost?(job: J): number;
  /** Jobs with the same non-null key go to different batches, in arrival order. */
  key(job: J): string | null;
  /** Runs a batch: one result or error per job, in order. */
  run(jobs: J[]): Array<R | Error>;
}

interface Pending<J, R> {
  job: J;
  /** When it came (performance.now()). */
  since: number;
  resolve(r: R): void;
  reject(e: Error): void;
}

export class MicroBatcher<J, R> {
  private readonly o: BatcherOptions<J, R>;
  private queue: Pending<J, R>[] = [];
  private queuedRows = 0;
  private queuedCost = 0;
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
      this.queue.push({ job, since: performance.now(), resolve, reject });
      this.queuedRows += this.o.rows(job);
      this.queuedCost += this.costOf(job);
      if (!this.o.batching || this.full()) this.flush();
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
    // What stayed behind (beyond the limits, a session's later request) waits what is left of its wait.
    if (this.queue.length > 0) {
      const left = this.queue[0]!.since + this.o.maxWaitMs - performance.now();
      if (!this.o.batching || this.full() || left <= 0) setImmediate(() => this.flush());
      else this.timer = setTimeout(() => this.flush(), left);
    }
  }

  private costOf(job: J): number {
    return this.o.cost ? this.o.cost(job) : 0;
  }

  /** Whether the waiting jobs fill a batch. */
  private full(): boolean {
    return this.queuedRows >= this.o.maxRows || this.queuedCost >= (this.o.maxCost ?? Infinity);
  }

  /** Takes the next batch off the queue and runs it. */
  private runOne(): void {
    const batch: Pending<J, R>[] = [];
    const rest: Pending<J, R>[] = [];
    const keys = new Set<string>();
    let rows = 0;
    let cost = 0;
    const maxCost = this.o.maxCost ?? Infinity;
    for (const p of this.queue) {
      const n = this.o.rows(p.job);
      const c = this.costOf(p.job);
      const key = this.o.key(p.job);
      const over = rows + n > this.o.maxRows || cost + c > maxCost;
      const full = batch.length > 0 && (!this.o.batching || over);
      if (full || (key !== null && keys.has(key))) {
        rest.push(p);
        if (key !== null) keys.add(key);
        continue;
      }
      batch.push(p);
      rows += n;
      cost += c;
      if (key !== null) keys.add(key);
    }
    this.queue = rest;
    this.queuedRows -= rows;
    this.queuedCost -= cost;
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
