import cliProgress from 'cli-progress';
import type { BatchEvent, TrainingEvent } from '../train/recipes/events.js';
import { MetricsLog } from './metrics-log.js';

/** Where the CLI writes: stdout for results, stderr for progress. Tests pass string sinks. */
export interface CliIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  /** Aborted (e.g. on Ctrl-C) to stop training after the current batch. */
  signal?: AbortSignal;
  /**
   * Set by a training run: the first Ctrl-C then stops it after the current batch (it saves
   * and reports) instead of ending the process.
   */
  interruptible?: boolean;
}

export interface ReporterOptions {
  quiet?: boolean;
  json?: boolean;
}

export function formatNumber(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) return v.toExponential(2);
  return v.toFixed(digits);
}

/** Seconds as a person reads them: 45 s, 12 min, 2.5 h. */
function formatSeconds(secs: number): string {
  if (secs < 90) return `${Math.round(secs)} s`;
  if (secs < 5400) return `${Math.round(secs / 60)} min`;
  return `${(secs / 3600).toFixed(1)} h`;
}

/** How often a long epoch prints a progress line where no progress bar can be drawn. */
const PROGRESS_LINE_MS = 60_000;

export const round = (v: number, digits = 6): number => (Number.isFinite(v) ? Number(v.toFixed(digits)) : v);

/**
 * Prints what a run does: a progress bar per epoch on a terminal, one plain line per epoch
 * otherwise, JSON lines on stdout with --json, nothing but results with --quiet. Every event
 * also goes to `<out>/metrics.jsonl` once {@link setOut} names the output directory.
 */
export class Reporter {
  readonly io: CliIO;
  readonly quiet: boolean;
  readonly json: boolean;
  private log: MetricsLog | null = null;
  private bar: cliProgress.SingleBar | null = null;
  private epochStart = 0;
  private tokens = 0;
  private lastProgressLine = 0;
  private epochs = 0;

  constructor(io: CliIO, options: ReporterOptions = {}) {
    this.io = io;
    this.quiet = options.quiet ?? false;
    this.json = options.json ?? false;
  }

  /** Sends events to `<dir>/metrics.jsonl`: started afresh at the first line unless `append` (a resume). */
  setOut(dir: string, options: { append?: boolean } = {}): void {
    this.log = new MetricsLog(dir, options);
  }

  /** A line for people (stdout), suppressed by --json. */
  print(line = ''): void {
    if (!this.json) this.io.stdout.write(`${line}\n`);
  }

  /** A progress note (stderr), suppressed by --quiet and --json. */
  note(line: string): void {
    if (!this.quiet && !this.json) this.io.stderr.write(`${line}\n`);
  }

  /** A warning (stderr), shown even with --quiet and --json: something in the input was changed or is odd. */
  warn(line: string): void {
    this.io.stderr.write(`kioku: warning: ${line}\n`);
  }

  /** A structured event: a JSON line on stdout with --json, and a line of metrics.jsonl. */
  async event(record: Record<string, unknown>): Promise<void> {
    if (this.json) this.io.stdout.write(`${JSON.stringify(record)}\n`);
    await this.log?.append(record);
  }

  /** Stops a progress bar left running (an error or an abort mid-epoch). */
  close(): void {
    this.bar?.stop();
    this.bar = null;
  }

  /** The one line a Ctrl-C during training prints (stderr, after any progress bar). */
  interrupted(advice: string): void {
    this.close();
    this.io.stderr.write(
      `${this.io.stderr.isTTY ? '\n' : ''}kioku: interrupted: stopping after the current batch, then saving the best model and reporting (Ctrl-C again quits); ${advice}\n`,
    );
  }

  /** Reports a recipe's training events; `mainMetric` is shown beside the loss. */
  async training(e: TrainingEvent, mainMetric: string): Promise<void> {
    switch (e.type) {
      case 'resumed': {
        const where = e.batch !== null ? `, batch ${e.batch} of epoch ${e.epoch + 1}` : '';
        this.note(`resuming from ${e.where} (epoch ${e.epoch} done${where})`);
        this.log?.resume(e.epoch, e.history, e.model, e.epochs);
        return;
      }
      case 'epoch-begin':
        await this.log?.start();
        this.epochStart = performance.now();
        this.lastProgressLine = this.epochStart;
        this.epochs = e.epochs;
        this.tokens = 0;
        this.startBar(e.model, e.epoch, e.epochs, e.batches);
        return;
      case 'batch':
        this.tokens += e.tokens ?? 0;
        if (this.bar) {
          const secs = (performance.now() - this.epochStart) / 1000;
          const speed = this.tokens > 0 ? `${Math.round(this.tokens / secs)} tok/s` : '';
          this.bar.update(e.batch, { loss: formatNumber(e.loss), speed });
        } else this.progressLine(e);
        return;
      case 'epoch':
        this.close();
        await this.epochLine(e.model, e.epoch, e.epochs, e.seconds, e.logs, mainMetric);
        return;
      case 'trained':
        this.close();
        if (e.stopReason === 'aborted') await this.event({ event: 'interrupted', epochs: e.epochs });
        if (e.skippedBatches > 0) {
          this.note(`skipped ${e.skippedBatches} batch(es) with a non-finite loss or gradient`);
          await this.event({ event: 'skipped', batches: e.skippedBatches });
        }
        return;
      case 'model':
        return;
    }
  }

  /**
   * Without a terminal for the bar (a log file, a pipe), a line every PROGRESS_LINE_MS inside a
   * long epoch, so a long run never looks stuck.
   */
  private progressLine(e: BatchEvent): void {
    const now = performance.now();
    if (now - this.lastProgressLine < PROGRESS_LINE_MS) return;
    this.lastProgressLine = now;
    const secs = (now - this.epochStart) / 1000;
    const of = e.batches !== null ? `/${e.batches}` : '';
    const left =
      e.batches !== null
        ? `, about ${formatSeconds((secs * (e.batches - e.batch)) / e.batch)} left in the epoch`
        : '';
    this.note(
      `${e.model} epoch ${e.epoch}/${this.epochs}: batch ${e.batch}${of}, loss ${formatNumber(e.loss)}${left}`,
    );
  }

  private startBar(model: string, epoch: number, epochs: number, batches: number | null): void {
    if (this.quiet || this.json || this.io.stderr.isTTY !== true || batches === null) return;
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.io.stderr as NodeJS.WritableStream,
        format: `${model} epoch ${epoch}/${epochs} [{bar}] {value}/{total} loss {loss} {speed} ETA {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(batches, 0, { loss: '-', speed: '' });
  }

  private async epochLine(
    model: string,
    epoch: number,
    epochs: number,
    secs: number,
    logs: Record<string, number>,
    mainMetric: string,
  ): Promise<void> {
    await this.event({ event: 'epoch', model, epoch, epochs, seconds: round(secs), ...logs });
    const parts = [`loss ${formatNumber(logs.loss!)}`];
    if (logs.valLoss !== undefined) parts.push(`val loss ${formatNumber(logs.valLoss)}`);
    if (logs[mainMetric] !== undefined) parts.push(`${mainMetric} ${formatNumber(logs[mainMetric]!)}`);
    const valMetric = `val${mainMetric[0]!.toUpperCase()}${mainMetric.slice(1)}`;
    if (logs[valMetric] !== undefined) parts.push(`val ${mainMetric} ${formatNumber(logs[valMetric]!)}`);
    if (logs.skipped) parts.push(`${logs.skipped} batch(es) skipped`);
    this.note(`${model} epoch ${epoch}/${epochs}: ${parts.join(', ')} (${secs.toFixed(1)} s)`);
  }
}

/** A plain-text table with left-aligned first column and right-aligned numbers. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const widths = header.map((_, j) => Math.max(...cells.map((r) => String(r[j] ?? '').length)));
  return cells
    .map((r) =>
      r.map((c, j) => (j === 0 ? String(c).padEnd(widths[j]!) : String(c).padStart(widths[j]!))).join('  '),
    )
    .join('\n');
}
