import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-node.js';
import { ValueError } from '../tensor/errors.js';
import type { History } from '../train/fit-types.js';

/**
 * `<out>/metrics.jsonl`: one JSON line per event of a run. A fresh run's log is emptied when it
 * writes its first line (so a refused run keeps the old one); a resumed run's log is first cut
 * back to the epochs of the checkpoint it continues.
 */
export class MetricsLog {
  private readonly path: string;
  /** Set by a fresh run until the log has been emptied. */
  private fresh: boolean;
  /** Set by a resume until the log is cut back to the epochs of the checkpoint resumed. */
  private replay: { epochs: number; history: History; model: string; total: number } | null = null;

  constructor(
    private readonly dir: string,
    options: { append?: boolean } = {},
  ) {
    this.path = join(dir, 'metrics.jsonl');
    this.fresh = !options.append;
  }

  /**
   * A resumed run continues a checkpoint of `model` that has trained `epochs` of `total` epochs;
   * the interrupted run may have logged more (epochs replayed now, or the test results of a
   * finished run resumed for more epochs). Before the next line, the log is rewritten,
   * atomically, to hold exactly those epochs: the lines an uninterrupted run writes.
   */
  resume(epochs: number, history: History, model: string, total: number): void {
    if (!Number.isSafeInteger(epochs) || epochs < 0) {
      throw new ValueError(`MetricsLog.resume: epochs must be an integer ≥ 0, got ${String(epochs)}`);
    }
    // fit appends to the history it is given: keep the checkpoint's own.
    const copy = Object.fromEntries(Object.entries(history).map(([k, v]) => [k, [...v]]));
    this.replay = { epochs, history: copy, model, total };
    this.fresh = false;
  }

  /** Readies the log for this run's first line: emptied (a fresh run) or cut back (a resume). */
  async start(): Promise<void> {
    if (!this.replay && !this.fresh) return;
    await mkdir(this.dir, { recursive: true });
    if (this.replay) await this.settle();
    else await writeFile(this.path, '');
    this.fresh = false;
  }

  async append(record: Record<string, unknown>): Promise<void> {
    await this.start();
    await mkdir(this.dir, { recursive: true });
    await appendFile(this.path, `${JSON.stringify(record)}\n`);
  }

  /** Rewrites the log as {@link resume} asked. */
  private async settle(): Promise<void> {
    const replay = this.replay!;
    let old = '';
    try {
      old = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') throw e;
    }
    const lines = epochLines(old, replay.model, replay.epochs, replay.total, replay.history);
    await writeFileAtomic(this.path, lines.map((r) => `${JSON.stringify(r)}\n`).join(''));
    this.replay = null;
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
  total: number,
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
    out.push(
      sameLoss
        ? { ...prev, epochs: total }
        : { event: 'epoch', model, epoch: e, epochs: total, seconds: null, ...logs },
    );
  }
  return out;
}
