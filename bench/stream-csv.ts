/**
 * Streams a generated ~1 GB labelled CSV through the word tokenizer and a token counter and
 * reports the peak resident memory, which must stay under 500 MB.
 *
 *   npx tsx bench/stream-csv.ts [--size-mb 1024] [--keep]
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { WordTokenizer } from '../src/data/tokenizers.js';
import { TokenCounter } from '../src/data/vocab.js';
import { streamTextFile } from '../src/io/datasets/text.js';
import { Generator } from '../src/tensor/random.js';

const args = process.argv.slice(2);
const sizeMb = Number(args[args.indexOf('--size-mb') + 1] ?? 1024) || 1024;
const keep = args.includes('--keep');
const path = '/tmp/kioku-stream-bench.csv';
const LIMIT_MB = 500;

/** Synthetic words with a Zipf-like frequency, some of them Japanese, plus punctuation. */
function wordList(gen: Generator): string[] {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const kana = 'あいうえおかきくけこさしすせそたちつてとなにぬねの映画最高';
  const words: string[] = [];
  for (let i = 0; i < 50_000; i++) {
    const alphabet = i % 10 === 9 ? kana : letters;
    const len = 2 + gen.randint(8);
    let w = '';
    for (let k = 0; k < len; k++) w += alphabet[gen.randint(alphabet.length)];
    words.push(w);
  }
  return words;
}

async function generate(bytes: number): Promise<void> {
  const gen = new Generator(1);
  const words = wordList(gen);
  const out = createWriteStream(path);
  out.write('id,text,label\n');
  let written = 0;
  let id = 0;
  while (written < bytes) {
    const rows: string[] = [];
    for (let r = 0; r < 2000; r++) {
      const n = 20 + gen.randint(200);
      const parts: string[] = [];
      for (let k = 0; k < n; k++) {
        // Squaring a uniform draw favours low ranks: frequent words stay frequent.
        const u = gen.random();
        parts.push(words[Math.floor(u * u * words.length)]!);
        if (k % 17 === 16) parts.push('!');
      }
      rows.push(`${id++},"${parts.join(' ')}, ""quoted""",${gen.randint(2) ? 'pos' : 'neg'}\n`);
    }
    const chunk = rows.join('');
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Peak resident set size of this process (Linux VmHWM), in MB; null elsewhere. */
async function peakRssMb(): Promise<number | null> {
  try {
    const status = await readFile('/proc/self/status', 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

const t0 = Date.now();
await generate(sizeMb * 1024 * 1024);
const fileMb = (await stat(path)).size / 1024 / 1024;
console.log(`generated ${path}: ${fileMb.toFixed(0)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

let sampledPeak = 0;
const timer = setInterval(() => {
  sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss);
}, 50);
const t1 = Date.now();
const tokenizer = new WordTokenizer();
const counter = new TokenCounter();
let tokens = 0;
const labels = new Map<string, number>();
for await (const row of streamTextFile(path)) {
  const toks = tokenizer.tokenize(row.text);
  tokens += toks.length;
  counter.add(toks);
  labels.set(row.label, (labels.get(row.label) ?? 0) + 1);
}
clearInterval(timer);
const seconds = (Date.now() - t1) / 1000;
const vocab = counter.toVocab({ maxSize: 20_000 });
const peak = (await peakRssMb()) ?? sampledPeak / 1024 / 1024;
console.log(
  `streamed ${counter.documents} rows, ${tokens} tokens, ${counter.size} distinct, vocab ${vocab.size} ` +
    `in ${seconds.toFixed(1)} s (${(fileMb / seconds).toFixed(1)} MB/s); labels ${JSON.stringify(Object.fromEntries(labels))}`,
);
console.log(`peak RSS: ${peak.toFixed(0)} MB (limit ${LIMIT_MB} MB) — ${peak < LIMIT_MB ? 'OK' : 'OVER'}`);
if (!keep) await rm(path, { force: true });
if (peak >= LIMIT_MB) process.exitCode = 1;
