/*
 * What bench/serve.ts and bench/serve-profile.ts share: the served models (trained briefly on
 * the built-in data), `kioku serve` in a child process, and the requests of each workload.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { seattleWeather } from '../src/io/datasets/builtin.js';
import { loadSpamAssassin } from '../src/io/datasets/spam.js';
import { trainForecaster, trainTextClassifier } from '../src/train/recipes/index.js';
import { nodeRunStore } from '../src/train/run-store-node.js';

/** Kernel threads per server: on a shared machine a second thread mostly waits for a core. */
export const THREADS = process.env.KIOKU_NUM_THREADS ?? '1';
const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The cores the served process and the load generator run on: with two cores or more (and
 * taskset), the server on core 0 and this process (autocannon runs in it) on core 1, so that the
 * client does not take the server's core. Only while the machine is otherwise quiet (load average
 * under 2 at the start): where other work runs, a pinned server cannot leave a core that work
 * shares, and cost more CPU per request batched than unpinned (bench/serve-ab.ts, load average
 * 9–13: 104 against 88 µs for a 12-word text). KIOKU_BENCH_SERVE_PIN=1 pins anyway, =0 never.
 */
function pinning(): { server: string; client: string } | null {
  const wanted = process.env.KIOKU_BENCH_SERVE_PIN;
  if (wanted === '0' || availableParallelism() < 2 || spawnSync('taskset', ['-V']).status !== 0) return null;
  return wanted === '1' || loadavg()[0]! < 2 ? { server: '0', client: '1' } : null;
}

export const PINNING = pinning();

/** Pins this process, every thread of it, to the client's core (see PINNING); says how it runs. */
export function pinClient(): string {
  if (!PINNING) {
    return `unpinned: autocannon and the server share the machine's ${availableParallelism()} core(s)${availableParallelism() >= 2 ? ` (load average ${loadavg()[0]!.toFixed(1)} at the start: pinned only under 2, or with KIOKU_BENCH_SERVE_PIN=1)` : ''}`;
  }
  const r = spawnSync('taskset', ['-a', '-cp', PINNING.client, String(process.pid)]);
  if (r.status !== 0) throw new Error(`taskset could not pin the load generator: ${r.stderr}`);
  return `the server pinned to core ${PINNING.server} and autocannon to core ${PINNING.client} (taskset)`;
}

export interface Served {
  url: string;
  child: ChildProcess;
}

/**
 * `kioku serve` in a child process with `flags`; resolves once it listens. `from` is the checkout
 * whose kioku runs (another one's, to compare two versions of the code).
 */
export function startServer(
  models: string[],
  flags: string[],
  nodeFlags: string[] = [],
  from = root,
): Promise<Served> {
  const args = [
    ...nodeFlags,
    '--import',
    'tsx',
    join(from, 'src/cli/main.ts'),
    'serve',
    '--port',
    '0',
    '--log-level',
    'silent',
  ];
  const command = [process.execPath, ...args, ...models.flatMap((m) => ['--model', m]), ...flags];
  // taskset execs the server in its own process: the child's pid is the server's.
  const pinned = PINNING ? ['taskset', '-c', PINNING.server, ...command] : command;
  const child = spawn(pinned[0]!, pinned.slice(1), {
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

export async function stopServer(s: Served): Promise<void> {
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

export interface Models {
  dir: string;
  text: string;
  seed: string;
  /** The seed's shape, wider: embedding 256, hidden 512 (a forward that weighs more than its HTTP). */
  large: string;
  series: string;
  texts: string[];
  rows: number[][];
  /** The rows' dates (the forecaster reads calendar columns computed from them). */
  dates: string[];
}

/**
 * KIOKU_BENCH_SERVE_MODELS: a directory the models are trained into once and read from by later
 * runs (and kept), so that runs comparing code changes serve the same models.
 */
const CACHED = process.env.KIOKU_BENCH_SERVE_MODELS;

/** The served models, trained briefly by the recipes on the built-in data (their speed, not their skill, is measured). */
export async function trainModels(): Promise<Models> {
  const dir = CACHED ?? (await mkdtemp(join(tmpdir(), 'kioku-bench-serve-')));
  const corpus = await loadSpamAssassin({ headers: 'from-subject' });
  const trained = CACHED !== undefined && existsSync(join(dir, 'series', 'model'));
  if (!trained) await trainAll(dir, corpus);
  const seattle = await seattleWeather();
  const columns = ['precipitation', 'temp_max', 'temp_min', 'wind'];
  const F = seattle.columns.length;
  const idx = columns.map((c) => seattle.columns.indexOf(c));
  const rows = Array.from({ length: seattle.length }, (_, r) => idx.map((k) => seattle.values[r * F + k]!));
  return {
    dir,
    text: join(dir, 'text', 'model'),
    seed: join(dir, 'seed', 'model'),
    large: join(dir, 'large', 'model'),
    series: join(dir, 'series', 'model'),
    texts: corpus.texts.slice(0, 400),
    rows,
    dates: seattle.index!.slice(),
  };
}

/** Removes the models' directory, unless KIOKU_BENCH_SERVE_MODELS keeps it. */
export async function releaseModels(m: Models): Promise<void> {
  if (CACHED === undefined) await rm(m.dir, { recursive: true, force: true });
}

async function trainAll(dir: string, corpus: Awaited<ReturnType<typeof loadSpamAssassin>>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const common = { corpus, limit: 300, epochs: 1, baselines: false };
  const store = (name: string) => nodeRunStore(join(dir, name), { checkpoints: false, png: false });
  await trainTextClassifier({ ...common, store: store('text') });
  await trainTextClassifier({
    ...common,
    bidirectional: false,
    pooling: 'last',
    store: store('seed'),
  });
  // Its speed is measured on 12-word texts alone, so a short training on short texts will do.
  await trainTextClassifier({
    ...common,
    limit: 100,
    maxLen: 32,
    embed: 256,
    hidden: 512,
    bidirectional: false,
    pooling: 'last',
    store: store('large'),
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
}

export type Req = autocannon.Request;
export const json = (req: Req, body: unknown): Req => ({ ...req, body: JSON.stringify(body) });

/** The e-mails' words that hold a letter, so that every run of them has tokens to read. */
function wordsOf(m: Models): string[] {
  return m.texts
    .join(' ')
    .split(/\s+/)
    .filter((w) => /[a-z]/i.test(w));
}

/** The bodies of a workload, written once: the client then spends no CPU building them per request. */
export function cycling(req: Req, bodies: unknown[]): Req[] {
  const texts = bodies.map((b) => JSON.stringify(b));
  let k = 0;
  return [{ ...req, setupRequest: (r: Req) => ({ ...r, body: texts[k++ % texts.length] }) }];
}

/** The 12-word texts of the short workloads: 512 runs of the e-mails' words. */
export function shortTexts(m: Models): string[] {
  const words = wordsOf(m);
  return Array.from({ length: 512 }, (_, k) => {
    const at = (k * 12) % (words.length - 12);
    return words.slice(at, at + 12).join(' ');
  });
}

/**
 * Stateless requests: one e-mail each (to either classifier), 12 words of them each (to the seed
 * classifier or the large one), or a 60-row history and 7 steps each, drawn in turn from bodies
 * written before the load starts.
 */
export function statelessRequests(
  m: Models,
): Record<'text' | 'seed' | 'short' | 'largeShort' | 'series', Req[]> {
  const emails = m.texts.map((t) => ({ instances: [t] }));
  const shorts = shortTexts(m).map((t) => ({ instances: [t] }));
  const series = Array.from({ length: 256 }, (_, k) => {
    const start = (k * 37) % (m.rows.length - 60);
    return {
      history: m.rows.slice(start, start + 60),
      dates: m.dates.slice(start, start + 60),
      steps: 7,
    };
  });
  const post = (model: string): Req => ({ method: 'POST', path: `/v1/models/${model}:predict` });
  return {
    text: cycling(post('text'), emails),
    seed: cycling(post('seed'), emails),
    short: cycling(post('seed'), shorts),
    largeShort: cycling(post('large'), shorts),
    series: cycling(post('series'), series),
  };
}

/** Session requests: each connection its own session, the next 12 words (or the next row) per request. */
export function sessionRequests(m: Models): Record<'seed' | 'series', Req[]> {
  const words = wordsOf(m);
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

/**
 * One timed autocannon run against a served process: autocannon's result, the server's CPU
 * seconds over the run, and autocannon's own share of a core (this process's CPU time per second
 * of the run: 1 is a whole core).
 */
export async function timedLoad(server: Served, options: autocannon.Options, seconds: number) {
  const cpu0 = await cpuSeconds(server.child.pid!);
  const client0 = process.cpuUsage();
  const result = await autocannon({ ...options, duration: seconds });
  const client = process.cpuUsage(client0);
  const serverCpu = (await cpuSeconds(server.child.pid!)) - cpu0;
  return { result, serverCpu, clientShare: (client.user + client.system) / 1e6 / seconds };
}

/** CPU seconds (user and system, all threads) a process has used so far. */
export async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /, '').split(' ');
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name; in clock ticks (100 Hz).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
