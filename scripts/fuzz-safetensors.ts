/**
 * Fuzzes the safetensors reader: npx tsx scripts/fuzz-safetensors.ts [cases=10000] [seed=1]
 * Every case must parse to a consistent file or throw SafetensorsError; exits 1 otherwise.
 */
import { checkCase, fuzzCase, MUTATIONS } from '../test/io/safetensors-fuzz.js';

const cases = Number(process.argv[2] ?? 10_000);
const seed = Number(process.argv[3] ?? 1);
if (!Number.isSafeInteger(cases) || cases < 1 || !Number.isSafeInteger(seed)) {
  console.error('usage: npx tsx scripts/fuzz-safetensors.ts [cases >= 1] [integer seed]');
  process.exit(2);
}

const counts = new Map(MUTATIONS.map((m) => [m, { parsed: 0, rejected: 0 }]));
const failures: string[] = [];
let slowest = 0;
const start = performance.now();
for (let i = 0; i < cases; i++) {
  const c = fuzzCase(seed, i);
  const t0 = performance.now();
  try {
    counts.get(c.mutation)![checkCase(c.bytes)]++;
  } catch (e) {
    failures.push(`case ${i} (${c.mutation}): ${(e as Error).message}`);
  }
  slowest = Math.max(slowest, performance.now() - t0);
}
const elapsed = (performance.now() - start) / 1000;
console.log(`${cases} cases, seed ${seed}, ${elapsed.toFixed(1)} s, slowest case ${slowest.toFixed(1)} ms`);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
for (const [m, c] of counts) console.log(`  ${m.padEnd(18)} parsed ${c.parsed}  rejected ${c.rejected}`);
if (failures.length) {
  console.error(`${failures.length} failures:\n${failures.slice(0, 20).join('\n')}`);
  process.exit(1);
}
