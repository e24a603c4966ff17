import { describe, expect, it } from 'vitest';
import { CharTokenizer, tokenizerFromJSON, WordTokenizer } from '../../src/data/tokenizers.js';
import { TokenCounter, Vocab } from '../../src/data/vocab.js';
import { IndexError, ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';

describe('WordTokenizer', () => {
  it('splits English words, keeps inner apostrophes and hyphens, lower-cases', () => {
    const t = new WordTokenizer();
    expect(t.tokenize("This movie wasn't bad -- a well-made, 10/10 film!")).toEqual([
      'this',
      'movie',
      "wasn't",
      'bad',
      'a',
      'well-made',
      '10',
      '10',
      'film',
    ]);
    expect(new WordTokenizer({ lowercase: false, punctuation: 'keep' }).tokenize('Hi, Bob!')).toEqual([
      'Hi',
      ',',
      'Bob',
      '!',
    ]);
  });

  it('handles accents, Cyrillic and full-width letters', () => {
    expect(new WordTokenizer().tokenize('Naïve café. Привет, МИР! ＦＵＬＬ')).toEqual([
      'naïve',
      'café',
      'привет',
      'мир',
      'full',
    ]);
  });

  it('cuts Japanese per character by default and into bigrams on request', () => {
    const text = '私は東京に住んでいます。カレーが好き';
    expect(new WordTokenizer().tokenize(text)).toEqual(Array.from('私は東京に住んでいますカレーが好き'));
    expect(new WordTokenizer({ cjk: 'bigram', punctuation: 'keep' }).tokenize('東京都。猫')).toEqual([
      '東京',
      '京都',
      '。',
      '猫',
    ]);
    // Latin words inside Japanese text stay words.
    expect(new WordTokenizer().tokenize('iPhoneを買った')).toEqual(['iphone', 'を', '買', 'っ', 'た']);
  });

  it('keeps emoji as tokens, whole with skin tones, ZWJ sequences and flags', () => {
    expect(new WordTokenizer().tokenize('great😀movie 👍🏽 👨‍👩‍👧 🇯🇵!')).toEqual([
      'great',
      '😀',
      'movie',
      '👍🏽',
      '👨‍👩‍👧',
      '🇯🇵',
    ]);
  });

  it('round-trips through JSON and validates options', () => {
    const t = new WordTokenizer({ cjk: 'bigram', lowercase: false });
    const back = tokenizerFromJSON(JSON.parse(JSON.stringify(t)));
    expect(back).toBeInstanceOf(WordTokenizer);
    expect(back.toJSON()).toEqual(t.toJSON());
    expect(() => new WordTokenizer({ cjk: 'word' as 'char' })).toThrow(
      /cjk must be 'char' or 'bigram', got word/,
    );
    expect(() => tokenizerFromJSON({ type: 'bpe' } as never)).toThrow(ValueError);
    expect(() => new WordTokenizer().tokenize(5 as unknown as string)).toThrow(/text must be a string/);
  });
});

// The reference definition: the scanner in WordTokenizer must cut exactly like this regex.
const CJKC = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\u30FC';
const ALNUM = `[[\\p{L}\\p{M}\\p{N}]--[${CJKC}]]`;
const ORACLE = new RegExp(
  '(\\p{Regional_Indicator}{2}|\\p{Extended_Pictographic}(?:\\p{Emoji_Modifier}|\\uFE0F|\\u20E3)*' +
    '(?:\\u200D\\p{Extended_Pictographic}(?:\\p{Emoji_Modifier}|\\uFE0F)*)*)' +
    `|([${CJKC}]+)|(${ALNUM}+(?:['’\\-]${ALNUM}+)*)|([\\p{P}\\p{S}])`,
  'gv',
);

describe('WordTokenizer scanner', () => {
  it('matches the reference regex on random mixed-script text', () => {
    const pieces = Array.from(
      "aZ9é'’-–.,!?@#$%^&*()<>/ \t\n\u0301\u00a0東京のカタカナーひらがな한국어привет١٢٣ℹ©☀️😀👍🏽\u200d👨‍👩‍👧🇯🇵🇫\ufe0f\u20e3𠀋x",
    );
    const gen = new Generator(11);
    const tok = new WordTokenizer({ punctuation: 'keep', lowercase: false, normalize: false });
    for (let trial = 0; trial < 2000; trial++) {
      let text = '';
      const len = gen.randint(30);
      for (let k = 0; k < len; k++) text += pieces[gen.randint(pieces.length)];
      const expected: string[] = [];
      for (const m of text.matchAll(ORACLE)) {
        if (m[2] !== undefined) expected.push(...Array.from(m[2]));
        else expected.push(m[0]);
      }
      expect(tok.tokenize(text), JSON.stringify(text)).toEqual(expected);
    }
  });
});

describe('CharTokenizer', () => {
  it('splits grapheme clusters', () => {
    expect(new CharTokenizer().tokenize('ne\u0301 日本👍🏽')).toEqual(['n', 'é', ' ', '日', '本', '👍🏽']);
    expect(new CharTokenizer({ lowercase: true, stripWhitespace: true }).tokenize('A b\tC')).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(tokenizerFromJSON(new CharTokenizer().toJSON())).toBeInstanceOf(CharTokenizer);
  });
});

describe('Vocab', () => {
  const docs = [
    ['the', 'cat', 'sat'],
    ['the', 'dog', 'sat'],
    ['a', 'dog', 'the'],
  ];

  it('reserves <pad>=0 and <unk>=1 and orders by frequency, ties by first appearance', () => {
    const v = Vocab.build(docs);
    expect(v.itos).toEqual(['<pad>', '<unk>', 'the', 'sat', 'dog', 'cat', 'a']);
    const lex = Vocab.build(docs, { tieBreak: 'lexical', bos: true, eos: true });
    expect(lex.itos).toEqual(['<pad>', '<unk>', '<bos>', '<eos>', 'the', 'dog', 'sat', 'a', 'cat']);
    expect([lex.bosId, lex.eosId]).toEqual([2, 3]);
  });

  it('applies minFreq and maxSize', () => {
    expect(Vocab.build(docs, { minFreq: 2 }).itos).toEqual(['<pad>', '<unk>', 'the', 'sat', 'dog']);
    expect(Vocab.build(docs, { maxSize: 4 }).itos).toEqual(['<pad>', '<unk>', 'the', 'sat']);
    expect(() => Vocab.build(docs, { maxSize: 1 })).toThrow(/maxSize must be an integer ≥ 2/);
    expect(() => Vocab.build(docs, { minFreq: 0 })).toThrow(ValueError);
    expect(() => Vocab.build(['the cat'] as never)).toThrow(/got a string/);
  });

  it('encodes, decodes and truncates head, tail and head+tail', () => {
    const v = Vocab.build(docs, { bos: true, eos: true });
    const ids = v.encode(['the', 'cat', 'zebra'], { addBos: true, addEos: true });
    expect(Array.from(ids)).toEqual([2, 4, 7, 1, 3]);
    expect(v.decode(ids)).toEqual(['the', 'cat', '<unk>']);
    expect(v.decode(ids, { skipSpecial: false })).toEqual(['<bos>', 'the', 'cat', '<unk>', '<eos>']);
    const long = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
    const w = Vocab.build([long]);
    const dec = (o: object) => w.decode(w.encode(long, o));
    expect(dec({ maxLength: 4 })).toEqual(['a', 'b', 'c', 'd']);
    expect(dec({ maxLength: 4, truncation: 'tail' })).toEqual(['g', 'h', 'i', 'j']);
    expect(dec({ maxLength: 8, truncation: 'headTail' })).toEqual(['a', 'b', 'e', 'f', 'g', 'h', 'i', 'j']);
    expect(dec({ maxLength: 20 })).toEqual(long);
    expect(() => w.encode(long, { addBos: true })).toThrow(/bos: true/);
    expect(() => w.token(99)).toThrow(IndexError);
  });

  it('round-trips through JSON and rejects broken JSON', () => {
    const v = Vocab.build(docs, { eos: true });
    const back = Vocab.fromJSON(JSON.parse(JSON.stringify(v)));
    expect(back.itos).toEqual(v.itos);
    expect(back.eosId).toBe(2);
    expect(Array.from(back.encode(['dog', 'cat'], { addEos: true }))).toEqual([5, 6, 2]);
    const json = v.toJSON();
    expect(() => Vocab.fromJSON({ ...json, format: 'x' as 'kioku-vocab' })).toThrow(/format/);
    expect(() => Vocab.fromJSON({ ...json, tokens: ['<unk>', '<pad>'] })).toThrow(
      /tokens\[0\] must be the special token <pad>/,
    );
    expect(() => Vocab.fromJSON({ ...json, tokens: [...json.tokens, 'the'] })).toThrow(/appears twice/);
  });

  it('builds from an async stream the same vocabulary as from a list', async () => {
    async function* stream() {
      yield* docs;
    }
    expect((await Vocab.buildAsync(stream())).itos).toEqual(Vocab.build(docs).itos);
    const c = new TokenCounter().add(['x', 'y', 'x']);
    expect([c.count('x'), c.size, c.documents]).toEqual([2, 2, 1]);
  });
});
