import { describe, expect, it } from 'vitest';
import { splitGraphemes } from '../../src/data/tokenizers.js';

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const bySegmenter = (text: string) => Array.from(segmenter.segment(text), (s) => s.segment);

// Pieces that join with their neighbours: combining marks, emoji ZWJ sequences and modifiers,
// regional-indicator flags, Hangul jamo, an Arabic prepend mark, Devanagari conjuncts, CR LF,
// a keycap, lone surrogates.
const pieces = [
  'a',
  'e',
  ' ',
  '\n',
  '\r',
  '\r\n',
  '1',
  '#',
  '.',
  'é',
  '\u0301',
  '\u0308',
  '👩',
  '\u200d',
  '💻',
  '👍🏽',
  '\u{1F1EF}',
  '\u{1F1F5}',
  '\u1100',
  '\u1161',
  '\u11A8',
  '\u0600',
  'क',
  '\u094D',
  'ष',
  '\uFE0F',
  '\u20E3',
  '\uD800',
  '\uDC00',
  '李',
  'ß',
  '\t',
];

describe('splitGraphemes', () => {
  it('gives what Intl.Segmenter gives on random mixtures of joining characters', () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let trial = 0; trial < 3000; trial++) {
      const n = 1 + Math.floor(next() * 12);
      let text = '';
      for (let k = 0; k < n; k++) text += pieces[Math.floor(next() * pieces.length)];
      expect(splitGraphemes(text)).toEqual(bySegmenter(text));
    }
  });

  it('splits ASCII text one character at a time, keeping CR LF whole', () => {
    expect(splitGraphemes('ab\r\nc\n\r')).toEqual(['a', 'b', '\r\n', 'c', '\n', '\r']);
    expect(splitGraphemes('')).toEqual([]);
  });
});
