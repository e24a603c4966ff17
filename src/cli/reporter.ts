import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import type { BatchLogs, Callbacks, EpochLogs, History } from '../train/trainer.js';

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
  /** Output directory receiving metrics.jsonl. */
  out?: string;
}

export function formatNumber(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) return v.toExponential(2);
  return v.toFixed(digits);
}

/**
 * Prints what a run does: a progress bar per epoch on a terminal, one plain line per epoch
 * otherwise, JSON lines on stdout with --json, nothing but results with --quiet. Every event
 * also goes to `<out>/metrics.jsonl`.
 */
export class Reporter {
  readonly io: CliIO;
  readonly quiet: boolean;
  readonly json: boolean;
  private out: string | undefined;
  private bar: cliProgress.SingleBar | null = null;
  private epochStart = 0;
  private tokens = 0;

  constructor(io: CliIO, options: ReporterOptions = {}) {
    this.io = io;
    this.quiet = options.quiet ?? false;
    this.json = options.json ?? false;
    this.out = options.out;
  }

  /** Sends events to `<dir>/metrics.jsonl`, started afresh unless `append` (a resumed run). */
  async setOut(dir: string, options: { append?: boolean } = {}): Promise<void> {
    await mkdir(dir, { recursive: true });
    this.out = dir;
    if (options.append) await appendFile(join(dir, 'metrics.jsonl'), '');
    else await writeFile(join(dir, 'metrics.jsonl'), '');
  }

  /** Reports batches skipped for a non-finite loss or gradient (`--on-nonfinite skip`). */
  async skipped(count: number): Promise<void> {
    if (count === 0) return;
    this.note(`skipped ${count} batch(es) with a non-finite loss or gradient`);
    await this.event({ event: 'skipped', batches: count });
  }

  /** A line for people (stdout), suppressed by --json. */
  print(line = ''): void {
    if (!this.json) this.io.stdout.write(`${line}\n`);
  }

  /** A progress note (stderr), suppressed by --quiet and --json. */
  note(line: string): void {
    if (!this.quiet && !this.json) this.io.stderr.write(`${line}\n`);
  }

  /** A structured event: a JSON line on stdout with --json, and a line of metrics.jsonl. */
  async event(record: Record<string, unknown>): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    if (this.json) this.io.stdout.write(line);
    if (this.out) await appendFile(join(this.out, 'metrics.jsonl'), line);
  }

  /** Trainer callbacks for one model; `tokensOf` counts the tokens of a batch for tokens/s. */
  callbacks(model: string, epochs: number, batchesPerEpoch: number | null, mainMetric?: string): Callbacks {
    const tty = !this.quiet && !this.json && this.io.stderr.isTTY === true && batchesPerEpoch !== null;
    return {
      onEpochBegin: (epoch) => {
        this.epochStart = performance.now();
        this.tokens = 0;
        if (tty) {
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
          this.bar.start(batchesPerEpoch, 0, { loss: '-', speed: '' });
        }
      },
      onBatchEnd: (info: BatchLogs) => {
        this.tokens += info.tokens ?? 0;
        if (this.bar) {
          const secs = (performance.now() - this.epochStart) / 1000;
          const speed = this.tokens > 0 ? `${Math.round(this.tokens / secs)} tok/s` : '';
          this.bar.update(info.batch, { loss: formatNumber(info.loss), speed });
        }
      },
      onEpochEnd: async ({ epoch, logs }: EpochLogs) => {
        this.bar?.stop();
        this.bar = null;
        const secs = (performance.now() - this.epochStart) / 1000;
        await this.event({ event: 'epoch', model, epoch, epochs, seconds: round(secs), ...logs });
        const parts = [`loss ${formatNumber(logs.loss!)}`];
        if (logs.valLoss !== undefined) parts.push(`val loss ${formatNumber(logs.valLoss)}`);
        if (mainMetric && logs[mainMetric] !== undefined)
          parts.push(`${mainMetric} ${formatNumber(logs[mainMetric]!)}`);
        const valMetric = mainMetric && `val${mainMetric[0]!.toUpperCase()}${mainMetric.slice(1)}`;
        if (valMetric && logs[valMetric] !== undefined) {
          parts.push(`val ${mainMetric} ${formatNumber(logs[valMetric]!)}`);
        }
        if (logs.skipped) parts.push(`${logs.skipped} batch(es) skipped`);
        this.note(`${model} epoch ${epoch}/${epochs}: ${parts.join(', ')} (${secs.toFixed(1)} s)`);
      },
    };
  }

  /** Stops a progress bar left running (an error or an abort mid-epoch). */
  close(): void {
    this.bar?.stop();
    this.bar = null;
  }

  async writeHistory(histories: Record<string, History>): Promise<void> {
    if (this.out) await writeFile(join(this.out, 'history.json'), `${JSON.stringify(histories, null, 2)}\n`);
  }
}

export const round = (v: number, digits = 6): number => (Number.isFinite(v) ? Number(v.toFixed(digits)) : v);

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
