import { type LmCorpus, prepareLmCorpus } from '../../data/lm-corpus.js';
import { batchify, chunkCount } from '../../data/lm-stream.js';
import { CharTokenizer, WordTokenizer } from '../../data/tokenizers.js';
import { LanguageModel } from '../../nn/language-model.js';
import { Adam } from '../../optim/adam.js';
import { CosineAnnealingLR } from '../../optim/schedulers.js';
import { manualSeed } from '../../tensor/random.js';
import { NGramModel } from '../baselines/ngram.js';
import { evaluateLanguageModel } from '../lm/evaluate.js';
import { type LmTrainResult, trainLanguageModel } from '../lm/train.js';
import { type Emit, emitter } from './fitting.js';
import {
  type LanguageModelEvent,
  type LanguageModelOptions,
  type LanguageModelResult,
  type LanguageModelSettings,
  type NGramScore,
  resolveLanguageModelOptions,
} from './language-model-options.js';

type Resolved = LanguageModelSettings & LanguageModelOptions;

/** The text tokenized, split 90/5/5 in order, with the vocabulary of its training part. */
function corpusOf(o: Resolved): LmCorpus {
  const tokenizer = o.tokenizer === 'word' ? new WordTokenizer({ punctuation: 'keep' }) : new CharTokenizer();
  return prepareLmCorpus(o.text, { tokenizer, ...(o.vocabSize > 0 ? { maxSize: o.vocabSize } : {}) });
}

/** Kneser-Ney n-gram models of orders 1..o.ngram on the same split, scored on validation and test. */
async function ngramBaselines(o: Resolved, c: LmCorpus, emit: Emit<LanguageModelEvent>) {
  const scores: NGramScore[] = [];
  for (let order = 1; order <= o.ngram; order++) {
    const m = new NGramModel(c.train, { order, vocabSize: c.vocab.size });
    const score = { order, val: m.score(c.val), test: m.score(c.test) };
    scores.push(score);
    await emit({ type: 'ngram', ...score });
  }
  return scores;
}

/** The recurrent model, trained with truncated BPTT, Adam and a per-step cosine decay. */
async function trainNetwork(
  o: Resolved,
  c: LmCorpus,
  emit: Emit<LanguageModelEvent>,
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
  await emit({ type: 'model', model: o.cell, parameters: model.numParameters() });
  const optimizer = new Adam(model.parameters(), { lr: o.lr });
  const steps = o.epochs * chunkCount(batchify(c.train, o.batch), o.bptt);
  const result = await trainLanguageModel(model, {
    train: c.train,
    val: c.val,
    batchSize: o.batch,
    bptt: o.bptt,
    epochs: o.epochs,
    optimizer,
    scheduler: new CosineAnnealingLR(optimizer, { tMax: Math.max(1, steps), etaMin: o.lr / 20 }),
    schedulerInterval: 'step',
    ...(o.evalEvery > 0 ? { evalEvery: o.evalEvery } : {}),
    ...(Number.isFinite(o.maxSeconds) ? { maxSeconds: o.maxSeconds } : {}),
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
  const { text: _t, store: _s, signal: _g, onEvent: _e, optionName: _n, dataName, ...settings } = o;
  return {
    task: 'language-model',
    architecture: model.config(),
    vocab: c.vocab.toJSON(),
    tokenizer: c.tokenizer.toJSON(),
    data: dataName ?? 'text',
    training: {
      ...settings,
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
  const o = resolveLanguageModelOptions(options);
  const emit = emitter(o.onEvent);
  const c = corpusOf(o);
  await emit({
    type: 'lm-data',
    train: c.train.length,
    val: c.val.length,
    test: c.test.length,
    vocabulary: c.vocab.size,
    unit: o.tokenizer,
    unknownRate: c.unknownRate,
  });
  const ngrams = await ngramBaselines(o, c, emit);
  const { model, result } = await trainNetwork(o, c, emit);
  const val = await evaluateLanguageModel(model, c.val);
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
