import type { SaveModelDirOptions } from '../../io/model-format.js';
import { ValueError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';

/**
 * Where a recipe keeps what it makes: the run's files, its model directories and its
 * checkpoints. Recipes never touch a file system themselves; Node passes `nodeRunStore(out)`
 * (kioku's Node entry), a page or a server passes a store of its own, tests a {@link MemoryStore}.
 */

/** A checkpoint read back, to resume a run from. */
export interface StoredCheckpoint {
  /** Where it is (a directory, a key); messages name it. */
  where: string;
  /** What the caller asked to resume from (a run's output directory, say); default `where`. */
  from?: string;
  /** Its config.json: the model's config and `run`, the options that trained it. */
  config: Record<string, unknown>;
  /** Its weights by name. */
  tensors: Record<string, Tensor>;
  trainingState?: { state: Record<string, unknown>; tensors?: Record<string, Tensor> };
}

/** A run's rolling set of checkpoints. */
export interface CheckpointStore {
  /** Saves the checkpoint taken at `step` (batches so far), then drops the oldest beyond the store's limit. */
  save(step: number, files: SaveModelDirOptions): Promise<void>;
  /** The checkpoints kept, oldest first. */
  list(): Promise<Array<{ step: number; where: string }>>;
  /**
   * Called once by a fresh run (not a resume) before its first checkpoint: a store still holding
   * an earlier run's checkpoints clears them here, or throws to refuse the run.
   */
  startAfresh?(): Promise<void>;
}

export interface RunStore {
  /** Writes a file of the run (e.g. 'history.json') whole; returns where it went. */
  writeFile(name: string, data: string | Uint8Array): Promise<string>;
  /** Writes a model directory (e.g. 'model', 'bag-of-words') whole; returns where it went. */
  writeModel(name: string, files: SaveModelDirOptions): Promise<string>;
  /**
   * Keeps a chart from its SVG text (e.g. as name.svg and a rendered name.png); returns where it
   * went. Without it no charts are drawn.
   */
  writeChart?(name: string, svg: string): Promise<string[]>;
  /** Without checkpoints, training is not checkpointed and cannot be resumed. */
  checkpoints?: CheckpointStore;
}

function copyFiles(files: SaveModelDirOptions): SaveModelDirOptions {
  const clone = (ts: Record<string, Tensor>) =>
    Object.fromEntries(Object.entries(ts).map(([k, t]) => [k, t.clone()]));
  const ts = files.trainingState;
  return {
    config: structuredClone(files.config),
    stateDict: clone(files.stateDict),
    ...(ts
      ? {
          trainingState: {
            state: structuredClone(ts.state),
            ...(ts.tensors ? { tensors: clone(ts.tensors) } : {}),
          },
        }
      : {}),
  };
}

/** Checkpoints in memory, the newest `keep` kept. */
export class MemoryCheckpoints implements CheckpointStore {
  readonly saved = new Map<number, SaveModelDirOptions>();
  constructor(readonly keep = 2) {
    if (!Number.isSafeInteger(keep) || keep < 1) {
      throw new ValueError(`MemoryCheckpoints: keep must be a positive integer, got ${String(keep)}`);
    }
  }

  async save(step: number, files: SaveModelDirOptions): Promise<void> {
    this.saved.set(step, copyFiles(files));
    const steps = [...this.saved.keys()].sort((a, b) => a - b);
    for (const s of steps.slice(0, Math.max(0, steps.length - this.keep))) this.saved.delete(s);
  }

  async list(): Promise<Array<{ step: number; where: string }>> {
    return [...this.saved.keys()]
      .sort((a, b) => a - b)
      .map((step) => ({ step, where: `checkpoint-${step}` }));
  }

  /** A fresh run's checkpoints replace an earlier run's. */
  async startAfresh(): Promise<void> {
    this.saved.clear();
  }

  /** The newest checkpoint, to pass as a recipe's `resume`; null when there is none. */
  latest(): StoredCheckpoint | null {
    const steps = [...this.saved.keys()].sort((a, b) => a - b);
    const step = steps.at(-1);
    if (step === undefined) return null;
    const files = copyFiles(this.saved.get(step)!);
    return {
      where: `checkpoint-${step}`,
      config: files.config,
      tensors: files.stateDict,
      ...(files.trainingState ? { trainingState: files.trainingState } : {}),
    };
  }
}

/** A run kept in memory: files by name, model directories by name, and checkpoints. */
export class MemoryStore implements RunStore {
  readonly files = new Map<string, string | Uint8Array>();
  readonly models = new Map<string, SaveModelDirOptions>();
  readonly charts = new Map<string, string>();
  readonly checkpoints: MemoryCheckpoints;
  /** Absent with `charts: false`, so recipes draw no charts. */
  readonly writeChart?: (name: string, svg: string) => Promise<string[]>;

  constructor(options: { keepCheckpoints?: number; charts?: boolean } = {}) {
    this.checkpoints = new MemoryCheckpoints(options.keepCheckpoints);
    if (options.charts !== false) {
      this.writeChart = async (name, svg) => {
        this.charts.set(name, svg);
        return [`${name}.svg`];
      };
    }
  }

  async writeFile(name: string, data: string | Uint8Array): Promise<string> {
    this.files.set(name, typeof data === 'string' ? data : data.slice());
    return name;
  }

  async writeModel(name: string, files: SaveModelDirOptions): Promise<string> {
    this.models.set(name, copyFiles(files));
    return name;
  }
}
