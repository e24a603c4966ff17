import { describe, expect, it } from 'vitest';
import { WordTokenizer } from '../../src/data/tokenizers.js';
import { Vocab } from '../../src/data/vocab.js';
import { TokenTable } from '../../src/data/vocab-table.js';
import { loadSpamAssassin } from '../../src/io/datasets/spam.js';

describe('TokenTable: the vocabulary lookup', () => {
  it('gives every token of a real vocabulary its id, and the missing id to tokens it lacks', async () => {
    const corpus = await loadSpamAssassin({ headers: 'from-subject' });
    const tokenizer = new WordTokenizer();
    const lists = corpus.texts.slice(0, 300).map((t) => tokenizer.tokenize(t));
    const vocab = Vocab.build(lists.slice(0, 200), { maxSize: 3000 });
    const expected = new Map(vocab.itos.map((t, i) => [t, i]));
    // Fresh strings (as a tokenizer makes them), held and unheld, looked up one by one.
    let unknown = 0;
    for (const tokens of lists) {
      for (const t of tokens) {
        const want = expected.get(t) ?? 1;
        if (want === 1) unknown++;
        expect(vocab.id(t)).toBe(want);
      }
    }
    expect(unknown).toBeGreaterThan(100);
    expect(vocab.itos.every((t, i) => vocab.id(`${t}`) === i)).toBe(true);
  }, 60_000);

  it('probes past collisions in a crowded table and tells apart tokens of equal length', () => {
    const tokens = ['<pad>', '<unk>', 'ab', 'ba', 'aab', 'é', '東京', '🎉', '', 'a'.repeat(40)];
    const table = new TokenTable(tokens);
    tokens.forEach((t, i) => {
      expect(table.id(t, -7)).toBe(i);
    });
    for (const t of ['aa', 'bb', 'abc', 'e', '東', '🎉🎉', 'a'.repeat(39)]) expect(table.id(t, -7)).toBe(-7);
    expect(table.id(3 as unknown as string, -7)).toBe(-7);
  });
});
