/*
 * `npm run bench:serve`: `kioku serve` under load on loopback, driven by autocannon. A text
 * classifier (the `kioku train text` default shape), the seed's classifier and a forecaster are
 * served by two servers, one with micro-batching and one without, each in its own process; every
 * workload (stateless requests, then sessions) runs on the two in turn, ROUNDS times, and the
 * median run of each is kept, so the two see the same moments of a shared machine. With two cores
 * or more the servers run on one and autocannon (this process) on another (serve-setup.ts,
 * PINNING), and GET /v2/health/live measures what autocannon and HTTP alone reach. Then a mixed
 * load of good and bad requests, every answer checked. Each run is bounded in time (SECONDS) and
 * connections. Writes its section of BENCHMARKS.md (between the bench:serve markers) and prints it.
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { initBackend } from '../src/backend/native/init.js';
import { backend } from '../src/backend/registry.js';
import { loadHead } from '../src/cli/models.js';
import { predictText } from '../src/train/recipes/index.js';
import { writeSection } from './sections.js';
import {
  json,
  type Models,
  pinClient,
  type Req,
  releaseModels,
  type Served,
  sessionRequests,
  startServer,
  statelessRequests,
  stopServer,
  THREADS,
  timedLoad,
  trainModels,
} from './serve-setup.js';

const SECONDS = Number(process.env.KIOKU_BENCH_SERVE_SECONDS ?? 5);
const ROUNDS = 3;
/** Untimed load before each run: the first seconds of a route on a server compile its hot paths. */
const WARMUP = 2;
const CONNECTIONS = 32;
const root = fileURLToPath(new URL('..', import.meta.url));

/** Rows per batched forward so far: [forwards, rows]. */
async function batchCounts(url: string, model: string, mode: string): Promise<[number, number]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) => {
    const line = text
      .split('\n')
      .find(
        (l) => l.startsWith(`${name}{`) && l.includes(`model="${model}"`) && l.includes(`mode="${mode}"`),
      );
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };
  return [read('kioku_batch_size_count'), read('kioku_batch_size_sum')];
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  rowsPerForward: number;
  /** The server's CPU time (user and system) per request, µs. */
  cpuPerRequest: number;
  /** autocannon's own CPU time (this process) per second of the run: 1 is a whole core. */
  clientShare: number;
}

/** autocannon against one route for SECONDS (after WARMUP untimed); with the batch sizes it caused. */
async function load(
  server: Served,
  model: string,
  mode: string,
  requests: autocannon.Request[],
): Promise<LoadResult> {
  const { url } = server;
  const options = {
    url,
    connections: CONNECTIONS,
    requests,
    headers: { 'content-type': 'application/json' },
  };
  await autocannon({ ...options, duration: WARMUP });
  const [f0, r0] = await batchCounts(url, model, mode);
  const { result: r, serverCpu: cpu, clientShare } = await timedLoad(server, options, SECONDS);
  const [f1, r1] = await batchCounts(url, model, mode);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    rowsPerForward: f1 > f0 ? (r1 - r0) / (f1 - f0) : 0,
    cpuPerRequest: (cpu / Math.max(1, r.requests.total)) * 1e6,
    clientShare,
  };
}

interface MixedTally {
  good: number;
  bad: number;
  wrong: number;
  maxDiff: number;
}

/**
 * Good requests (one text, answered as predictText answers it alone) among bad ones (a body of the
 * wrong shape, a number for a text, a session that was never started: refused inside its batch);
 * every answer is checked.
 */
function mixedRequests(
  m: Models,
  expected: Map<string, { label: string; probability: number }>,
  tally: MixedTally,
): Req[] {
  let k = 0;
  const good: Req = {
    method: 'POST',
    path: '/v1/models/seed:predict',
    setupRequest: (req, context) => {
      const ctx = context as Record<string, unknown>;
      ctx.text = m.texts[k++ % m.texts.length];
      return json(req, { instances: [ctx.text] });
    },
    onResponse: (status, body, context) => {
      const want = expected.get((context as Record<string, unknown>).text as string)!;
      const got = status === 200 ? JSON.parse(body).predictions[0] : null;
      const diff = got ? Math.abs(got.probability - want.probability) : Infinity;
      tally.maxDiff = Math.max(tally.maxDiff, Number.isFinite(diff) ? diff : 0);
      if (got && got.label === want.label && diff < 1e-5) tally.good++;
      else tally.wrong++;
    },
  };
  const bad = (body: unknown, field: string): Req => ({
    method: 'POST',
    path: '/v1/models/seed:predict',
    setupRequest: (req) => json(req, typeof body === 'function' ? body() : body),
    onResponse: (status, text) => {
      if (status === 400 && JSON.parse(text).field === field) tally.bad++;
      else tally.wrong++;
    },
  });
  return [
    good,
    bad({ instances: 'one text' }, 'instances'),
    good,
    bad(() => ({ instances: ['hello there'], sequence_id: `never-${k++}` }), 'sequence_id'),
    good,
    bad({ instances: [42] }, 'instances[0]'),
  ];
}

interface Row {
  model: string;
  what: string;
  off: LoadResult;
  on: LoadResult;
}

interface Scenario {
  model: string;
  what: string;
  name: string;
  mode: string;
  requests: Req[];
}

function scenarios(m: Models): Scenario[] {
  const st = statelessRequests(m);
  const se = sessionRequests(m);
  return [
    { model: 'text classifier', what: 'one e-mail', name: 'text', mode: 'stateless', requests: st.text },
    { model: 'seed classifier', what: 'one e-mail', name: 'seed', mode: 'stateless', requests: st.seed },
    {
      model: 'seed classifier',
      what: 'one 12-word text',
      name: 'seed',
      mode: 'stateless',
      requests: st.short,
    },
    {
      model: 'large classifier',
      what: 'one 12-word text',
      name: 'large',
      mode: 'stateless',
      requests: st.largeShort,
    },
    {
      model: 'forecaster',
      what: '60-row history, 7 steps',
      name: 'series',
      mode: 'stateless',
      requests: st.series,
    },
    {
      model: 'seed classifier',
      what: 'session: next 12 words',
      name: 'seed',
      mode: 'session',
      requests: se.seed,
    },
    {
      model: 'forecaster',
      what: 'session: next row, 1 step',
      name: 'series',
      mode: 'session',
      requests: se.series,
    },
  ];
}

/** The run of median throughput. */
function median(runs: LoadResult[]): LoadResult {
  return [...runs].sort((a, b) => a.rps - b.rps)[runs.length >> 1]!;
}

/** The mixed load against a batching server: every answer checked against predictText of the text alone. */
async function mixed(url: string, m: Models): Promise<MixedTally & { requests: number; errors: number }> {
  const opened = await loadHead(m.seed);
  const expected = new Map(m.texts.map((t) => [t, predictText(opened, [t])[0]!]));
  const tally: MixedTally = { good: 0, bad: 0, wrong: 0, maxDiff: 0 };
  const requests = mixedRequests(m, expected, tally);
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests,
    headers: { 'content-type': 'application/json' },
  });
  return { ...tally, requests: r.requests.total, errors: r.errors + r.timeouts };
}

async function measure(m: Models): Promise<Measured> {
  const models = [`text=${m.text}`, `seed=${m.seed}`, `large=${m.large}`, `series=${m.series}`];
  const off = await startServer(models, ['--no-batching']);
  const on = await startServer(models, ['--max-batch-size', '32', '--max-batch-wait', '2']);
  try {
    const live = [];
    for (let round = 0; round < ROUNDS; round++) live.push(await load(off, '', '', LIVE));
    const rows: Row[] = [];
    for (const sc of scenarios(m)) {
      const runs: Record<'off' | 'on', LoadResult[]> = { off: [], on: [] };
      for (let round = 0; round < ROUNDS; round++) {
        runs.off.push(await load(off, sc.name, sc.mode, sc.requests));
        runs.on.push(await load(on, sc.name, sc.mode, sc.requests));
      }
      rows.push({ model: sc.model, what: sc.what, off: median(runs.off), on: median(runs.on) });
      process.stderr.write(`bench:serve: ${sc.model}, ${sc.what}: done\n`);
    }
    return { rows, live: median(live), tally: await mixed(on.url, m) };
  } finally {
    await stopServer(off);
    await stopServer(on);
  }
}

/** A route that does nothing: what HTTP and autocannon alone reach. */
const LIVE: Req[] = [{ method: 'GET', path: '/v2/health/live' }];

interface Measured {
  rows: Row[];
  live: LoadResult;
  tally: Awaited<ReturnType<typeof mixed>>;
}

const f1 = (v: number) => v.toFixed(1);
const pct = (share: number) => `${(share * 100).toFixed(0)}%`;

/** Why batching gains what it gains, in short. */
const WHY =
  "Why: a batch shares what a forward costs per call (the kernels' set-up, each recurrent step's product for many rows at once); it cannot share what every request costs on its own: Node's HTTP exchange and Fastify's routing and reply (about 40 µs of server CPU even for GET /v2/health/live, half of a batched 12-word text), the JSON body and schema check, tokenizing or series encoding, and the arithmetic of its own rows. A wide model gains most: one request at a time streams its recurrent weights (4 MB for the large classifier's LSTM 512) from memory at every step, where a batch streams them once for all its rows. Short sequences (a 12-word text, a session's next chunk) gain next, since most of their forward is per-call cost; e-mails (up to 256 tokens) pay mostly for their own rows' products and a forecast for its JSON, dates and encoding, so they gain least. Gain is measured against unbatched serving of the same code, so any cut of per-call work (freezing the served layers, below) makes unbatched serving cheaper too and lowers the ratio; only a cut of what each request costs on its own raises it: x µs off both turns unbatched ÷ batched CPU into (unbatched − x) ÷ (batched − x). `tsx bench/serve-profile.ts` (next section) splits a request's CPU.";

/** What changed the figures before, a sentence each (interleaved runs, CPU per request). */
const HISTORY = [
  "Answering a request from its batch's callback instead of three promises measured 0.98–1.11×, below what the shared machine resolves, and was left out.",
  "One forward per batch, longest first, with the driver skipping finished rows' recurrent products, replaced length buckets (spread 0.75; one padded forward that still stepped finished rows cost 27–30 µs a 12-word text, as buckets did) and the large classifier's time segments, and a frozen layer's distinct input rows now read their remembered products (answers bit-identical to predictText): 31 12-word texts 22 → 15 µs of CPU a text in the forward alone; served, batched, CPU per request old → new (`tsx bench/serve-ab.ts OLD . WORKLOAD 5 5`, interleaved, load average 2–5): 12-word texts 81 → 73 µs (1.12×, unpinned; a noisier second run 118 → 87), e-mails (seed) 458 → 402 µs (1.14×, pinned), the large classifier's 12-word texts 690 → 519 µs (1.33×, pinned, 1434 → 1906 requests/s); unbatched 12-word texts unchanged (218 → 222 µs, 0.98×); sessions' next 12 words, their chunks sorted longest first too, 113 → 105 µs (1.08×, p99 12 → 8 ms, unpinned); batching's own gain on 12-word texts after it, unpinned at load average 3 (`KIOKU_AB_FLAGS_A=--no-batching tsx bench/serve-ab.ts . . short 5 5`): 238 → 83 µs (2.88×, rounds 2.61–2.96×), 3077 → 7229 requests/s.",
  'Under other work (load average 9–13) a server pinned to one core cost 1.1–1.2× the CPU per batched request of an unpinned one, so the benchmark pins only on a quiet machine; a fresh server compiles for seconds (its first 4 s cost 1.3–1.7× the CPU per request of later ones), so runs warm up longer.',
  "Freezing the served layers (W_ihᵀ and W_hhᵀ packed once, each vocabulary row's input product remembered; answers bit-identical) cut the large classifier's 12-word text 1.30× unbatched and 1.14× batched (`tsx bench/serve-ab.ts BEFORE . largeShort`), so its gain from batching fell from 2.6–3.1× to 2.1–2.5×.",
  'A JSON body is read by JSON.parse alone unless its text could spell a prototype-poisoning key (44 → 36 µs for a 4.4 kB forecast body); dates are read by arithmetic and calendar columns from a table; a text answer is written by a serialiser compiled from its schema (`tsx bench/serve-parts.ts`).',
  'Batch policy: `--max-batch-tokens 4096` keeps a batch of e-mails from holding the event loop (1.26× less CPU per e-mail than no bound); `--max-batch-wait 8` fills e-mail batches more (1.18×) but makes a light load wait, so the default stays 2 ms; `--max-batch-size 64` did not help the large classifier (0.97×).',
  "What kioku adds to every request on top of Fastify: GET /v2/health/live against a server pinned to core 0, autocannon (32 connections, 5 s) on core 1, load average 1.0–1.4, costs 29 µs of CPU in a bare node:http server, 34 in a bare Fastify one and 46–51 in `kioku serve`; without the onResponse hook's two prom-client updates 37–45, without prom-client's default metrics 46–49 (two interleaved rounds each, servers edited for the test). prom-client validates and hashes the labels of every update, through a labelled child too (1.05 µs a request in a hot loop); the server now counts requests and latency buckets in plain arrays and hands them to prom-client when /metrics is read (0.43 µs), which measured 48 → 45 µs on GET /v2/health/live (1.07×) and 72 → 71 µs on batched 12-word texts (1.02×) (`tsx bench/serve-ab.ts BEFORE . live 4 4`, `… short 5 4`, load average 1.2–2.1): most of what the hook costs is not the metrics: over 8 interleaved rounds (`tsx bench/serve-ab.ts . NO_HOOK live 8 4`, load average 1.4–2.8) the hook cost 44 → 38 µs a request on GET /v2/health/live, its body (the route's options, the elapsed time, the counts) 43 → 41 and Fastify's running of an onResponse hook at all the rest; counting in the route handlers instead would take both. The access log (pino, 3.5–7 µs a request) is off at `--log-level silent`, as here.",
  "Requests are now counted where they are answered (each route's handler, wrapped when it is registered, and the not-found and error handlers) instead of in an onResponse hook: GET /v2/health/live 44 → 38 µs (1.15×, 6 interleaved rounds, `tsx bench/serve-ab.ts BEFORE . live 6 3`, load average 0.9–1.9); on batched 12-word texts the change is below what the machine resolves (76 → 79 µs over 6 rounds, 82 → 82 over 8; rounds spread 70–87 µs).",
  "The buffer pool hands out buffers by size class (8 per doubling) instead of by exact length: a server's batches vary in rows and steps, so exact lengths missed the pool a third of the time on the large classifier (435 misses against 972 hits and 299 MB allocated afresh in 10 s), and V8 answered the fresh megabytes with a mark-compact every half second (22 in 10 s, 13 after). Batched large classifier, 12-word texts: 571 → 475 µs a request (1.20×, every one of 6 interleaved rounds, p99 53 → 30 ms; `tsx bench/serve-ab.ts BEFORE . largeShort 6 4`, load average 1.1–1.6); batched seed 12-word texts unchanged within the spread (76 → 80 µs, rounds 70–84). Batching's own gain on the large classifier after it, interleaved (`KIOKU_AB_FLAGS_A=--no-batching tsx bench/serve-ab.ts . . largeShort 8 4`, load average 1.7–2.0): 1551 → 492 µs a request (3.15×), 659 → 2082 requests/s (3.16×), p99 125 → 30 ms; its rounds spread 2.45–3.8×, since one request at a time is bound by memory bandwidth, which other work on the host shares (1153–1811 µs unbatched).",
];

/** The workloads whose batched server reaches `bar`× the unbatched one, by `gain`. */
function reaching(rows: Row[], gain: (r: Row) => number, bar = 3): string {
  const met = rows.filter((r) => gain(r) >= bar).map((r) => `${r.model} (${r.what})`);
  return met.length > 0 ? met.join('; ') : 'no workload';
}

function report({ rows, live, tally }: Measured, load0: number[], pinning: string): string[] {
  const lines = [
    '## Serving (`npm run bench:serve`)',
    '',
    `Command: \`npm run bench:serve\` (bench/serve.ts): autocannon on loopback, ${CONNECTIONS} connections, against two \`kioku serve\` processes (${backend()} backend, KIOKU_NUM_THREADS=${THREADS}), one with micro-batching (\`--max-batch-size 32 --max-batch-wait 2\`, \`--max-batch-tokens 4096\` by default) and one without (\`--no-batching\`); ${pinning}. Each workload ran ${ROUNDS} times on each server in turn, ${SECONDS} s after ${WARMUP} s untimed; the table shows each one's median run. Server CPU per request is the server's user and system time from /proc (its V8 threads included) over the requests answered: a server bound by its CPU serves its inverse per core. Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, shared with other work (load average ${load0.map(f1).join(', ')} at the start, ${loadavg().map(f1).join(', ')} at the end). Date: ${new Date().toISOString().slice(0, 16)} UTC, Node ${process.version}.`,
    '',
    "Models, trained one epoch by the recipes (their speed is measured, not their skill): the text classifier is `kioku train text`'s default (bidirectional LSTM, embedding 128, hidden 64, max pooling, texts cut to 256 tokens); the seed classifier is the seed's unidirectional LSTM (pooling 'last'), which keeps sessions; the large classifier is that shape wider (embedding 256, hidden 512); the forecaster is an LSTM (hidden 64, lookback 60) on the Seattle weather. A batch of texts runs in one forward, sorted longest first, the native recurrent driver skipping the steps of rows past their length (a packed sequence, as PyTorch runs one); a forecaster's batch runs its series as rows of the same forwards. Rows per forward: the mean of the server's `kioku_batch_size` histogram.",
    '',
    '| model | each request | micro-batching | requests/s | p50 (ms) | p99 (ms) | server CPU per request (µs) | rows per forward | autocannon (share of its core) | non-2xx | errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const { model, what, off, on } of rows) {
    for (const [mode, r] of [
      ['off', off],
      ['on', on],
    ] as const) {
      lines.push(
        `| ${model} | ${what} | ${mode} | ${f1(r.rps)} | ${r.p50} | ${r.p99} | ${r.cpuPerRequest.toFixed(0)} | ${f1(r.rowsPerForward)} | ${pct(r.clientShare)} | ${r.non2xx} | ${r.errors} |`,
      );
    }
  }
  const busiest = Math.max(live.clientShare, ...rows.flatMap((r) => [r.off.clientShare, r.on.clientShare]));
  const gains = rows.map(
    ({ model, what, off, on }) =>
      `${model} (${what}) ${(on.rps / off.rps).toFixed(1)}× in requests/s (p99 ${off.p99} → ${on.p99} ms), ${(off.cpuPerRequest / on.cpuPerRequest).toFixed(1)}× in server CPU per request`,
  );
  const rps = (r: Row) => (r.on.p99 <= 1.25 * r.off.p99 ? r.on.rps / r.off.rps : 0);
  const cpu = (r: Row) => r.off.cpuPerRequest / r.on.cpuPerRequest;
  lines.push(
    '',
    `${busiest < 0.9 ? 'The load generator is not the limit' : 'The load generator may be the limit of the runs where it used most of its core'}: against GET /v2/health/live (a route that does nothing) the unbatched server answered ${f1(live.rps)} requests/s (p99 ${live.p99} ms, ${live.cpuPerRequest.toFixed(0)} µs of server CPU per request) with autocannon at ${pct(live.clientShare)} of its core, and no run above used more than ${pct(busiest)} of it.`,
    '',
    `Micro-batching's gain: ${gains.join('; ')}. The issue's bar, 3× the requests/s of unbatched serving at a similar p99 (not above 1.25× the unbatched p99), is reached in this run by ${reaching(rows, rps)}; 3× in server CPU per request by ${reaching(rows, cpu)}.`,
    '',
    WHY,
    '',
    `Before: ${HISTORY.join(' ')}`,
    '',
    `Mixed load (micro-batching on, seed classifier; of every 6 requests 3 good, and 3 bad: a body of the wrong shape, a number for a text, a session never started, refused inside its batch): ${tally.requests} requests, ${tally.good} good ones answered 200 with predictText's label and probability for the text alone (largest difference ${tally.maxDiff.toExponential(1)}), ${tally.bad} bad ones answered 400 naming the field, ${tally.wrong} answered otherwise, ${tally.errors} connection errors or timeouts.`,
    '',
  );
  return lines;
}

initBackend();
const pinning = pinClient();
const load0 = loadavg();
const m = await trainModels();
try {
  const lines = report(await measure(m), load0, pinning);
  writeSection(join(root, 'BENCHMARKS.md'), 'serve', lines);
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await releaseModels(m);
}
