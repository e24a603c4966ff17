import { CHAR_CLASS, charClass } from '../../data/tokenizers.js';

let cached: string | null = null;

/** Numbers as Python list lines of at most ~100 characters. */
function pyList(name: string, values: number[]): string {
  const lines: string[] = [];
  let line = '';
  for (const v of values) {
    const item = `${v}, `;
    if (line.length + item.length > 96) {
      lines.push(line.trimEnd());
      line = '';
    }
    line += item;
  }
  if (line) lines.push(line.trimEnd());
  return `${name} = [\n${lines.map((l) => `    ${l}`).join('\n')}\n]\n`;
}

/**
 * char_classes.py: kioku's word-tokenizer character classes for every code point, as runs
 * (first code point, class bits), computed from the same Unicode tables the tokenizer uses, so
 * the Python tokenizer classifies every character as kioku does. Built once (about a second).
 */
export function charClassesModule(): string {
  if (cached !== null) return cached;
  const starts: number[] = [];
  const classes: number[] = [];
  for (let cp = 0, previous = -1; cp <= 0x10ffff; cp++) {
    const c = charClass(cp);
    if (c !== previous) {
      starts.push(cp);
      classes.push(c);
      previous = c;
    }
  }
  const { ALNUM, CJK, PUNCT, EMOJI } = CHAR_CLASS;
  cached = `"""Character classes of kioku's word tokenizer, written by kioku from its Unicode tables.

Code points RUN_STARTS[i] up to the next start have the class bits RUN_CLASSES[i]: ALNUM (letters,
marks and digits outside CJK), CJK (Han, Hiragana, Katakana), PUNCT (punctuation and symbols),
EMOJI (pictographs and regional indicators).
"""
ALNUM, CJK, PUNCT, EMOJI = ${ALNUM}, ${CJK}, ${PUNCT}, ${EMOJI}

${pyList('RUN_STARTS', starts)}
${pyList('RUN_CLASSES', classes)}`;
  return cached;
}
