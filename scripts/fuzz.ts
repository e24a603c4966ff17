/**
 * Fuzzes every loader: npx tsx scripts/fuzz.ts [cases per loader=10000] [seed=1] [loader…]
 * Loaders: safetensors, torch, config, vocab, csv, jsonl, series, imdb (default: all). Every case must
 * load to a consistent result or throw a KiokuError, within a bounded time; exits 1 otherwise.
 * Prints the outcome counts per kind of damage, the slowest case and the peak RSS.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../test/interop/torch-fuzz.js';
import * as safetensors from '../test/io/safetensors-fuzz.js';
import { checkCase, fuzzCase, LOADERS, type Loader } from '../test/reliability/loader-fuzz.js';

const ALL = ['safetensors', 'torch', ...LOADERS] as const;
type Name = (typeof ALL)[number];

const cases = Number(process.argv[2] ?? 10_000);
const seed = Number(process.argv[3] ?? 1);
const chosen = process.argv.slice(4);
if (
  !Number.isSafeInteger(cases) ||
  cases < 1 ||
  !Number.isSafeInteger(seed) ||
  chosen.some((n) => !(ALL as readonly string[]).includes(n))
) {
  console.error(`usage: npx tsx scripts/fuzz.ts [cases >= 1] [integer seed] [${ALL.join('|')} …]`);
  process.exit(2);
}
const names = (chosen.length ? chosen : ALL) as Name[];

const scratch = await mkdtemp(join(tmpdir(), 'kioku-fuzz-'));
const failures: string[] = [];
let peakRss = process.memoryUsage().rss;
const start = performance.now();
for (const name of names) {
  const counts = new Map<string, { loaded: number; rejected: number }>();
  let slowest = 0;
  let failed = 0;
  const t0 = performance.now();
  for (let i = 0; i < cases; i++) {
    const t = performance.now();
    let mutation: string;
    try {
      let outcome: 'loaded' | 'rejected';
      if (name === 'safetensors') {
        const c = safetensors.fuzzCase(seed, i);
        mutation = c.mutation;
        outcome = safetensors.checkCase(c.bytes) === 'parsed' ? 'loaded' : 'rejected';
      } else if (name === 'torch') {
        const c = torch.fuzzCase(seed, i);
        mutation = c.mutation;
        outcome = torch.checkCase(c.bytes) === 'read' ? 'loaded' : 'rejected';
      } else {
        const c = fuzzCase(name as Loader, seed, i);
        mutation = c.mutation;
        outcome = await checkCase(c, scratch);
      }
      const row = counts.get(mutation) ?? { loaded: 0, rejected: 0 };
      row[outcome]++;
      counts.set(mutation, row);
    } catch (e) {
      failed++;
      failures.push(`${name} case ${i}: ${(e as Error).message}`);
    }
    slowest = Math.max(slowest, performance.now() - t);
    if (i % 256 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `${name}: ${cases} cases in ${secs.toFixed(1)} s, slowest ${slowest.toFixed(1)} ms, ${failed} failures`,
  );
  for (const [m, c] of counts) console.log(`  ${m.padEnd(16)} loaded ${c.loaded}  rejected ${c.rejected}`);
}
await rm(scratch, { recursive: true, force: true });
peakRss = Math.max(peakRss, process.memoryUsage().rss);
console.log(
  `total ${((performance.now() - start) / 1000).toFixed(1)} s, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
);
if (failures.length) {
  // One line per kind of failure (numbers and paths blurred), with a count and the first case.
  const kinds = new Map<string, { count: number; first: string }>();
  for (const f of failures) {
    const key = f
      .replace(/case \d+/, '')
      .replace(/'[^']*'/g, 'PATH')
      .replace(/-?\d[\d.e+]*/g, 'N');
    const k = kinds.get(key) ?? { count: 0, first: f };
    k.count++;
    kinds.set(key, k);
  }
  console.error(`${failures.length} failures of ${kinds.size} kinds:`);
  for (const { count, first } of kinds.values()) console.error(`  ${String(count).padStart(5)} × ${first}`);
  process.exit(1);
}
