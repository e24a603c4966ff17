/*
 * `npm run bench:serve`: `kioku serve` under load on loopback, driven by autocannon. A text
 * classifier (the `kioku train text` default shape), the seed's classifier and a forecaster are
 * served by two servers, one with micro-batching and one without, each in its own process; every
 * workload (stateless requests, then sessions) runs on the two in turn, ROUNDS times, and the
 * median run of each is kept, so the two see the same moments of a shared machine. Then a mixed
 * load of good and bad requests, every answer checked. Each run is bounded in time (SECONDS) and
 * connections. Writes its section of BENCHMARKS.md (between the bench:serve markers) and prints it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { initBackend } from '../src/backend/native/init.js';
import { backend } from '../src/backend/registry.js';
import { loadHead } from '../src/cli/models.js';
import { seattleWeather } from '../src/io/datasets/builtin.js';
import { loadSpamAssassin } from '../src/io/datasets/spam.js';
import { predictText, trainForecaster, trainTextClassifier } from '../src/train/recipes/index.js';
import { nodeRunStore } from '../src/train/run-store-node.js';
import { writeSection } from './sections.js';

const SECONDS = Number(process.env.KIOKU_BENCH_SERVE_SECONDS ?? 5);
const ROUNDS = 3;
/** Kernel threads per server: on a shared machine a second thread mostly waits for a core. */
const THREADS = process.env.KIOKU_NUM_THREADS ?? '1';
const CONNECTIONS = 32;
const root = fileURLToPath(new URL('..', import.meta.url));

interface Served {
  url: string;
  child: ChildProcess;
}

/** `kioku serve` in a child process with `flags`; resolves once it listens. */
function startServer(models: string[], flags: string[]): Promise<Served> {
  const args = [
    '--import',
    'tsx',
    join(root, 'src/cli/main.ts'),
    'serve',
    '--port',
    '0',
    '--log-level',
    'silent',
  ];
  const child = spawn(process.execPath, [...args, ...models.flatMap((m) => ['--model', m]), ...flags], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, KIOKU_NUM_THREADS: THREADS },
  });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = / at (http:\/\/\S+) /.exec(err);
      if (m) resolve({ url: m[1]!, child });
    });
    child.on('exit', () => reject(new Error(`kioku serve stopped: ${err}`)));
  });
}

async function stopServer(s: Served): Promise<void> {
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

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
}

/** autocannon against one route for SECONDS (after a 1 s untimed warm-up); with the batch sizes it caused. */
async function load(
  url: string,
  model: string,
  mode: string,
  requests: autocannon.Request[],
): Promise<LoadResult> {
  const options = {
    url,
    connections: CONNECTIONS,
    requests,
    headers: { 'content-type': 'application/json' },
  };
  await autocannon({ ...options, duration: 1 });
  const [f0, r0] = await batchCounts(url, model, mode);
  const r = await autocannon({ ...options, duration: SECONDS });
  const [f1, r1] = await batchCounts(url, model, mode);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    rowsPerForward: f1 > f0 ? (r1 - r0) / (f1 - f0) : 0,
  };
}

interface Models {
  dir: string;
  text: string;
  seed: string;
  series: string;
  texts: string[];
  rows: number[][];
  /** The rows' dates (the forecaster reads calendar columns computed from them). */
  dates: string[];
}

/** The served models, trained briefly by the recipes on the built-in data (their speed, not their skill, is measured). */
async function trainModels(): Promise<Models> {
  const dir = await mkdtemp(join(tmpdir(), 'kioku-bench-serve-'));
  const corpus = await loadSpamAssassin({ headers: 'from-subject' });
  const common = { corpus, limit: 300, epochs: 1, baselines: false };
  const store = (name: string) => nodeRunStore(join(dir, name), { checkpoints: false, png: false });
  await trainTextClassifier({ ...common, store: store('text') });
  await trainTextClassifier({
    ...common,
    bidirectional: false,
    pooling: 'last',
    store: store('seed'),
  });
  const seattle = await seattleWeather();
  const columns = ['precipitation', 'temp_max', 'temp_min', 'wind'];
  await trainForecaster({
    series: seattle,
    target: 'temp_max',
    features: columns,
    lookback: 60,
    epochs: 1,
    store: store('series'),
  });
  const F = seattle.columns.length;
  const idx = columns.map((c) => seattle.columns.indexOf(c));
  const rows = Array.from({ length: seattle.length }, (_, r) => idx.map((k) => seattle.values[r * F + k]!));
  return {
    dir,
    text: join(dir, 'text', 'model'),
    seed: join(dir, 'seed', 'model'),
    series: join(dir, 'series', 'model'),
    texts: corpus.texts.slice(0, 400),
    rows,
    dates: seattle.index!.slice(),
  };
}

type Req = autocannon.Request;
const json = (req: Req, body: unknown): Req => ({ ...req, body: JSON.stringify(body) });

/** Stateless requests: one e-mail each (to either classifier), or a 60-row history and 7 steps each, drawn in turn. */
function statelessRequests(m: Models): Record<'text' | 'seed' | 'series', Req[]> {
  let k = 0;
  const text = (req: Req) => json(req, { instances: [m.texts[k++ % m.texts.length]] });
  const series = (req: Req) => {
    const start = (k++ * 37) % (m.rows.length - 60);
    return json(req, {
      history: m.rows.slice(start, start + 60),
      dates: m.dates.slice(start, start + 60),
      steps: 7,
    });
  };
  return {
    text: [{ method: 'POST', path: '/v1/models/text:predict', setupRequest: text }],
    seed: [{ method: 'POST', path: '/v1/models/seed:predict', setupRequest: text }],
    series: [{ method: 'POST', path: '/v1/models/series:predict', setupRequest: series }],
  };
}

/** Session requests: each connection its own session, the next 12 words (or the next row) per request. */
function sessionRequests(m: Models): Record<'seed' | 'series', Req[]> {
  // Words with a letter, so that every chunk has tokens to read.
  const words = m.texts
    .join(' ')
    .split(/\s+/)
    .filter((w) => /[a-z]/i.test(w));
  let next = 0;
  const session = (ctx: Record<string, unknown>) => {
    const start = ctx.sid === undefined;
    ctx.sid ??= `c${next++}`;
    ctx.at = ((ctx.at as number | undefined) ?? (next * 997) % words.length) + 1;
    return { sequence_id: ctx.sid, sequence_start: start, at: ctx.at as number };
  };
  const seed = (req: Req, ctx: Record<string, unknown>) => {
    const { at, ...flags } = session(ctx);
    const chunk = words.slice((at * 12) % (words.length - 12), ((at * 12) % (words.length - 12)) + 12);
    return json(req, { instances: [chunk.join(' ')], ...flags });
  };
  const series = (req: Req, ctx: Record<string, unknown>) => {
    const { at, ...flags } = session(ctx);
    const row = at % m.rows.length;
    return json(req, { history: [m.rows[row]], dates: [m.dates[row]], steps: 1, ...flags });
  };
  return {
    seed: [{ method: 'POST', path: '/v1/models/seed:predict', setupRequest: seed as Req['setupRequest'] }],
    series: [
      { method: 'POST', path: '/v1/models/series:predict', setupRequest: series as Req['setupRequest'] },
    ],
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
  const models = [`text=${m.text}`, `seed=${m.seed}`, `series=${m.series}`];
  const off = await startServer(models, ['--no-batching']);
  const on = await startServer(models, ['--max-batch-size', '32', '--max-batch-wait', '2']);
  try {
    const rows: Row[] = [];
    for (const sc of scenarios(m)) {
      const runs: Record<'off' | 'on', LoadResult[]> = { off: [], on: [] };
      for (let round = 0; round < ROUNDS; round++) {
        runs.off.push(await load(off.url, sc.name, sc.mode, sc.requests));
        runs.on.push(await load(on.url, sc.name, sc.mode, sc.requests));
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

function report(rows: Row[], tally: Awaited<ReturnType<typeof mixed>>, load0: number[]): string[] {
  const lines = [
    '## Serving (`npm run bench:serve`)',
    '',
    `Command: \`npm run bench:serve\` (bench/serve.ts): autocannon on loopback, ${CONNECTIONS} connections, against two \`kioku serve\` processes (${backend()} backend, KIOKU_NUM_THREADS=${THREADS}), one with micro-batching and one without; each workload ran ${ROUNDS} times on each, in turn, ${SECONDS} s per run after a 1 s warm-up, and the table shows each one's median run. Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, shared with other work running at the same time (load average ${load0.map(f1).join(', ')} at the start, ${loadavg().map(f1).join(', ')} at the end), so the numbers are low and noisy; compare the rows of this table with each other. Date: ${new Date().toISOString().slice(0, 16)} UTC, Node ${process.version}.`,
    '',
    "Models, trained one epoch by the recipes (their speed is measured, not their skill): the text classifier is `kioku train text`'s default shape (bidirectional LSTM, embed 128, hidden 64, max pooling, texts cut to 256 tokens) on SpamAssassin e-mails; the seed classifier is the seed's unidirectional LSTM (pooling 'last'), which keeps sessions; the forecaster is an LSTM (hidden 64, lookback 60) on the Seattle weather. Micro-batching on: `--max-batch-size 32 --max-batch-wait 2`; off: `--no-batching`. A batch of texts runs in buckets of similar lengths (each row within three quarters of its bucket's longest), so short e-mails do not pay for long ones' steps. An e-mail is up to 256 tokens, and one alone already runs its input products as one matrix product over all its tokens: a batch of them shares only the recurrent steps' products and the per-call work, so e-mails gain least, short session chunks most. A forecaster computes each series on its own, so its requests run as they come on both servers. Rows per forward: the mean batch size from the server's `kioku_batch_size` histogram (rows of a batch, whatever its buckets).",
    '',
    '| model | each request | micro-batching | requests/s | p50 (ms) | p99 (ms) | rows per forward | non-2xx | errors |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const { model, what, off, on } of rows) {
    for (const [mode, r] of [
      ['off', off],
      ['on', on],
    ] as const) {
      lines.push(
        `| ${model} | ${what} | ${mode} | ${f1(r.rps)} | ${r.p50} | ${r.p99} | ${f1(r.rowsPerForward)} | ${r.non2xx} | ${r.errors} |`,
      );
    }
  }
  lines.push('');
  const gains = rows.map(
    ({ model, what, off, on }) =>
      `${model} (${what}) ${(on.rps / off.rps).toFixed(1)}× (p99 ${off.p99} → ${on.p99} ms)`,
  );
  lines.push(`Micro-batching's throughput over unbatched serving: ${gains.join('; ')}.`, '');
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
  await rm(m.dir, { recursive: true, force: true });
}
