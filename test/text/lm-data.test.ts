import { describe, expect, it } from 'vitest';
import { prepareLmCorpus, tokenizeLong } from '../../src/data/lm-corpus.js';
import { batchify, chunkCount, lmChunk, lmChunks, splitStream } from '../../src/data/lm-stream.js';
import { CharTokenizer, WordTokenizer } from '../../src/data/tokenizers.js';
import { DTypeError, ValueError } from '../../src/tensor/errors.js';

const range = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

describe('splitStream', () => {
  it('cuts the stream in order, 90/5/5 by default', () => {
    const s = splitStream(range(100));
    expect([...s.train]).toEqual([...range(90)]);
    expect([...s.val]).toEqual([90, 91, 92, 93, 94]);
    expect([...s.test]).toEqual([95, 96, 97, 98, 99]);
  });

  it('takes other fractions and rejects bad ones', () => {
    const s = splitStream(range(10), { val: 0.2, test: 0.1 });
    expect([s.train.length, s.val.length, s.test.length]).toEqual([7, 2, 1]);
    expect(() => splitStream(range(10), { val: 0.6, test: 0.5 })).toThrow(ValueError);
    expect(() => splitStream([1, 2, 3] as unknown as Int32Array)).toThrow(DTypeError);
  });
});

describe('batchify and chunks (PyTorch word_language_model layout, batch-first)', () => {
  it('makes B contiguous streams and drops the remainder', () => {
    const s = batchify(range(26), 4);
    expect(s.length).toBe(6);
    expect([...s.data]).toEqual([...range(24)]);
  });

  it('reads chunks of bptt steps whose targets are the next tokens; the last one is shorter', () => {
    const s = batchify(range(26), 4); // rows 0-5, 6-11, 12-17, 18-23
    expect(chunkCount(s, 4)).toBe(2);
    const [a, b] = [...lmChunks(s, 4)];
    expect(a!.inputs.shape).toEqual([4, 4]);
    expect(a!.inputs.tolist()).toEqual([
      [0, 1, 2, 3],
      [6, 7, 8, 9],
      [12, 13, 14, 15],
      [18, 19, 20, 21],
    ]);
    expect(a!.targets.tolist()).toEqual([
      [1, 2, 3, 4],
      [7, 8, 9, 10],
      [13, 14, 15, 16],
      [19, 20, 21, 22],
    ]);
    expect(b!.start).toBe(4);
    expect(b!.inputs.tolist()).toEqual([[4], [10], [16], [22]]);
    expect(b!.targets.tolist()).toEqual([[5], [11], [17], [23]]);
  });

  it("every token but each stream's first is a target exactly once per pass", () => {
    const s = batchify(range(103), 5);
    const seen: number[] = [];
    for (const c of lmChunks(s, 7)) seen.push(...c.targets.i32);
    expect(seen.sort((x, y) => x - y)).toEqual([...range(100)].filter((v) => v % 20 !== 0));
  });

  it('explains what is wrong', () => {
    expect(() => batchify(range(5), 3)).toThrow(/each stream needs at least 2/);
    expect(() => batchify(range(5), 0)).toThrow(/batch must be a positive integer/);
    expect(() => lmChunk(batchify(range(10), 2), 4, 2)).toThrow(/start must be an integer in \[0, 4\)/);
    expect(() => chunkCount(batchify(range(10), 2), 0)).toThrow(/bptt must be a positive integer/);
  });
});

describe('prepareLmCorpus', () => {
  it('builds the vocabulary from the training part only; later unseen tokens are <unk>', () => {
    const text = `${'abcab'.repeat(18)}xyzababaxy`; // 100 characters: 90 train, 5 val, 5 test
    const c = prepareLmCorpus(text, { tokenizer: new CharTokenizer(), val: 0.05, test: 0.05 });
    expect(c.vocab.itos).toEqual(['<pad>', '<unk>', 'a', 'b', 'c']);
    expect(c.train.length).toBe(90);
    expect(c.vocab.decode(c.val, { skipSpecial: false })).toEqual(['<unk>', '<unk>', '<unk>', 'a', 'b']);
    expect(c.vocab.decode(c.test, { skipSpecial: false })).toEqual(['a', 'b', 'a', '<unk>', '<unk>']);
    expect(c.unknownRate).toEqual({ val: 0.6, test: 0.4 });
  });

  it('works at word level and rejects a text too short to train on', () => {
    const c = prepareLmCorpus('the cat sat on the mat. the cat ran!', {
      tokenizer: new WordTokenizer({ punctuation: 'keep' }),
      val: 0.1,
      test: 0.1,
    });
    expect(c.vocab.decode(c.train)).toEqual(['the', 'cat', 'sat', 'on', 'the', 'mat', '.', 'the', 'cat']);
    expect(c.vocab.decode(c.val)).toEqual(['<unk>']);
    expect(c.vocab.decode(c.test)).toEqual(['<unk>']);
    expect(() => prepareLmCorpus('a', { tokenizer: new CharTokenizer() })).toThrow(/needs more text/);
    expect(() => prepareLmCorpus('abc', {} as never)).toThrow(/tokenizer must be a tokenizer/);
  });
});

describe('tokenizeLong', () => {
  it('gives the tokens of one tokenize call, cutting only after line breaks', () => {
    const line = 'Call me Ishmael — e\u0301te\u0301 👍🏽 ﬁn\r\n';
    const text = Array.from({ length: 40 }, (_, i) => `${i}: ${line}`).join('');
    for (const tokenizer of [new CharTokenizer(), new WordTokenizer({ punctuation: 'keep' })]) {
      const whole = tokenizer.tokenize(text);
      expect(tokenizeLong(tokenizer, text, 7)).toEqual(whole);
      expect(tokenizeLong(tokenizer, text, 1000)).toEqual(whole);
    }
    expect(new CharTokenizer().tokenize(line)).toContain('\r\n');
    expect(() => tokenizeLong(new CharTokenizer(), 'x', 0)).toThrow(/pieceSize/);
  });
});
