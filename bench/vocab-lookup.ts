/**
 * `tsx bench/vocab-lookup.ts [rounds]`: CPU time per e-mail to tokenize the served e-mails and look
 * their first 256 tokens up, with a `Map` (what `Vocab.id` did) and with `TokenTable` (what it
 * does), and tokenizing alone; the three alternate round by round, medians printed. Each e-mail is
 * tokenized afresh, as a served request's is, so the lookups meet strings whose hash V8 has not
 * computed yet.
 */
import { WordTokenizer } from '../src/data/tokenizers.js';
import { Vocab } from '../src/data/vocab.js';
import { TokenTable } from '../src/data/vocab-table.js';
import { loadSpamAssassin } from '../src/io/datasets/spam.js';

const rounds = Number(process.argv[2] ?? 9);
const corpus = await loadSpamAssassin({ headers: 'from-subject' });
const tokenizer = new WordTokenizer();
const vocab = Vocab.build(
  corpus.texts.slice(0, 2000).map((t) => tokenizer.tokenize(t)),
  { maxSize: 20000 },
);
const texts = corpus.texts.slice(0, 400);
const map = new Map(vocab.itos.map((t, i) => [t, i]));
const table = new TokenTable(vocab.itos);
let sink = 0;
const lookups: Record<string, (tokens: string[]) => void> = {
  'tokenize only': (tokens) => {
    sink += tokens.length;
  },
  'tokenize + Map.get': (tokens) => {
    const ids = new Int32Array(Math.min(tokens.length, 256));
    for (let i = 0; i < ids.length; i++) ids[i] = map.get(tokens[i]!) ?? 1;
    sink += ids[0] ?? 0;
  },
  'tokenize + TokenTable.id': (tokens) => {
    const ids = new Int32Array(Math.min(tokens.length, 256));
    for (let i = 0; i < ids.length; i++) ids[i] = table.id(tokens[i]!, 1);
    sink += ids[0] ?? 0;
  },
};
const times: Record<string, number[]> = Object.fromEntries(Object.keys(lookups).map((k) => [k, []]));
let k = 0;
for (let r = 0; r < rounds; r++) {
  for (const [name, f] of Object.entries(lookups)) {
    const start = process.cpuUsage();
    for (let i = 0; i < 4000; i++) f(tokenizer.tokenize(texts[k++ % texts.length]!));
    const used = process.cpuUsage(start);
    times[name]!.push((used.user + used.system) / 4000);
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
for (const [name, t] of Object.entries(times))
  console.log(`${name}: ${median(t).toFixed(1)} µs CPU per e-mail`);
if (sink < 0) console.log(sink);
