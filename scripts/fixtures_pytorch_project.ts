/**
 * Fixtures for test/interop/pytorch-project.test.ts: what the exported project's data.py (run
 * with Debian's python3-torch) computes from texts, so the test can hold kioku's
 * own pipeline to it without Python.
 *
 *   npx tsx scripts/fixtures_pytorch_project.ts
 *
 * Writes fixtures/pytorch-project/pipeline.json: for several tokenizer settings, the tokens and
 * ids of a set of hard texts (scripts, normalisation, emoji, punctuation, truncation), the
 * vocabulary data.py builds, a seeded subsample and stratified split.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { charClassesModule } from '../src/io/pytorch-project/char-classes.js';
import { DATA_PY } from '../src/io/pytorch-project/data-py.js';

const OUT = new URL('../fixtures/pytorch-project/', import.meta.url);

const TEXTS = [
  "Don't panic! 東京へ行く 🎉",
  'state-of-the-art models, a well‐known “quote” and rock’n’roll',
  'WIN a FREE cruise!!! Click http://example.com/offer?id=42 now, $1,000.00 cash',
  'ＦＵＬＬ－ｗｉｄｔｈ ＡＢＣ ｶﾀｶﾅ ① Ⅻ ﬁne ㎏',
  'İstanbul ΟΔΟΣ Straße naïve café ǅemal',
  'नमस्ते दुनिया — مرحبا بالعالم — สวัสดีครับ — 안녕하세요 세계',
  '👍🏽 👨‍👩‍👧‍👦 🇯🇵🇫🇷 🇯 1️⃣ ❤️ ©2024 ™ ☃',
  '日本語のテキストと中文文本、한국어 ー カタカナー',
  'tabs\tand\nnew lines\r\nand\u00a0non-breaking\u3000spaces \u200bzero\u200dwidth',
  "it's 3.14 or 2,5 — 10% off -- e-mail: a.b@c.de #tag @user",
  '',
  '   ',
  '!!! ??? ...',
  "a-b-c d--e f- -g 'h i' j’k",
  'Ａａ𝐀𝐚 𝟙𝟚 Ⓐ ﹏ ＿ 〜',
  'the the the the a a a b b c',
];

const SETTINGS = [
  { lowercase: true, punctuation: 'strip', cjk: 'char', normalize: true },
  { lowercase: true, punctuation: 'keep', cjk: 'bigram', normalize: true },
  { lowercase: false, punctuation: 'keep', cjk: 'char', normalize: false },
] as const;

const PYTHON = `
import json, sys
sys.path.insert(0, sys.argv[1])
import data
inp = json.loads(open(sys.argv[2], encoding='utf-8').read())
out = {'settings': []}
labels = [i % 3 for i in range(len(inp['texts']) * 4)]
for s in inp['settings']:
    tok = data.WordTokenizer(**s)
    tokens = [tok.tokenize(t) for t in inp['texts']]
    vocab = data.Vocab.build(tokens[:10], max_size=40, min_freq=1)
    lexical = data.Vocab.build(tokens, max_size=30, min_freq=2, tie_break='lexical')
    ids = {tr: [data.TextEncoder(tok, vocab, 6, tr)(t) for t in inp['texts']] for tr in ('head', 'tail', 'headTail')}
    out['settings'].append({'tokenizer': s, 'tokens': tokens, 'vocab': vocab.itos, 'lexicalVocab': lexical.itos, 'ids': ids})
items = list(range(len(labels)))
sub = data.subsample(items, 40, 11)
out['subsample'] = sub
out['split'] = data.train_val_test_split([labels[i] for i in sub], 0.1, 0.2, 5)
out['classNames'] = [data.class_names(v) for v in inp['classNames']]
out['numberStrings'] = [data.js_number_str(x) for x in inp['numbers']]
print(json.dumps(out, ensure_ascii=False))
`;

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'kioku-pyproject-'));
  try {
    writeFileSync(join(dir, 'data.py'), DATA_PY);
    writeFileSync(join(dir, 'char_classes.py'), charClassesModule());
    const input = {
      texts: TEXTS,
      settings: SETTINGS,
      classNames: [
        ['pos', 'neg', 'Neutral', 'émoji', '😀', '\uff41', 'a'],
        ['10', '2', ' 1 ', '1.0', '0x1A', '-3', '1e1'],
        ['1', 'one'],
      ],
      numbers: [1, 1.5, -0.1, 1e21, 1e-7, 123456789012345680000, 0.000001, 2 ** 53, 1 / 3, 100],
    };
    writeFileSync(join(dir, 'input.json'), JSON.stringify(input));
    const stdout = execFileSync('/usr/bin/python3', ['-c', PYTHON, dir, join(dir, 'input.json')], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    const result = { ...input, ...JSON.parse(stdout) };
    writeFileSync(new URL('pipeline.json', OUT), `${JSON.stringify(result)}\n`);
    console.log(`wrote ${new URL('pipeline.json', OUT).pathname}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
