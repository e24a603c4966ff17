/*
 * `npm run bench:serve`: `kioku serve` under load on loopback, driven by autocannon. A text
 * classifier (the `kioku train text` default shape), the seed's classifier and a forecaster are
 * served by two servers, one with micro-batching and one without, each in its own process; every
 * workload (stateless requests, then sessions) runs on the two in turn, ROUNDS times, and the
 * median run of each is kept, so the two see the same moments of a shared machine. Then a mixed
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
  cpuSeconds,
  json,
  type Models,
  type Req,
  releaseModels,
  type Served,
  sessionRequests,
  startServer,
  statelessRequests,
  stopServer,
  THREADS,
  trainModels,
} from './serve-setup.js';

const SECONDS = Number(process.env.KIOKU_BENCH_SERVE_SECONDS ?? 5);
const ROUNDS = 3;
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
}

/** autocannon against one route for SECONDS (after a 1 s untimed warm-up); with the batch sizes it caused. */
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
  await autocannon({ ...options, duration: 1 });
  const [f0, r0] = await batchCounts(url, model, mode);
  const cpu0 = await cpuSeconds(server.child.pid!);
  const r = await autocannon({ ...options, duration: SECONDS });
  const cpu = (await cpuSeconds(server.child.pid!)) - cpu0;
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

async function measure(m: Models): Promise<{ rows: Row[]; tally: Awaited<ReturnType<typeof mixed>> }> {
  const models = [`text=${m.text}`, `seed=${m.seed}`, `large=${m.large}`, `series=${m.series}`];
  const off = await startServer(models, ['--no-batching']);
  const on = await startServer(models, ['--max-batch-size', '32', '--max-batch-wait', '2']);
  try {
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
    return { rows, tally: await mixed(on.url, m) };
  } finally {
    await stopServer(off);
    await stopServer(on);
  }
}

const f1 = (v: number) => v.toFixed(1);

/** Why batching gains what it gains, from the split of a request's time (see the section of bench/serve-profile.ts). */
const WHY =
  "Batching shares what a forward costs per call (the kernels' calls and their set-up, a recurrent step's matrix product for one row against one for many rows) and some of the event loop's work (several answers written in one turn); it cannot share what each request costs on its own: its HTTP exchange, its JSON and schema validation, its tokenizing or series encoding, and the arithmetic of its own rows. The section below (`tsx bench/serve-profile.ts`) splits the server's CPU time per request between them, gives the ceiling HTTP alone sets (a route that does nothing), and per workload the CPU per request unbatched and batched with the ceiling on batching's gain that the fixed per-request cost (Node's HTTP, Fastify, the metrics) implies: unbatched CPU ÷ fixed cost. An e-mail of up to 256 tokens pays its own rows' matrix products whatever the batch (over half of the server's time per e-mail even when batched), and a forecast request pays more for HTTP, JSON, dates and encoding than for its forward, so both gain well under 3×. (A batch of e-mails to the bidirectional text classifier used to cost more per e-mail than one alone: its max pooling over a padded batch ran as a mask, a filled copy and a strided reduction, and the forward's large buffers went to the collector. The pooling is now one kernel, `maskedPool`, and each batch's forward hands its buffers to the next, so a batched e-mail is the cheaper one.) Short sequences (a 12-word text, a session's next chunk) are the workload batching is for: most of their forward is per-call cost, which a batch pays once (the seed's forward of one 12-token text costs about 7× a row of a batch of 32, measured alone); what is left is each request's own HTTP, JSON and tokenizing, more than half of the batched server's CPU per request, and that bounds their gain. A wider model (the large classifier) makes the forward weigh more than the HTTP, but one text's forward is already a matrix product over its tokens and recurrent steps against weights that stay in cache: a batch cuts it only 3–4× per text (measured alone), less when a batch's texts fall into several length buckets. An e-mail's own forward is most of what it costs: classified alone it costs only 1.2–1.4× its share of a batch of 32 (`tsx bench/serve-buckets.ts`, CPU time, both classifiers), and how a batch is cut into length buckets (one bucket padded to the longest e-mail, a third of its steps padding, up to ten buckets with 2% padding) moved that by less than the run-to-run spread, so no bucketing or batch policy brings e-mails near 3×. A longer wait fills e-mail batches more: `--max-batch-wait 8` against 2 on e-mails to the seed classifier cut the server's CPU per request 1.18× at no higher p99 (`tsx bench/serve-ab.ts`, 3 interleaved rounds, load average 18); short texts and session chunks already fill batches of 32 within 2 ms under this load, and a light load pays the whole wait on every request, so the default stays 2 ms. A bigger batch does not help where the forward per row rules: the large classifier's 12-word texts under 64 connections cost the same CPU per request with `--max-batch-size 64 --max-batch-wait 4` as with 32 and 2 (0.97×, serve-ab.ts, 3 rounds, load average 13–17). Last, autocannon runs on the same two cores as the servers (the stateless bodies are written before the load starts, so it spends its CPU on HTTP alone): where an unbatched server already answers thousands of short requests a second, the client's own CPU caps the batched server's requests/s below 3× even when the server's CPU per request falls 3× (the server then idles part of its core); its CPU per request is the fairer measure there. E-mails used to lose requests/s to batching (0.6–0.7× at load average 17) although each cost the server less CPU batched: a batch took nearly every connection's e-mail, so the server computed them all, answered them all, then idled while the clients sent the next ones. A classifier's batch now holds at most `--max-batch-tokens 4096` tokens (12–16 of these e-mails), and a request a full batch leaves behind waits only what is left of its own wait, so the next batch is being read while one computes: against no bound, the bound cut the text classifier's CPU per e-mail 1.26× (median of 3 interleaved rounds, `KIOKU_AB_FLAGS_A='--max-batch-tokens 1000000' KIOKU_AB_FLAGS_B='--max-batch-tokens 4096' tsx bench/serve-ab.ts . . text 3 5`, load average 14–21; the rounds spread from 0.95× to 1.5×). A forecast request's dates are now read once to check them (by kioku's parser, not also Date.parse) and once to encode them, YYYY-MM-DD without a regular expression, and its calendar phases by arithmetic; that is a few µs of a forecast request's CPU, below what a loaded machine lets an interleaved A/B resolve (`tsx bench/serve-ab.ts BEFORE . series 3 5`: 0.95× median, rounds from 0.94× to 1.24×, load average 15–20).";

/** What each request costs that batching cannot share, and what was cut from it (measured alone, CPU time). */
const PER_REQUEST =
  "Cutting what every request costs raises batching's gain, since a batch shares only the forward: a cut of x µs per request turns unbatched ÷ batched CPU into (unbatched − x) ÷ (batched − x). What was cut, each measured alone in CPU time (`tsx bench/serve-parts.ts` and interleaved before/after runs, medians, on the loaded machine): the JSON body is read by JSON.parse alone unless its text could spell a prototype-poisoning key (`__proto__`, `constructor`, a `\\u` escape), and only then walked for those keys, which are still refused (a 400 naming the key's path) — against Fastify's secure-json-parse, which runs two regular expressions over every body, 44.3 → 35.6 µs in one run and 58.3 → 53.3 in another for a forecast body of 4.4 kB, 1.28 → 0.98 and 0.87 → 0.82 µs for a 12-word body; a YYYY-MM-DD date counts its days by arithmetic instead of Date.UTC (about 60 of 100 ns, and a forecast request reads each of its 60 dates twice); calendar columns read sin and cos of day of week and day of year from a table (67 rows 14.6 → 10.8 µs); the metrics and access-log hook is a callback, not a promise, and builds no log line below level info. What was measured and left: Fastify compiles each route's schema once, at start; a compiled response serialiser (fast-json-stringify) writes a text answer in 0.3 µs against JSON.stringify's 1.0 and a forecast's 2.4 against 2.8, under 1% of a request; prom-client's counter and histogram cost 1.3–2.3 µs a request, cached label children about 0.3 µs less; the access log (pino, level info, kioku serve's default) costs 1.6–1.8 µs a request plus a write to stdout per line (3.5–5.6 µs in all to /dev/null, 5.3–7.0 to a file), and this benchmark serves at `--log-level silent`. A forecast body's numbers are float32 values written with 17 digits (12.800000190734863 for the CSV's 12.8), which JSON.parse reads about 10 µs slower than the CSV's digits; the bodies are kept as they were, to compare runs.";

function report(rows: Row[], tally: Awaited<ReturnType<typeof mixed>>, load0: number[]): string[] {
  const lines = [
    '## Serving (`npm run bench:serve`)',
    '',
    `Command: \`npm run bench:serve\` (bench/serve.ts): autocannon on loopback, ${CONNECTIONS} connections, against two \`kioku serve\` processes (${backend()} backend, KIOKU_NUM_THREADS=${THREADS}), one with micro-batching and one without; each workload ran ${ROUNDS} times on each, in turn, ${SECONDS} s per run after a 1 s warm-up, and the table shows each one's median run. Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, shared with other work running at the same time (load average ${load0.map(f1).join(', ')} at the start, ${loadavg().map(f1).join(', ')} at the end), so the numbers are low and noisy; compare the rows of this table with each other. Date: ${new Date().toISOString().slice(0, 16)} UTC, Node ${process.version}.`,
    '',
    "Models, trained one epoch by the recipes (their speed is measured, not their skill): the text classifier is `kioku train text`'s default shape (bidirectional LSTM, embed 128, hidden 64, max pooling, texts cut to 256 tokens) on SpamAssassin e-mails; the seed classifier is the seed's unidirectional LSTM (pooling 'last'), which keeps sessions; the large classifier is the same shape wider (embedding 256, hidden 512: a forward that weighs more than its request's HTTP and JSON); the forecaster is an LSTM (hidden 64, lookback 60) on the Seattle weather. Micro-batching on: `--max-batch-size 32 --max-batch-wait 2` and the default `--max-batch-tokens 4096` (a classifier's batch holds at most 4096 tokens, so a batch of e-mails of up to 256 tokens is cut at 16 or more of them); off: `--no-batching`. A batch of texts runs in buckets of similar lengths (each row within three quarters of its bucket's longest), so short e-mails do not pay for long ones' steps. An e-mail is up to 256 tokens, and one alone already runs its input products as one matrix product over all its tokens: a batch of them shares only the recurrent steps' products and the per-call work, so e-mails gain least, short session chunks most. A 12-word text is one short sequence (to the seed or the large classifier, stateless). A forecaster's batch runs the windows of its requests' series as rows of the same forwards (each series its own scaling and calendar rows), the steps beyond the horizon of all rows together. Rows per forward: the mean batch size from the server's `kioku_batch_size` histogram (rows of a batch, whatever its buckets).",
    '',
    '| model | each request | micro-batching | requests/s | p50 (ms) | p99 (ms) | server CPU per request (µs) | rows per forward | non-2xx | errors |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const { model, what, off, on } of rows) {
    for (const [mode, r] of [
      ['off', off],
      ['on', on],
    ] as const) {
      lines.push(
        `| ${model} | ${what} | ${mode} | ${f1(r.rps)} | ${r.p50} | ${r.p99} | ${r.cpuPerRequest.toFixed(0)} | ${f1(r.rowsPerForward)} | ${r.non2xx} | ${r.errors} |`,
      );
    }
  }
  lines.push('');
  const gains = rows.map(
    ({ model, what, off, on }) =>
      `${model} (${what}) ${(on.rps / off.rps).toFixed(1)}× (p99 ${off.p99} → ${on.p99} ms; server CPU per request ${(off.cpuPerRequest / on.cpuPerRequest).toFixed(1)}× less)`,
  );
  lines.push(
    `Micro-batching's throughput over unbatched serving: ${gains.join('; ')}. On a loaded machine the requests/s of the two servers move with what else runs in their seconds; the server's CPU time per request (from /proc, user and system) moves much less, and one core's throughput is its inverse.`,
    '',
  );
  const met = rows
    .filter((r) => r.on.rps >= 3 * r.off.rps || r.off.cpuPerRequest >= 3 * r.on.cpuPerRequest)
    .map((r) => `${r.model} (${r.what})`);
  lines.push(
    `The issue's bar, at least 3× the throughput of unbatched serving at a similar p99 (in requests/s, or in CPU per request), is met in this run by ${met.length > 0 ? met.join('; ') : 'no workload'}. ${WHY}`,
    '',
    PER_REQUEST,
    '',
  );
  lines.push(
    `Mixed load (micro-batching on, seed classifier; of every 6 requests 3 good, and 3 bad: a body of the wrong shape, a number for a text, a session never started, refused inside its batch): ${tally.requests} requests, ${tally.good} good ones answered 200 with predictText's label and probability for the text alone (largest difference ${tally.maxDiff.toExponential(1)}), ${tally.bad} bad ones answered 400 naming the field, ${tally.wrong} answered otherwise, ${tally.errors} connection errors or timeouts.`,
    '',
  );
  return lines;
}

initBackend();
const load0 = loadavg();
const m = await trainModels();
try {
  const { rows, tally } = await measure(m);
  const lines = report(rows, tally, load0);
  writeSection(join(root, 'BENCHMARKS.md'), 'serve', lines);
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await releaseModels(m);
}
