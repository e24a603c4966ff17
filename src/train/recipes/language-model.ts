import { type LmCorpus, prepareLmCorpus } from '../../data/lm-corpus.js';
import { CharTokenizer, WordTokenizer } from '../../data/tokenizers.js';
import { LanguageModel } from '../../nn/language-model.js';
import { Adam } from '../../optim/adam.js';
import { ValueError } from '../../tensor/errors.js';
import { manualSeed } from '../../tensor/random.js';
import { NGramModel } from '../baselines/ngram.js';
import { evaluateLanguageModel } from '../lm/evaluate.js';
import { type LmResumePoint, lmResumePoint, lmTrainingState, PositionSlot } from '../lm/resume-point.js';
import { LM_WORD_MAX_VOCAB, LM_WORD_MIN_FREQ, type LmTimeBudget, sizeLanguageModel } from '../lm/sizing.js';
import { lmProbeTokens, lmStepSeconds } from '../lm/step-time.js';
import { type LmTrainOptions, type LmTrainResult, trainLanguageModel } from '../lm/train.js';
import { checkpointing } from './checkpointing.js';
import { type Emit, emitter } from './fitting.js';
import {
  type LanguageModelEvent,
  type LanguageModelOptions,
  type LanguageModelResult,
  type LanguageModelSettings,
  type NGramScore,
  type ResolvedLanguageModelOptions,
  resolveLanguageModelOptions,
  type SizedToText,
} from './language-model-options.js';

/** The options with every setting decided, the sized ones included. */
type Resolved = LanguageModelSettings &
  LanguageModelOptions & {
    /** Fewest occurrences in the training part for a vocabulary entry (1 unless sized). */
    minFreq: number;
    sized: SizedToText[];
    /** Whether the time left measured on this machine made the network smaller than the text allows. */
    cutForTime: boolean;
  };

/** The vocabulary's limits: as given, or sized (words seen twice or more, at most 10,000). */
function vocabRule(o: ResolvedLanguageModelOptions): { vocabSize: number; minFreq: number } {
  if (o.vocabSize !== undefined) return { vocabSize: o.vocabSize, minFreq: 1 };
  return o.tokenizer === 'word'
    ? { vocabSize: LM_WORD_MAX_VOCAB, minFreq: LM_WORD_MIN_FREQ }
    : { vocabSize: 0, minFreq: 1 };
}

/** The text tokenized, split 90/5/5 in order, with the vocabulary of its training part. */
function corpusOf(o: ResolvedLanguageModelOptions): LmCorpus {
  const tokenizer = o.tokenizer === 'word' ? new WordTokenizer({ punctuation: 'keep' }) : new CharTokenizer();
  const { vocabSize, minFreq } = vocabRule(o);
  const c = prepareLmCorpus(o.text, {
    tokenizer,
    ...(vocabSize > 0 ? { maxSize: vocabSize } : {}),
    ...(minFreq > 1 ? { minFreq } : {}),
  });
  if (c.val.length < 2 || c.test.length < 2) {
    const total = c.train.length + c.val.length + c.test.length;
    const name = o.optionName ?? ((k: string) => k);
    throw new ValueError(
      `${name('text')} is too short to model: its ${total} ${o.tokenizer}s split 90/5/5 leave ${c.val.length} for validation and ${c.test.length} for test, and each part needs at least 2 (40 ${o.tokenizer}s or more in all)`,
    );
  }
  return c;
}

/**
 * The time budget that cuts the sizes: the seconds left, and a probe timing one training step
 * of each size tried. None without a time limit, or on a training part too short to probe.
 */
function timeBudget(o: ResolvedLanguageModelOptions, c: LmCorpus, seconds: number): LmTimeBudget | undefined {
  if (!Number.isFinite(seconds) || c.train.length < lmProbeTokens(o.batch, o.bptt)) return undefined;
  const probe = {
    vocabSize: c.vocab.size,
    numLayers: o.layers,
    cell: o.cell,
    dropout: o.dropout ?? 0,
    train: c.train,
    batch: o.batch,
    bptt: o.bptt,
  };
  return { seconds, stepSeconds: (s) => lmStepSeconds(s, probe) };
}

/**
 * A resumed run's sizes left open: those its checkpoint was trained with, which the time left
 * then decided (none when the sizes were given or nothing is resumed).
 */
function resumedSizes(
  o: ResolvedLanguageModelOptions,
): Pick<LanguageModelSettings, 'embed' | 'hidden' | 'tieWeights'> | null {
  const run = o.resume?.config.run as Partial<LanguageModelSettings> | undefined;
  if (!run || o.embed !== undefined || o.hidden !== undefined) return null;
  const { embed, hidden, tieWeights } = run;
  if (typeof embed !== 'number' || typeof hidden !== 'number' || typeof tieWeights !== 'boolean') return null;
  return { embed, hidden, tieWeights: o.tieWeights ?? tieWeights };
}

/** The open settings sized to the tokenized text (and to the seconds left for training). */
function sized(o: ResolvedLanguageModelOptions, c: LmCorpus, secondsLeft: number): Resolved {
  const text = {
    trainTokens: c.train.length,
    vocab: c.vocab.size,
    unit: o.tokenizer,
    batch: o.batch,
    bptt: o.bptt,
  };
  const kept = resumedSizes(o);
  const byText = sizeLanguageModel(o, text);
  const size = kept
    ? { ...sizeLanguageModel({ ...o, ...kept }, text), sized: byText.sized }
    : sizeLanguageModel(o, text, timeBudget(o, c, secondsLeft));
  const vocab = vocabRule(o);
  const { sized: chosen, ...settings } = size;
  const all: SizedToText[] = o.vocabSize === undefined ? [...chosen, 'vocabSize'] : chosen;
  return { ...o, ...settings, ...vocab, sized: all, cutForTime: settings.hidden < byText.hidden };
}

/** Kneser-Ney n-gram models of orders 1..o.ngram on the same split, scored on validation and test. */
async function ngramBaselines(o: { ngram: number }, c: LmCorpus, emit: Emit<LanguageModelEvent>) {
  const scores: NGramScore[] = [];
  for (let order = 1; order <= o.ngram; order++) {
    const m = new NGramModel(c.train, { order, vocabSize: c.vocab.size });
    const score = { order, val: m.score(c.val), test: m.score(c.test) };
    scores.push(score);
    await emit({ type: 'ngram', ...score });
  }
  return scores;
}

/** The options that decide the weights: a resumed run must have the same (epochs and time may change). */
function runRecord(o: Resolved): Record<string, unknown> {
  const { tokenizer, cell, embed, hidden, layers, dropout, tieWeights, batch, bptt, lr, vocabSize, seed } = o;
  const data = o.dataName ?? 'text';
  return {
    ...(o.minFreq > 1 ? { minFreq: o.minFreq } : {}),
    tokenizer,
    cell,
    embed,
    hidden,
    layers,
    dropout,
    tieWeights,
    batch,
    bptt,
    lr,
    vocabSize,
    seed,
    data,
  };
}

/** Checkpoint writing and, with `resume`, the point the checkpoint restored (model, optimizer and generator too). */
async function checkpoints(
  o: Resolved,
  c: LmCorpus,
  model: LanguageModel,
  optimizer: Adam,
  emit: Emit<LanguageModelEvent>,
): Promise<Pick<LmTrainOptions, 'checkpoint' | 'resume' | 'onNonFinite'>> {
  const slot = new PositionSlot();
  const config = { task: 'language-model', architecture: model.config(), vocab: c.vocab.toJSON() };
  const plan = {
    config: { ...config, tokenizer: c.tokenizer.toJSON() },
    run: runRecord(o),
    data: { vocab: config.vocab },
    targets: { model, optimizer, dataLoader: slot },
    model: o.cell,
    epochs: o.epochs,
  };
  // The resumed event is sent below, with the language model's own history and position.
  const saving = await checkpointing(o, plan, o.optionName ?? ((k) => k), async () => {});
  const write = saving.checkpoint;
  const r = saving.resume;
  const restored = r
    ? lmResumePoint(
        { initialEpoch: saving.initialEpoch!, history: saving.history!, resume: r },
        slot,
        o.resume!.where,
      )
    : undefined;
  if (restored) {
    const { epoch, chunk, step, history } = restored;
    await emit({
      type: 'resumed',
      model: o.cell,
      where: o.resume!.where,
      epoch,
      epochs: o.epochs,
      batch: chunk,
      step,
      history,
    });
  }
  return {
    ...(write ? { checkpoint: (p: LmResumePoint) => write(model, lmTrainingState(p, optimizer)) } : {}),
    ...(restored ? { resume: restored } : {}),
    onNonFinite: saving.onNonFinite ?? 'stop',
  };
}

/** The recurrent model, trained with truncated BPTT, Adam and a cosine decay over the run. */
async function trainNetwork(
  o: Resolved,
  c: LmCorpus,
  emit: Emit<LanguageModelEvent>,
  secondsLeft: number,
): Promise<{ model: LanguageModel; result: LmTrainResult }> {
  manualSeed(o.seed);
  const model = new LanguageModel({
    vocabSize: c.vocab.size,
    embedDim: o.embed,
    hiddenSize: o.hidden,
    numLayers: o.layers,
    cell: o.cell,
    dropout: o.dropout,
    tieWeights: o.tieWeights,
  });
  await emit({
    type: 'model',
    model: o.cell,
    parameters: model.numParameters(),
    embed: o.embed,
    hidden: o.hidden,
    epochs: o.epochs,
    sized: o.sized,
    cutForTime: o.cutForTime,
  });
  const optimizer = new Adam(model.parameters(), { lr: o.lr });
  const saving = await checkpoints(o, c, model, optimizer, emit);
  const result = await trainLanguageModel(model, {
    train: c.train,
    val: c.val,
    batchSize: o.batch,
    bptt: o.bptt,
    epochs: o.epochs,
    optimizer,
    decayTo: o.lr / 20,
    // The test part, as long as the validation part, is scored after training.
    closingEvaluations: 2,
    ...saving,
    ...(o.checkpointEvery !== undefined ? { checkpointEvery: o.checkpointEvery } : {}),
    ...(o.evalEvery > 0 ? { evalEvery: o.evalEvery } : {}),
    ...(Number.isFinite(secondsLeft) ? { maxSeconds: Math.max(secondsLeft, 1e-3) } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    onEvent: (e) =>
      e.type === 'eval'
        ? emit({
            type: 'lm-eval',
            epoch: e.epoch,
            step: e.step,
            train: e.train,
            val: e.val,
            seconds: e.seconds,
            tokens: e.tokens,
          })
        : emit({
            type: 'lm-step',
            epoch: e.epoch,
            step: e.step,
            stepsPerEpoch: e.stepsPerEpoch,
            loss: e.loss,
            seconds: e.seconds,
          }),
  });
  return { model, result };
}

/** What config.json holds besides the format fields: enough to rebuild, tokenize and generate. */
function lmConfig(o: Resolved, c: LmCorpus, model: LanguageModel, r: LmTrainResult, scores: object) {
  const {
    text: _t,
    store: _s,
    signal: _g,
    onEvent: _e,
    optionName: _n,
    resume: _r,
    dataName,
    sized: sizedToText,
    cutForTime: _c,
    minFreq,
    ...settings
  } = o;
  return {
    task: 'language-model',
    architecture: model.config(),
    vocab: c.vocab.toJSON(),
    tokenizer: c.tokenizer.toJSON(),
    data: dataName ?? 'text',
    training: {
      ...settings,
      ...(minFreq > 1 ? { minFreq } : {}),
      sizedToText,
      maxSeconds: Number.isFinite(o.maxSeconds) ? o.maxSeconds : null,
      steps: r.steps,
      tokens: r.tokens,
      seconds: r.seconds,
      stopReason: r.stopReason,
    },
    scores,
  };
}

/**
 * Trains a recurrent language model on a text beside Kneser-Ney n-gram baselines: tokenizes it
 * (characters or words), splits the stream 90/5/5 in order, scores unigram to order-`ngram`
 * models on the validation and test parts, trains the network with stateful truncated BPTT
 * keeping its best validation weights, scores it on the same parts, and saves the model
 * directory (`store.writeModel('model')`, with the tokenizer and vocabulary) and history.json.
 * This is what `kioku train lm` runs.
 */
export async function trainTextLanguageModel(options: LanguageModelOptions): Promise<LanguageModelResult> {
  const given = resolveLanguageModelOptions(options);
  const started = performance.now();
  const emit = emitter(given.onEvent);
  const c = corpusOf(given);
  await emit({
    type: 'lm-data',
    train: c.train.length,
    val: c.val.length,
    test: c.test.length,
    vocabulary: c.vocab.size,
    unit: given.tokenizer,
    unknownRate: c.unknownRate,
  });
  const ngrams = await ngramBaselines(given, c, emit);
  const secondsLeft = () => given.maxSeconds - (performance.now() - started) / 1000;
  const o = sized(given, c, secondsLeft());
  const { model, result } = await trainNetwork(o, c, emit, secondsLeft());
  // The best evaluation's weights are the model's now: its score is the validation score.
  const val = result.best ?? (await evaluateLanguageModel(model, c.val));
  const test = await evaluateLanguageModel(model, c.test);
  const bestNgram = ngrams.reduce<NGramScore | null>((b, s) => (b && b.val.nats <= s.val.nats ? b : s), null);
  const scores = {
    val,
    test,
    ngrams: ngrams.map((s) => ({ order: s.order, val: s.val, test: s.test })),
  };
  const config = lmConfig(o, c, model, result, scores);
  const modelAt = (await o.store?.writeModel('model', { config, stateDict: model.stateDict() })) ?? null;
  await o.store?.writeFile('history.json', `${JSON.stringify(result.history, null, 2)}\n`);
  return {
    model,
    config,
    history: result.history,
    val,
    test,
    ngrams,
    bestNgram,
    beatsBaselines: bestNgram ? val.nats < bestNgram.val.nats : null,
    stopReason: result.stopReason,
    steps: result.steps,
    tokens: result.tokens,
    seconds: result.seconds,
    saved: { model: modelAt },
  };
}
