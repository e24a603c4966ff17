import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpamAssassin } from '../../src/io/datasets/spam.js';
import type { Job } from '../../src/serve/kinds.js';
import { ServeMetrics } from '../../src/serve/metrics.js';
import { ServedModel } from '../../src/serve/served-model.js';
import { type TextItem, textKind } from '../../src/serve/text-kind.js';
import { ValueError } from '../../src/tensor/errors.js';
import {
  type OpenedModel,
  predictText,
  type TextPrediction,
  trainTextClassifier,
} from '../../src/train/recipes/index.js';
import type { RecurrentState } from '../../src/train/recipes/serving-state.js';

/**
 * A session's state lives in two buffers that alternate from step to step. A batch of session
 * steps that fails (the server then reruns each job alone) must leave every session's state as
 * it was, though the step already wrote its new states into the spare buffers; and the rerun,
 * and the steps after it, must answer as the whole text so far reads.
 */

const WORDS =
  'please find attached the minutes of the board meeting and call me when you have read them so we can agree on the budget for next year'.split(
    ' ',
  );
const SESSIONS = ['a', 'b', 'c', 'd'];
/** Session s's chunk r: a few words, different per session and round. */
const chunk = (s: number, r: number) =>
  WORDS.slice(s * 3 + r * 2, s * 3 + r * 2 + 2 + ((s + r) % 3)).join(' ');

let opened: OpenedModel;
/** 'never': steps run as they are; 'batches': a step of several sessions fails; 'always': every step fails. */
let failing: 'never' | 'batches' | 'always' = 'never';
let served: ServedModel<TextItem, TextPrediction, RecurrentState>;
let metrics: ServeMetrics;

beforeAll(async () => {
  const corpus = await loadSpamAssassin({ headers: 'from-subject' });
  const run = await trainTextClassifier({
    corpus,
    limit: 120,
    epochs: 1,
    embed: 12,
    hidden: 12,
    layers: 2,
    vocabSize: 500,
    maxLen: 64,
    batch: 16,
    baselines: false,
    bidirectional: false,
    pooling: 'last',
    cell: 'lstm',
  });
  opened = { model: run.model, config: run.config, where: 'spam' };
  const limits = { maxBatchSize: 32, maxSequenceLength: 4096 };
  const kind = textKind(opened, limits);
  // The real step runs first (writing the new states), then the batch fails as a bad input would.
  const step: typeof kind.step = (items, states) => {
    const out = kind.step(items, states);
    if (failing === 'always' || (failing === 'batches' && items.length > 1)) {
      throw new ValueError('a step that fails after computing its states');
    }
    return out;
  };
  metrics = new ServeMetrics(() => []);
  const settings = {
    maxBatchSize: 32,
    maxWaitMs: 50,
    maxBatchTokens: 4096,
    batching: true,
    maxSessions: 100,
    sessionIdleMs: 60_000,
  };
  served = new ServedModel('spam', { ...kind, step }, settings, metrics);
}, 120_000);

afterAll(() => served?.close());

/** The sessions' next chunks, sent together (one batch), each job's answer or error. */
function round(r: number, start = false): Promise<Array<TextPrediction | Error>> {
  const kind = served.kind;
  return Promise.all(
    SESSIONS.map((id, s) => {
      const session = { id, start, end: false, field: 'sequence_id' };
      const job: Job<TextItem> = { items: kind.fromV1({ instances: [chunk(s, r)] }, session), session };
      return served.run(job).then(
        (outs) => outs[0]!,
        (e: Error) => e,
      );
    }),
  );
}

/** A copy of each open session's h and c. */
function snapshot(): Array<[Float32Array, Float32Array | null]> {
  return SESSIONS.map((id) => {
    const s = served.store.get(id)!;
    return [s.h.slice(), s.c ? s.c.slice() : null];
  });
}

function expectAsWholeText(got: Array<TextPrediction | Error>, rounds: number): void {
  SESSIONS.forEach((_, s) => {
    const text = Array.from({ length: rounds }, (_, r) => chunk(s, r)).join(' ');
    const want = predictText(opened, [text])[0]!;
    const p = got[s] as TextPrediction;
    expect(p).not.toBeInstanceOf(Error);
    expect(p.label).toBe(want.label);
    for (const [l, v] of Object.entries(want.probabilities)) expect(p.probabilities[l]).toBeCloseTo(v, 6);
  });
}

describe("a session's alternating state buffers", () => {
  it('leave every state unchanged when its batch fails, and the rerun answers correctly', async () => {
    expectAsWholeText(await round(0, true), 1);
    expectAsWholeText(await round(1), 2);
    // Both buffers are in use now: the next step writes over the state of round 0.
    const before = snapshot();
    const firstBuffers = SESSIONS.map((id) => served.store.get(id)!.h);

    failing = 'always';
    const refused = await round(2);
    for (const e of refused) {
      expect(e).toBeInstanceOf(Error);
      expect((e as Error).message).toContain('a step that fails after computing its states');
    }
    expect(snapshot()).toEqual(before);
    // The failed step wrote into the spare buffers, not into the states it read.
    SESSIONS.forEach((id, s) => {
      expect(served.store.get(id)!.h).toBe(firstBuffers[s]);
    });

    // The batch fails, each job reruns alone from the state it started with.
    failing = 'batches';
    expectAsWholeText(await round(2), 3);
    failing = 'never';
    expectAsWholeText(await round(3), 4);
    // Each session's two buffers alternate: round 3's state is in round 1's buffers.
    SESSIONS.forEach((id, s) => {
      expect(served.store.get(id)!.h).toBe(firstBuffers[s]);
    });
    expectAsWholeText(await round(4), 5);
  });
});
