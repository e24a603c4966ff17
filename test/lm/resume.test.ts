import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMobyDick } from '../../src/io/datasets/moby-dick.js';
import { loadModelDir } from '../../src/io/model-dir-node.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { trainTextLanguageModel } from '../../src/train/recipes/language-model.js';
import type {
  LanguageModelEvent,
  LanguageModelOptions,
} from '../../src/train/recipes/language-model-options.js';
import { MemoryStore, type StoredCheckpoint } from '../../src/train/recipes/store.js';
import { kioku } from '../helpers/cli.js';

/**
 * A language-model run stopped (or killed) and resumed from a checkpoint trains exactly as one
 * that ran through: the same loss at every step after the checkpoint, the same weights at the
 * end. Dropout is on, so the generator's state must come back too, and checkpoints inside an
 * epoch must bring back the hidden state carried into the next chunk.
 */

let text: string;
let root: string;

beforeAll(async () => {
  const moby = await loadMobyDick();
  const start = moby.indexOf('Call me Ishmael');
  text = moby.slice(start, start + 6000); // 43 chunks of 8 × 16 per epoch
  root = await mkdtemp(join(tmpdir(), 'kioku-lm-resume-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const tiny: Partial<LanguageModelOptions> = {
  embed: 8,
  hidden: 16,
  batch: 8,
  bptt: 16,
  dropout: 0.2,
  epochs: 2,
  ngram: 0,
  lr: 0.01,
  seed: 3,
};

/** Runs the recipe, collecting the loss of every step it takes by step number. */
async function train(extra: Partial<LanguageModelOptions>, stopAt?: number) {
  const losses = new Map<number, number>();
  const controller = new AbortController();
  const events: LanguageModelEvent[] = [];
  const store = extra.store ?? new MemoryStore({ keepCheckpoints: 100, charts: false });
  const result = await trainTextLanguageModel({
    ...tiny,
    text,
    store,
    signal: controller.signal,
    ...extra,
    onEvent: (e) => {
      events.push(e);
      if (e.type !== 'lm-step') return;
      losses.set(e.step, e.loss);
      if (e.step === stopAt) controller.abort();
    },
  });
  return { result, losses, events, store: store as MemoryStore };
}

const tensorsOf = (ts: Record<string, Tensor>) =>
  Object.fromEntries(Object.entries(ts).map(([k, t]) => [k, Array.from(t.f32)]));

function checkpointAt(store: MemoryStore, step: number): StoredCheckpoint {
  const files = store.checkpoints.saved.get(step);
  if (!files) throw new Error(`no checkpoint at step ${step}: ${[...store.checkpoints.saved.keys()]}`);
  return {
    where: `checkpoint-${step}`,
    config: files.config as Record<string, unknown>,
    tensors: files.stateDict,
    ...(files.trainingState ? { trainingState: files.trainingState } : {}),
  };
}

describe('trainTextLanguageModel resumed from a checkpoint', () => {
  let through: Awaited<ReturnType<typeof train>>;

  beforeAll(async () => {
    through = await train({ checkpointEvery: 5 });
  }, 120_000);

  it('continues a stopped run with the same losses and ends with the same weights', async () => {
    const stopped = await train({}, 50);
    expect(stopped.result.stopReason).toBe('aborted');
    expect(stopped.result.steps).toBe(50);
    const resumed = await train({ store: stopped.store, resume: stopped.store.checkpoints.latest()! });
    expect(resumed.result.stopReason).toBe('completed');
    expect(resumed.events.find((e) => e.type === 'resumed')).toMatchObject({ step: 50, epoch: 1, batch: 7 });
    const steps = [...resumed.losses.keys()];
    expect(steps[0]).toBe(51);
    expect(steps.at(-1)).toBe(86);
    for (const s of steps) expect(resumed.losses.get(s)).toBe(through.losses.get(s));
    const end = (st: MemoryStore) => tensorsOf(st.checkpoints.latest()!.tensors);
    expect(end(resumed.store)).toEqual(end(through.store));
  }, 120_000);

  it('resumes inside an epoch with the hidden state the next chunk needs', async () => {
    const resumed = await train({ resume: checkpointAt(through.store, 25) });
    const steps = [...resumed.losses.keys()];
    expect(steps[0]).toBe(26);
    for (const s of steps) expect(resumed.losses.get(s)).toBe(through.losses.get(s));
    expect(resumed.result.history).toEqual({
      ...through.result.history,
      seconds: resumed.result.history.seconds,
    });
    expect(tensorsOf(resumed.result.model.stateDict())).toEqual(tensorsOf(through.result.model.stateDict()));
  }, 120_000);

  it('refuses a checkpoint trained with other settings', async () => {
    await expect(train({ hidden: 12, resume: checkpointAt(through.store, 25) })).rejects.toThrow(
      /trained with hidden 16, this run has 12/,
    );
  });
});

describe('kioku train lm --resume', () => {
  it('continues from the checkpoint a killed run left, to the same model and history', async () => {
    const book = join(root, 'book.txt');
    await writeFile(book, text);
    const flags = ['--data', book, '--embed', '8', '--hidden', '16', '--batch', '8', '--bptt', '16'];
    const more = ['--dropout', '0.2', '--epochs', '2', '--ngram', '0', '--seed', '3', '--json'];
    const full = join(root, 'full');
    const ran = await kioku(
      'train',
      'lm',
      ...flags,
      ...more,
      '--checkpoint-every',
      '10',
      '--keep-checkpoints',
      '20',
      '--out',
      full,
    );
    expect(ran.code).toBe(0);
    // A run killed after step 30 leaves its checkpoints up to there.
    const killed = join(root, 'killed');
    await mkdir(join(killed, 'checkpoints'), { recursive: true });
    for (const step of [20, 30]) {
      await cp(
        join(full, 'checkpoints', `checkpoint-${step}`),
        join(killed, 'checkpoints', `checkpoint-${step}`),
        {
          recursive: true,
        },
      );
    }
    const resumed = await kioku('train', 'lm', ...flags, ...more, '--out', killed, '--resume');
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const note = resumed.stdout.split('\n').find((l) => l.includes('"resumed"'))!;
    expect(JSON.parse(note)).toMatchObject({ event: 'resumed', step: 30, epoch: 0, chunk: 30 });
    const [a, b] = await Promise.all([
      loadModelDir(join(full, 'model')),
      loadModelDir(join(killed, 'model')),
    ]);
    expect(tensorsOf(b.tensors)).toEqual(tensorsOf(a.tensors));
    // The model's config records the settings, not the checkpoint it was resumed from.
    const training = (c: Record<string, unknown>) => c.training as Record<string, unknown>;
    expect(Object.keys(training(b.config)).sort()).toEqual(Object.keys(training(a.config)).sort());
    expect(training(b.config)).toMatchObject({ steps: training(a.config).steps, hidden: 16 });
    const history = async (dir: string) => {
      const h = JSON.parse(await readFile(join(dir, 'history.json'), 'utf8')) as Record<string, number[]>;
      return { ...h, seconds: [] };
    };
    expect(await history(killed)).toEqual(await history(full));
  }, 120_000);
});
