import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { writeFileAtomic } from '../io/atomic-node.js';
import { ValueError } from '../tensor/errors.js';
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
  /** A fresh run's metrics.jsonl is emptied when training starts, so a refused run keeps the old one. */
  private fresh = false;
  /** Set by a resume until metrics.jsonl is cut back to the epochs of the checkpoint resumed. */
  private replay: { epochs: number; history: History; model?: string; total?: number } | null = null;

  constructor(io: CliIO, options: ReporterOptions = {}) {
    this.io = io;
    this.quiet = options.quiet ?? false;
    this.json = options.json ?? false;
    this.out = options.out;
  }

  /**
   * Sends events to `<dir>/metrics.jsonl`: started afresh at the first epoch or event unless
   * `append` (a resumed run, see {@link resumeLog}).
   */
  async setOut(dir: string, options: { append?: boolean } = {}): Promise<void> {
    await mkdir(dir, { recursive: true });
    this.out = dir;
    this.fresh = !options.append;
  }

  /** Readies metrics.jsonl for this run's first line: emptied (a fresh run) or cut back (a resume). */
  private async startLog(): Promise<void> {
    if (!this.replay && !this.fresh) return;
    if (this.replay) await this.settleLog();
    else if (this.fresh && this.out) await writeFile(join(this.out, 'metrics.jsonl'), '');
    this.fresh = false;
  }

  /**
   * A resumed run continues a checkpoint that has trained `epochs` epochs; the interrupted run may
   * have logged more (epochs replayed now, or the test results of a finished run resumed for more
   * epochs). Before the next event, metrics.jsonl is rewritten, atomically, to hold exactly those
   * epochs: the lines an uninterrupted run writes. The model is the first one given to
   * {@link callbacks}.
   */
  resumeLog(epochs: number, history: History): void {
    if (!Number.isSafeInteger(epochs) || epochs < 0) {
      throw new ValueError(`Reporter.resumeLog: epochs must be an integer ≥ 0, got ${String(epochs)}`);
    }
    // fit appends to the history it is given: keep the checkpoint's own.
    const copy = Object.fromEntries(Object.entries(history).map(([k, v]) => [k, [...v]]));
    this.replay = { epochs, history: copy };
    this.fresh = false;
  }

  /** Rewrites metrics.jsonl as {@link resumeLog} asked. */
  private async settleLog(): Promise<void> {
    const replay = this.replay;
    if (!replay || !this.out) return;
    const path = join(this.out, 'metrics.jsonl');
    let old = '';
    try {
      old = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') throw e;
    }
    const model = replay.model ?? firstEpochModel(old);
    const lines =
      model === undefined ? [] : epochLines(old, model, replay.epochs, replay.total, replay.history);
    await writeFileAtomic(path, lines.map((r) => `${JSON.stringify(r)}\n`).join(''));
    this.replay = null;
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
    await this.startLog();
    if (this.out) await appendFile(join(this.out, 'metrics.jsonl'), line);
  }

  /** Trainer callbacks for one model; `tokensOf` counts the tokens of a batch for tokens/s. */
  callbacks(model: string, epochs: number, batchesPerEpoch: number | null, mainMetric?: string): Callbacks {
    const tty = !this.quiet && !this.json && this.io.stderr.isTTY === true && batchesPerEpoch !== null;
    if (this.replay && this.replay.model === undefined) Object.assign(this.replay, { model, total: epochs });
    return {
      onEpochBegin: async (epoch) => {
        await this.startLog();
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
    if (this.out) {
      await writeFileAtomic(join(this.out, 'history.json'), `${JSON.stringify(histories, null, 2)}\n`);
    }
  }
}

type LogRecord = Record<string, unknown>;

function parseLines(text: string): LogRecord[] {
  const out: LogRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r: unknown = JSON.parse(line);
      if (typeof r === 'object' && r !== null && !Array.isArray(r)) out.push(r as LogRecord);
    } catch {
      // A line cut short by the crash that made the run resume.
    }
  }
  return out;
}

function firstEpochModel(text: string): string | undefined {
  const r = parseLines(text).find((l) => l.event === 'epoch' && typeof l.model === 'string');
  return r?.model as string | undefined;
}

/**
 * The `epoch` lines of `model` for epochs 1…`epochs`, as the checkpoint's `history` has them.
 * A line already in `old` for the same epoch and loss is kept as it was (with its seconds), with
 * `epochs` set to this run's total; a missing one (the crash came between the checkpoint and
 * its line) is rebuilt from the history, with `seconds: null`.
 */
function epochLines(
  old: string,
  model: string,
  epochs: number,
  total: number | undefined,
  history: History,
): LogRecord[] {
  const logged = new Map<number, LogRecord>();
  for (const r of parseLines(old)) {
    if (r.event === 'epoch' && r.model === model && typeof r.epoch === 'number' && !logged.has(r.epoch)) {
      logged.set(r.epoch, r);
    }
  }
  const out: LogRecord[] = [];
  for (let e = 1; e <= epochs; e++) {
    const logs: Record<string, number> = {};
    for (const [key, values] of Object.entries(history)) {
      // A value logged from some epoch on (`skipped` after a resume with --on-nonfinite skip).
      const v = values[e - 1 - (epochs - values.length)];
      if (v !== undefined) logs[key] = v;
    }
    const prev = logged.get(e);
    const sameLoss = prev !== undefined && JSON.stringify(prev.loss) === JSON.stringify(logs.loss);
    const epochsTotal = total ?? (prev?.epochs as number | undefined) ?? epochs;
    out.push(
      sameLoss
        ? { ...prev, epochs: epochsTotal }
        : { event: 'epoch', model, epoch: e, epochs: epochsTotal, seconds: null, ...logs },
    );
  }
  return out;
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
