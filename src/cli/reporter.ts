import cliProgress from 'cli-progress';
import type { TrainingEvent } from '../train/recipes/events.js';
import { MetricsLog } from './metrics-log.js';

/** Where the CLI writes: stdout for results, stderr for progress. Tests pass string sinks. */
export interface CliIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  /** Aborted (e.g. on Ctrl-C) to stop training after the current batch. */
  signal?: AbortSignal;
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
        this.tokens = 0;
        this.startBar(e.model, e.epoch, e.epochs, e.batches);
        return;
      case 'batch':
        this.tokens += e.tokens ?? 0;
        if (this.bar) {
          const secs = (performance.now() - this.epochStart) / 1000;
          const speed = this.tokens > 0 ? `${Math.round(this.tokens / secs)} tok/s` : '';
          this.bar.update(e.batch, { loss: formatNumber(e.loss), speed });
        }
        return;
      case 'epoch':
        this.close();
        await this.epochLine(e.model, e.epoch, e.epochs, e.seconds, e.logs, mainMetric);
        return;
      case 'trained':
        this.close();
        if (e.stopReason === 'aborted')
          this.note('training interrupted; evaluating and saving the model as it is');
        if (e.skippedBatches > 0) {
          this.note(`skipped ${e.skippedBatches} batch(es) with a non-finite loss or gradient`);
          await this.event({ event: 'skipped', batches: e.skippedBatches });
        }
        return;
      case 'model':
        return;
    }
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
