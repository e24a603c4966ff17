/*
 * Two versions of `kioku serve` on one workload, interleaved: `tsx bench/serve-ab.ts A B workload
 * [rounds] [seconds] [off]`. A and B are checkouts (B is usually this one; A a copy of the code
 * before a change, its node_modules and native/build linked to this checkout's); each round loads a
 * server of each in turn (A first in odd rounds, B first in even ones) with autocannon for
 * `seconds` (default 4) after a warm-up (KIOKU_AB_WARMUP seconds, default 3: a fresh server
 * still compiles its hot paths in the first seconds, which would count), micro-batching on (`off`: unbatched), and reads the
 * server's CPU time per request from /proc, which suffers much less than requests/s from a shared
 * machine; with two cores or more the servers run on core 0 and autocannon (this process) on core 1
 * (bench/serve-setup.ts, PINNING), and each run says what share of its core autocannon used.
 * KIOKU_AB_FLAGS_A and KIOKU_AB_FLAGS_B give either server other flags (A and B may then
 * be the same checkout: `KIOKU_AB_FLAGS_B='--max-batch-wait 10' tsx bench/serve-ab.ts . . seed`).
 * Prints every run and the medians. Workloads: those of bench/serve-setup.ts
 * (text, seed, short, largeShort, series, session, seriesSession), seriesLong: 1000-row
 * histories to the forecaster, and live: GET /v2/health/live (what HTTP alone and autocannon allow).
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import {
  cycling,
  pinClient,
  type Req,
  releaseModels,
  sessionRequests,
  startServer,
  statelessRequests,
  stopServer,
  timedLoad,
  trainModels,
} from './serve-setup.js';

const [rootA, rootB, workload] = process.argv.slice(2, 5);
const CONNECTIONS = Number(process.env.KIOKU_AB_CONNECTIONS ?? 32);
const ROUNDS = Number(process.argv[5] ?? 5);
const SECONDS = Number(process.argv[6] ?? 4);
/** Untimed load before each run: a fresh server's JIT compiles, and the first seconds cost more. */
const WARMUP = Number(process.env.KIOKU_AB_WARMUP ?? 3);
const BATCHING = process.argv[7] !== 'off';
if (!rootA || !rootB || !workload) {
  process.stderr.write('usage: tsx bench/serve-ab.ts A B workload [rounds] [seconds] [off]\n');
  process.exit(2);
}

const pinning = pinClient();
const m = await trainModels();
const st = statelessRequests(m);
const se = sessionRequests(m);
const workloads: Record<string, { model: string; requests: Req[] }> = {
  text: { model: 'text', requests: st.text },
  seed: { model: 'seed', requests: st.seed },
  short: { model: 'seed', requests: st.short },
  largeShort: { model: 'large', requests: st.largeShort },
  series: { model: 'series', requests: st.series },
  session: { model: 'seed', requests: se.seed },
  seriesSession: { model: 'series', requests: se.series },
  live: { model: 'seed', requests: [{ method: 'GET', path: '/v2/health/live' }] },
  // A client that sends far more history than the model reads (1000 rows; it reads 60).
  seriesLong: {
    model: 'series',
    requests: cycling(
      { method: 'POST', path: '/v1/models/series:predict' },
      Array.from({ length: 64 }, (_, k) => {
        const start = (k * 5) % (m.rows.length - 1000);
        return {
          history: m.rows.slice(start, start + 1000),
          dates: m.dates.slice(start, start + 1000),
          steps: 7,
        };
      }),
    ),
  },
};
const w = workloads[workload];
if (!w) throw new Error(`workload must be one of ${Object.keys(workloads).join(', ')}, got ${workload}`);
const path = { text: m.text, seed: m.seed, large: m.large, series: m.series }[w.model]!;
const flags = BATCHING ? ['--max-batch-size', '32', '--max-batch-wait', '2'] : ['--no-batching'];
/** KIOKU_AB_FLAGS_A / _B: the server flags of A or B instead (to compare batching settings). */
const flagsOf = (which: 'A' | 'B') => process.env[`KIOKU_AB_FLAGS_${which}`]?.split(' ') ?? flags;

/** One loaded run of a server from `root`: requests/s, p99, CPU µs per request, and the client's share of a core. */
async function runOnce(which: 'A' | 'B') {
  const root = which === 'A' ? rootA! : rootB!;
  const s = await startServer([`${w!.model}=${path}`], flagsOf(which), [], resolve(root));
  try {
    const options = {
      url: s.url,
      connections: CONNECTIONS,
      requests: w!.requests,
      headers: { 'content-type': 'application/json' },
    };
    await autocannon({ ...options, duration: WARMUP });
    const { result: r, serverCpu: cpu, clientShare } = await timedLoad(s, options, SECONDS);
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`${root}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    return {
      rps: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      cpuUs: (cpu * 1e6) / r.requests.total,
      clientShare,
    };
  } finally {
    await stopServer(s);
  }
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const load0 = loadavg();
const runs: Record<'A' | 'B', Array<Awaited<ReturnType<typeof runOnce>>>> = { A: [], B: [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    const order: Array<'A' | 'B'> = round % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
    for (const which of order) {
      const r = await runOnce(which);
      runs[which].push(r);
      process.stdout.write(
        `round ${round + 1} ${which}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.cpuUs.toFixed(0)} µs CPU/request, autocannon ${(r.clientShare * 100).toFixed(0)}% of a core\n`,
      );
    }
  }
} finally {
  await releaseModels(m);
}
const f1 = (v: number) => v.toFixed(1);
for (const which of ['A', 'B'] as const) {
  const r = runs[which];
  process.stdout.write(
    `${which} (${flagsOf(which).join(' ')}) median: ${median(r.map((x) => x.rps)).toFixed(0)} req/s, p50 ${median(r.map((x) => x.p50))} ms, p99 ${median(r.map((x) => x.p99))} ms, ${median(r.map((x) => x.cpuUs)).toFixed(0)} µs CPU/request, autocannon ${(median(r.map((x) => x.clientShare)) * 100).toFixed(0)}% of a core\n`,
  );
}
const ratio = median(runs.A.map((x) => x.cpuUs)) / median(runs.B.map((x) => x.cpuUs));
process.stdout.write(
  `CPU per request A/B: ${ratio.toFixed(2)}× (${workload}, batching ${BATCHING ? 'on' : 'off'}, ${pinning}; load average ${load0.map(f1).join(', ')} at the start, ${loadavg().map(f1).join(', ')} at the end)\n`,
);
