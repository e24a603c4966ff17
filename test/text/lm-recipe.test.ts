import { describe, expect, it } from 'vitest';
import { prepareLmCorpus } from '../../src/data/lm-corpus.js';
import { WordTokenizer } from '../../src/data/tokenizers.js';
import { ValueError } from '../../src/tensor/errors.js';
import { evaluateLanguageModel } from '../../src/train/lm/evaluate.js';
import { trainTextLanguageModel } from '../../src/train/recipes/language-model.js';
import { openLanguageModel } from '../../src/train/recipes/language-model-open.js';
import type { LanguageModelEvent } from '../../src/train/recipes/language-model-options.js';
import { MemoryStore } from '../../src/train/recipes/store.js';

// A text with a short period: a word model learns it in a few steps, n-grams of order ≥ 2 know it.
const text = Array.from(
  { length: 300 },
  (_, i) => ['the whale swims .', 'a ship sails .', 'the sea is deep .'][i % 3],
).join(' ');

describe('trainTextLanguageModel', () => {
  it('saves the model with its tokenizer and vocabulary; the saved model scores as reported', async () => {
    const store = new MemoryStore();
    const events: LanguageModelEvent[] = [];
    const r = await trainTextLanguageModel({
      text,
      tokenizer: 'word',
      embed: 8,
      hidden: 16,
      batch: 4,
      bptt: 8,
      epochs: 3,
      lr: 0.02,
      ngram: 2,
      store,
      onEvent: (e) => {
        events.push(e);
      },
    });
    expect(events.filter((e) => e.type === 'ngram').map((e) => e.type === 'ngram' && e.order)).toEqual([
      1, 2,
    ]);
    expect(events.filter((e) => e.type === 'lm-eval')).toHaveLength(3);
    expect(r.saved.model).toBe('model');
    const saved = store.models.get('model')!;
    const { model, vocab, tokenizer } = openLanguageModel(saved.config, saved.stateDict, 'model');
    expect(tokenizer).toBeInstanceOf(WordTokenizer);
    const corpus = prepareLmCorpus(text, { tokenizer });
    expect(vocab.itos).toEqual(corpus.vocab.itos);
    expect((await evaluateLanguageModel(model, corpus.test)).nats).toBeCloseTo(r.test.nats, 5);
    // The periodic text is easy: the network ends far below the unigram model.
    expect(r.val.nats).toBeLessThan(r.ngrams[0]!.val.nats / 2);
    expect(r.beatsBaselines).toBe(r.val.nats < Math.min(...r.ngrams.map((s) => s.val.nats)));
    expect(JSON.parse(store.files.get('history.json') as string).valNats).toEqual(r.history.valNats);
  }, 60_000);

  it('names the option that is wrong', async () => {
    await expect(trainTextLanguageModel({ text: '' })).rejects.toThrow(
      new ValueError('text must be a non-empty string, got ""'),
    );
    await expect(trainTextLanguageModel({ text, bptt: 0 })).rejects.toThrow(
      /^bptt must be a positive integer, got 0$/,
    );
    await expect(
      trainTextLanguageModel({ text, tokenizer: 'bpe' as 'char', optionName: (k) => `--${k}` }),
    ).rejects.toThrow(/^--tokenizer must be 'char' or 'word', got "bpe"$/);
    await expect(trainTextLanguageModel({ text, tieWeights: true, embed: 8, hidden: 16 })).rejects.toThrow(
      /^tieWeights needs embed = hidden, got 8 and 16$/,
    );
  });
});
