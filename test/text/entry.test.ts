import { expect, it } from 'vitest';
import * as kioku from '../../src/index.js';

it('the entry carries a character language model from text to generated text, beside its baselines', async () => {
  const text = 'the cat sat on the mat. the dog sat on the log. '.repeat(40);
  const corpus = kioku.prepareLmCorpus(text, { tokenizer: new kioku.CharTokenizer() });
  kioku.manualSeed(1);
  const model = new kioku.LanguageModel({ vocabSize: corpus.vocab.size, hiddenSize: 32, embedDim: 16 });
  const result = await kioku.trainLanguageModel(model, {
    train: corpus.train,
    val: corpus.val,
    batchSize: 4,
    bptt: 16,
    epochs: 8,
    lr: 1e-2,
  });
  const unigram = new kioku.NGramModel(corpus.train, { order: 1, vocabSize: corpus.vocab.size }).score(
    corpus.val,
  );
  expect(result.best!.nats).toBeLessThan(unigram.nats / 2);
  let out = '';
  for await (const piece of kioku.generateText(model, corpus.vocab, corpus.tokenizer, {
    prompt: 'the ',
    length: 60,
    temperature: 0,
  })) {
    out += piece;
  }
  // Greedy decoding of a model of this text writes its words (the last one may be cut short).
  const words = out.split(/[ .]+/).slice(0, -1);
  expect(words.length).toBeGreaterThan(8);
  expect(words.filter((w) => !['the', 'cat', 'sat', 'on', 'mat', 'dog', 'log'].includes(w))).toEqual([]);
});
