import type * as TF from '@tensorflow/tfjs';

/*
 * TensorFlow.js on the seed's model, written as a tf.layers model: [Embedding(V, 128)] → LSTM(128 → 64)
 * → Dense(2) on the last step, Adam(1e-3), softmax cross-entropy, one trainOnBatch per training step;
 * inference is model.predict plus reading the logits back. Without the embedding (V 0) the input is
 * (B, T, 128) random features. Runs on the cpu backend and on the wasm backend.
 */

export type TfjsBackend = 'cpu' | 'wasm';

/** A median time, or the sentence that says why there is none (a missing kernel, a failed init). */
export type TfjsTiming = { ms: number; T: number; timed: number; warmup: number } | { error: string };

export interface TfjsRun {
  version: string;
  /** How the backend runs, e.g. 'SIMD, 1 thread; setThreadsCount(2) asked'. */
  setup: string;
  train: TfjsTiming | null;
  infer: TfjsTiming | null;
  /** Why the backend could not start (its package missing, a failed init); then nothing was timed. */
  unavailable?: string;
}

/** One measurement: T tokens per sequence, `reps` timed runs after `warmup` untimed ones. */
export interface TfjsPlan {
  T: number;
  reps: number;
  warmup: number;
}

export interface TfjsCase {
  B: number;
  /** Vocabulary of the embedding; 0 for no embedding (random features in). */
  vocab: number;
  /** Omitted: not measured. */
  train?: TfjsPlan;
  infer?: TfjsPlan;
}

let loaded: Promise<typeof TF | null> | null = null;

function loadTf(): Promise<typeof TF | null> {
  loaded ??= import('@tensorflow/tfjs').then(
    (tf) => {
      // Only silences TF.js's warnings (the "install tfjs-node" banner); IS_TEST would add leak checks.
      tf.enableProdMode();
      return tf;
    },
    () => null,
  );
  return loaded;
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Switches TF.js to `backend`; returns how it runs, or a sentence saying why it cannot. For wasm,
 * asks for `threads` XNNPACK threads and reports what TF.js actually uses (in Node it disables its
 * threaded binary, so this is one thread; SIMD is used when WebAssembly SIMD validates).
 */
async function useBackend(tf: typeof TF, backend: TfjsBackend, threads: number): Promise<string> {
  if (backend === 'cpu') {
    await tf.setBackend('cpu');
    return 'plain JS';
  }
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch {
    throw new Error('not installed (@tensorflow/tfjs-backend-wasm)');
  }
  wasm.setThreadsCount(threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const used = wasm.getThreadsCount();
  return `${simd ? 'SIMD' : 'no SIMD'}, ${used} thread${used === 1 ? '' : 's'}; setThreadsCount(${threads}) asked`;
}

/** Median in ms of `reps` awaited runs of `fn` after `warmup` untimed ones; the error's message if it throws. */
async function timeIt(plan: TfjsPlan, fn: () => Promise<void>): Promise<TfjsTiming> {
  try {
    for (let i = 0; i < plan.warmup; i++) await fn();
    const times: number[] = [];
    for (let i = 0; i < plan.reps; i++) {
      const t0 = performance.now();
      await fn();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return { ms: times[times.length >> 1]!, T: plan.T, timed: plan.reps, warmup: plan.warmup };
  } catch (e) {
    return { error: messageOf(e) };
  }
}

/**
 * Times the seed model (or its LSTM alone) in TensorFlow.js on `backend`, a fresh model per
 * measurement (its T fixed). Inference runs first, so a kernel missing only from the backward pass
 * still leaves an inference time. Returns null when @tensorflow/tfjs is not installed, and a run
 * with `unavailable` set when the backend cannot start.
 */
export async function tfjsLstm(backend: TfjsBackend, c: TfjsCase, threads: number): Promise<TfjsRun | null> {
  const tf = await loadTf();
  if (!tf) return null;
  const version = tf.version.tfjs;
  let setup: string;
  try {
    setup = await useBackend(tf, backend, threads);
  } catch (e) {
    return { version, setup: 'unavailable', train: null, infer: null, unavailable: messageOf(e) };
  }
  const build = (T: number): TF.Sequential => {
    const model = tf.sequential();
    if (c.vocab > 0) {
      model.add(tf.layers.embedding({ inputDim: c.vocab, outputDim: 128, inputLength: T }));
      model.add(tf.layers.lstm({ units: 64 }));
    } else {
      model.add(tf.layers.lstm({ units: 64, inputShape: [T, 128] }));
    }
    model.add(tf.layers.dense({ units: 2 }));
    model.compile({
      optimizer: tf.train.adam(1e-3),
      loss: (y: TF.Tensor, p: TF.Tensor) => tf.losses.softmaxCrossEntropy(y, p),
    });
    return model;
  };
  const inputs = (T: number): TF.Tensor =>
    c.vocab > 0 ? tf.randomUniform([c.B, T], 1, c.vocab, 'int32') : tf.randomNormal([c.B, T, 128]);
  const measure = async (
    plan: TfjsPlan | undefined,
    fn: (model: TF.Sequential, x: TF.Tensor) => Promise<void>,
  ) => {
    if (!plan) return null;
    const model = build(plan.T);
    const x = inputs(plan.T);
    const timing = await timeIt(plan, () => fn(model, x));
    x.dispose();
    model.dispose();
    return timing;
  };
  const infer = await measure(c.infer, async (model, x) => {
    const p = model.predict(x) as TF.Tensor;
    await p.data();
    p.dispose();
  });
  const y = tf.oneHot(tf.randomUniform([c.B], 0, 2, 'int32') as TF.Tensor1D, 2);
  const train = await measure(c.train, async (model, x) => {
    await model.trainOnBatch(x, y);
  });
  y.dispose();
  return { version, setup, train, infer };
}
