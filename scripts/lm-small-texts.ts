/**
 * `kioku train lm`'s recipe with its defaults (or the options given) on texts of several sizes,
 * beside its Kneser-Ney n-gram baselines: slices of Moby Dick and a text no issue names, the
 * README files of the installed npm packages. A measurement, not a test:
 *
 *   npx tsx scripts/lm-small-texts.ts --texts moby-20k,moby-80k,moby-300k,readmes --tokenizers char,word
 *
 * Options: --texts (moby-<N>k: the book's first N thousand characters; readmes: node_modules'
 * top-level README.md files in name order, 200,000 characters), --tokenizers char,word, and any
 * option of the recipe as a number (--hidden 128 --embed 64 --epochs 20 --dropout 0.2 --seed 1
 * --minutes 5), --tie-weights true|false. Prints one line per run and a markdown table.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../src/backend/native/init.js';
import { trainTextLanguageModel } from '../src/train/recipes/language-model.js';
import type { LanguageModelOptions } from '../src/train/recipes/language-model-options.js';
import { mobyDickText } from './moby-dick.js';

function args(): Record<string, string> {
  const out: Record<string, string> = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i]!.replace(/^--/, '')] = argv[i + 1]!;
  return out;
}

const README_CHARS = 200_000;

function readmes(): string {
  const parts: string[] = [];
  let n = 0;
  for (const name of readdirSync('node_modules').sort()) {
    const file = join('node_modules', name, 'README.md');
    if (name.startsWith('.') || name.startsWith('@') || !existsSync(file)) continue;
    const t = readFileSync(file, 'utf8');
    parts.push(t);
    n += t.length;
    if (n >= README_CHARS) break;
  }
  return parts.join('\n').slice(0, README_CHARS);
}

function textOf(name: string): string {
  if (name === 'readmes') return readmes();
  const m = /^moby-(\d+)k$/.exec(name);
  if (!m) throw new Error(`unknown text ${name}: moby-<N>k or readmes`);
  return mobyDickText().slice(0, Number(m[1]) * 1000);
}

const NUMERIC = [
  'hidden',
  'embed',
  'layers',
  'dropout',
  'batch',
  'bptt',
  'lr',
  'epochs',
  'vocabSize',
  'seed',
];

function overrides(a: Record<string, string>): Partial<LanguageModelOptions> {
  const o: Record<string, unknown> = {};
  for (const k of NUMERIC) if (a[k] !== undefined) o[k] = Number(a[k]);
  if (a['tie-weights'] !== undefined) o.tieWeights = a['tie-weights'] === 'true';
  if (a.minutes !== undefined) o.maxSeconds = Number(a.minutes) * 60;
  return o as Partial<LanguageModelOptions>;
}

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function main() {
  initBackend();
  const a = args();
  const rows: string[] = [];
  for (const name of (a.texts ?? 'moby-20k,moby-80k,moby-300k,readmes').split(',')) {
    const text = textOf(name);
    for (const tokenizer of (a.tokenizers ?? 'char,word').split(',') as ('char' | 'word')[]) {
      const cpu = cpuSeconds();
      let params = 0;
      const r = await trainTextLanguageModel({
        text,
        tokenizer,
        ...overrides(a),
        onEvent: (e) => {
          if (e.type === 'model') params = e.parameters;
        },
      });
      const t = r.config.training as Record<string, number>;
      const best = r.bestNgram!;
      const verdict = r.beatsBaselines ? 'yes' : 'NO';
      const line = `| ${name} | ${tokenizer} | ${r.tokens === 0 ? 0 : Math.round(r.tokens / r.steps)}×${r.steps} | ${t.hidden}/${t.embed}${t.tieWeights ? ' tied' : ''} | ${params} | ${t.epochs} | ${r.val.nats.toFixed(3)} | ${best.order}-gram ${best.val.nats.toFixed(3)} | ${verdict} | ${r.test.nats.toFixed(3)} / ${best.test.nats.toFixed(3)} | ${(cpuSeconds() - cpu).toFixed(0)} |`;
      const h = r.history;
      const at = h.valNats.indexOf(Math.min(...h.valNats));
      console.log(
        line,
        `best at epoch ${h.epoch[at]?.toFixed(1)} of ${t.epochs} (train ${h.trainNats[at]?.toFixed(3)})`,
        `vocab ${(r.config.vocab as { tokens: string[] }).tokens.length}`,
        r.stopReason,
      );
      rows.push(line);
    }
  }
  console.log(
    '\n| text | unit | tokens/step × steps | hidden/embed | weights | epochs | val nats (LM) | best n-gram val | LM wins | test LM / n-gram | CPU s |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

await main();
