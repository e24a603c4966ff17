import { ValueError } from '../tensor/errors.js';

/** Anything that turns a text into a list of string tokens. */
export interface Tokenizer {
  tokenize(text: string): string[];
  toJSON(): TokenizerJSON;
}

export type TokenizerJSON =
  | ({ type: 'word' } & Required<WordTokenizerOptions>)
  | ({ type: 'char' } & Required<CharTokenizerOptions>);

export interface WordTokenizerOptions {
  /** Lower-case the text first. Default true. */
  lowercase?: boolean;
  /** 'strip' drops punctuation and symbols; 'keep' makes each one a token. Default 'strip'. */
  punctuation?: 'strip' | 'keep';
  /**
   * How runs of Han, Hiragana and Katakana (written without spaces) are cut: 'char', one
   * token per character (default), or 'bigram', overlapping character pairs (a one-character
   * run stays one token).
   */
  cjk?: 'char' | 'bigram';
  /** Apply Unicode NFKC first (full-width Ｌｅｔｔｅｒｓ → Letters, half-width ｶﾅ → カナ). Default true. */
  normalize?: boolean;
}

// Emoji: flags (regional-indicator pairs) and pictographs with skin tones, variation
// selectors and zero-width-joiner sequences, kept whole. Sticky: tried at one position.
const EMOJI_AT = new RegExp(
  '\\p{Regional_Indicator}{2}|\\p{Extended_Pictographic}(?:\\p{Emoji_Modifier}|\\uFE0F|\\u20E3)*' +
    '(?:\\u200D\\p{Extended_Pictographic}(?:\\p{Emoji_Modifier}|\\uFE0F)*)*',
  'uy',
);

// Character classes as bit flags. ALNUM is letters, marks and digits outside CJK.
const ALNUM = 1;
const CJK = 2;
const PUNCT = 4;
const EMOJI = 8;
const TESTS: [number, RegExp][] = [
  [CJK, /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u30FC]/u],
  [ALNUM, /[\p{L}\p{M}\p{N}]/u],
  [PUNCT, /[\p{P}\p{S}]/u],
  [EMOJI, /[\p{Extended_Pictographic}\p{Regional_Indicator}]/u],
];

function classify(ch: string): number {
  let flags = 0;
  for (const [flag, re] of TESTS) if (re.test(ch)) flags |= flag;
  // CJK letters are cut by their own rule, never joined into words.
  return flags & CJK ? flags & ~ALNUM : flags;
}

/** The bits of {@link charClass}. */
export const CHAR_CLASS = { ALNUM, CJK, PUNCT, EMOJI } as const;

/**
 * The word tokenizer's classes of a code point as {@link CHAR_CLASS} bits, computed from the
 * Unicode tables (uncached; surrogates have none). The PyTorch project exporter writes them
 * out as a table so that Python tokenizes alike.
 */
export function charClass(cp: number): number {
  return cp >= 0xd800 && cp < 0xe000 ? 0 : classify(String.fromCodePoint(cp));
}

// A table for the Basic Multilingual Plane (built on first use, about 20 ms) and a cache for
// the rest: a table lookup per character is many times faster than a Unicode regex scan.
let bmp: Uint8Array | null = null;
const astral = new Map<number, number>();

function classOf(cp: number): number {
  if (cp < 0x10000) {
    if (bmp === null) {
      bmp = new Uint8Array(0x10000);
      for (let c = 0; c < 0x10000; c++) bmp[c] = charClass(c);
    }
    return bmp[cp]!;
  }
  let flags = astral.get(cp);
  if (flags === undefined) astral.set(cp, (flags = charClass(cp)));
  return flags;
}

/** Apostrophes and hyphens that stay inside a word (don't, state-of-the-art). */
function isJoiner(code: number): boolean {
  return code === 0x27 || code === 0x2d || code === 0x2019;
}

/**
 * Unicode-aware word tokenizer. Words are runs of letters, marks and digits (inner ' and -
 * kept); CJK runs are cut per character or into bigrams; emoji are tokens of their own;
 * punctuation is dropped or kept as single-character tokens.
 *
 *   new WordTokenizer().tokenize("Don't panic! 東京へ行く 🎉") →
 *     ["don't", 'panic', '東', '京', 'へ', '行', 'く', '🎉']
 */
export class WordTokenizer implements Tokenizer {
  readonly lowercase: boolean;
  readonly punctuation: 'strip' | 'keep';
  readonly cjk: 'char' | 'bigram';
  readonly normalize: boolean;

  constructor(options: WordTokenizerOptions = {}) {
    const { lowercase = true, punctuation = 'strip', cjk = 'char', normalize = true } = options;
    checkBool(lowercase, 'WordTokenizer', 'lowercase');
    checkBool(normalize, 'WordTokenizer', 'normalize');
    if (punctuation !== 'strip' && punctuation !== 'keep') {
      throw new ValueError(
        `WordTokenizer: punctuation must be 'strip' or 'keep', got ${String(punctuation)}`,
      );
    }
    if (cjk !== 'char' && cjk !== 'bigram') {
      throw new ValueError(`WordTokenizer: cjk must be 'char' or 'bigram', got ${String(cjk)}`);
    }
    this.lowercase = lowercase;
    this.punctuation = punctuation;
    this.cjk = cjk;
    this.normalize = normalize;
  }

  tokenize(text: string): string[] {
    if (typeof text !== 'string')
      throw new ValueError(`WordTokenizer.tokenize: text must be a string, got ${typeof text}`);
    if (this.normalize) text = text.normalize('NFKC');
    if (this.lowercase) text = text.toLowerCase();
    const out: string[] = [];
    const n = text.length;
    let i = 0;
    while (i < n) {
      let cp = text.codePointAt(i)!;
      let flags = classOf(cp);
      if (flags & EMOJI) {
        EMOJI_AT.lastIndex = i;
        const m = EMOJI_AT.exec(text);
        if (m !== null) {
          out.push(m[0]);
          i += m[0].length;
          continue;
        }
      }
      const start = i;
      i += cp > 0xffff ? 2 : 1;
      if (flags & CJK) {
        while (i < n && classOf((cp = text.codePointAt(i)!)) & CJK) i += cp > 0xffff ? 2 : 1;
        pushCjk(text.slice(start, i), this.cjk, out);
      } else if (flags & ALNUM) {
        for (;;) {
          while (i < n && (flags = classOf((cp = text.codePointAt(i)!))) & ALNUM) i += cp > 0xffff ? 2 : 1;
          if (i + 1 < n && isJoiner(text.charCodeAt(i)) && classOf(text.codePointAt(i + 1)!) & ALNUM) i++;
          else break;
        }
        out.push(text.slice(start, i));
      } else if (flags & PUNCT && this.punctuation === 'keep') {
        out.push(text.slice(start, i));
      }
    }
    return out;
  }

  toJSON(): TokenizerJSON {
    return {
      type: 'word',
      lowercase: this.lowercase,
      punctuation: this.punctuation,
      cjk: this.cjk,
      normalize: this.normalize,
    };
  }
}

function pushCjk(run: string, mode: 'char' | 'bigram', out: string[]): void {
  const chars = Array.from(run);
  if (mode === 'char' || chars.length === 1) {
    out.push(...chars);
    return;
  }
  for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
}

export interface CharTokenizerOptions {
  /** Lower-case the text first. Default false. */
  lowercase?: boolean;
  /** Apply Unicode NFKC first. Default true. */
  normalize?: boolean;
  /** Drop whitespace characters. Default false (a space is a token). */
  stripWhitespace?: boolean;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** True where a grapheme boundary must fall between text[i - 1] and text[i]: two ASCII characters
 * other than CR LF (no ASCII character extends, prepends or joins; Unicode's GB3-GB999). */
function asciiBoundary(text: string, i: number): boolean {
  const a = text.charCodeAt(i - 1);
  const b = text.charCodeAt(i);
  return a < 128 && b < 128 && !(a === 13 && b === 10);
}

/**
 * The user-perceived characters of `text`, as Intl.Segmenter gives them, with ASCII runs split
 * in JavaScript: the segmenter costs microseconds a character (20 s a million), so it only sees
 * the stretches between two certain boundaries that hold a non-ASCII character.
 */
export function splitGraphemes(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    let j = i + 1;
    while (j < text.length && !asciiBoundary(text, j)) j++;
    if (j === i + 1 || (j === i + 2 && text.charCodeAt(i) === 13 && text.charCodeAt(i + 1) === 10)) {
      out.push(text.slice(i, j));
    } else {
      for (const { segment } of graphemes.segment(text.slice(i, j))) out.push(segment);
    }
    i = j;
  }
  return out;
}

/**
 * Character-level tokenizer: one token per user-perceived character (grapheme cluster), so
 * an emoji with a skin tone or a letter with a combining accent stays one token.
 */
export class CharTokenizer implements Tokenizer {
  readonly lowercase: boolean;
  readonly normalize: boolean;
  readonly stripWhitespace: boolean;

  constructor(options: CharTokenizerOptions = {}) {
    const { lowercase = false, normalize = true, stripWhitespace = false } = options;
    checkBool(lowercase, 'CharTokenizer', 'lowercase');
    checkBool(normalize, 'CharTokenizer', 'normalize');
    checkBool(stripWhitespace, 'CharTokenizer', 'stripWhitespace');
    this.lowercase = lowercase;
    this.normalize = normalize;
    this.stripWhitespace = stripWhitespace;
  }

  tokenize(text: string): string[] {
    if (typeof text !== 'string')
      throw new ValueError(`CharTokenizer.tokenize: text must be a string, got ${typeof text}`);
    if (this.normalize) text = text.normalize('NFKC');
    if (this.lowercase) text = text.toLowerCase();
    const out: string[] = [];
    for (const segment of splitGraphemes(text)) {
      if (this.stripWhitespace && /^\s+$/u.test(segment)) continue;
      out.push(segment);
    }
    return out;
  }

  toJSON(): TokenizerJSON {
    return {
      type: 'char',
      lowercase: this.lowercase,
      normalize: this.normalize,
      stripWhitespace: this.stripWhitespace,
    };
  }
}

/** Rebuilds a tokenizer saved with `toJSON()`. */
export function tokenizerFromJSON(json: TokenizerJSON): WordTokenizer | CharTokenizer {
  if (typeof json !== 'object' || json === null) {
    throw new ValueError(`tokenizerFromJSON: expected an object, got ${String(json)}`);
  }
  const { type, ...options } = json;
  if (type === 'word') return new WordTokenizer(options as WordTokenizerOptions);
  if (type === 'char') return new CharTokenizer(options as CharTokenizerOptions);
  throw new ValueError(`tokenizerFromJSON: type must be 'word' or 'char', got ${String(type)}`);
}

function checkBool(value: unknown, what: string, name: string): void {
  if (typeof value !== 'boolean')
    throw new ValueError(`${what}: ${name} must be a boolean, got ${String(value)}`);
}
