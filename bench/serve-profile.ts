/*
 * Where a served request's time goes: `tsx bench/serve-profile.ts [seconds] [top] [workload]`
 * serves the models of `npm run bench:serve` under node's --cpu-prof, loads each workload (those
 * whose name contains `workload`) with autocannon for `seconds` (default 5) with micro-batching off
 * and on, and prints the server's CPU time per request split by who spent it (Node's HTTP, Fastify,
 * our request handling, tokenizing, the forward, …) and its `top` functions (default 8). A trivial
 * route (GET /v2/health/live) gives the ceiling HTTP alone allows. CPU time, unlike requests/s,
 * suffers little from a loaded machine. A run of every workload rewrites its section of
 * BENCHMARKS.md (between the bench:serve-profile markers).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { writeSection } from './sections.js';
import {
  pinClient,
  type Req,
  releaseModels,
  sessionRequests,
  startServer,
  statelessRequests,
  stopServer,
  THREADS,
  timedLoad,
  trainModels,
} from './serve-setup.js';

const SECONDS = Number(process.argv[2] ?? 5);
/** Functions listed per run (self time, with the builtins and native calls they make). */
const TOP = Number(process.argv[3] ?? 8);
/** Only the workloads whose name contains this. */
const ONLY = process.argv[4] ?? '';
const CONNECTIONS = 32;
/** Untimed load first: a fresh server compiles its hot paths in its first seconds. */
const WARMUP = 3;
const root = fileURLToPath(new URL('..', import.meta.url));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Who spent a frame's time, from the file it runs in. */
function categoryOf(url: string, fn: string): string | null {
  if (fn === '(idle)') return 'idle';
  if (fn === '(garbage collector)') return 'garbage collection';
  if (fn === '(program)') return 'V8 / native, unattributed';
  if (url === '') return fn === 'parse' || fn === 'stringify' ? `JSON.${fn}` : null;
  const rules: Array<[RegExp, string]> = [
    // The body's JSON parse, Fastify's own before kioku read bodies itself: counted where it was.
    [/\/src\/serve\/json-body/, 'Fastify'],
    [/\/src\/serve\//, 'kioku serve (routes, batcher, kinds)'],
    [/\/src\/data\/(tokeni|vocab)/, 'tokenizing'],
    [/\/src\/data\//, 'series encoding'],
    [/\/src\/(nn|tensor|backend|ops|autograd)\//, 'forward (JS + native kernels)'],
    [/\/src\/train\//, 'recipes (buckets, answers)'],
    [/ajv|fast-uri|json-schema/, 'schema validation (ajv)'],
    [/fast-json-stringify/, 'response serializer'],
    [/prom-client/, 'metrics (prom-client)'],
    [
      /fastify|find-my-way|avvio|light-my-request|secure-json-parse|pino|abstract-logging|toad-cache/,
      'Fastify',
    ],
    [/^node:/, 'Node HTTP, net, streams, timers'],
  ];
  for (const [re, name] of rules) if (re.test(url)) return name;
  return `other (${url.replace(/.*node_modules\//, '').split('/')[0]})`;
}

/**
 * Seconds per category between `from` and `to` (monotonic µs, the profile's clock), and per
 * function of ours (a builtin or native call charged to its caller).
 */
function split(
  profile: CpuProfile,
  from: number,
  to: number,
): { byCategory: Map<string, number>; byFunction: Map<string, number> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owner = new Map<number, string>();
  const ownerOf = (id: number): string => {
    const known = owner.get(id);
    if (known) return known;
    const n = byId.get(id)!;
    const own = categoryOf(n.callFrame.url, n.callFrame.functionName);
    const p = parent.get(id);
    // A builtin or native call is charged to the code that called it.
    const name = own ?? (p === undefined ? 'V8 / native, unattributed' : ownerOf(p));
    owner.set(id, name);
    return name;
  };
  /** The nearest frame with a file at or above a sample's frame (a builtin's caller). */
  const frameOf = (id: number | undefined): string | null => {
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      if (f.url === '') continue;
      const file = f.url.replace(/^.*?(node_modules\/|\/(?=src\/))/, '');
      return `${f.functionName || '(anonymous)'} ${file}`;
    }
    return null;
  };
  const byCategory = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const add = (map: Map<string, number>, k: string, v: number) => map.set(k, (map.get(k) ?? 0) + v);
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i]!;
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1e6;
    if (t < from || t > to) return;
    add(byCategory, ownerOf(id), dt);
    const frame = frameOf(id);
    if (frame) add(byFunction, frame, dt);
  });
  return { byCategory, byFunction };
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

interface Workload {
  name: string;
  model: string;
  requests: Req[];
}

async function profileOne(models: string[], batching: boolean, w: Workload) {
  const dir = await mkdtemp(join(tmpdir(), 'kioku-serve-prof-'));
  const flags = batching ? ['--max-batch-size', '32', '--max-batch-wait', '2'] : ['--no-batching'];
  const s = await startServer(models, flags, [
    '--cpu-prof',
    '--cpu-prof-dir',
    dir,
    '--cpu-prof-interval',
    '250',
  ]);
  const options = {
    url: s.url,
    connections: CONNECTIONS,
    requests: w.requests,
    headers: { 'content-type': 'application/json' },
  };
  try {
    await autocannon({ ...options, duration: WARMUP });
    const from = nowUs();
    const { result: r, serverCpu: cpu } = await timedLoad(s, options, SECONDS);
    const to = nowUs();
    await stopServer(s);
    const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'))!;
    const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
    return {
      rps: r.requests.average,
      requests: r.requests.total,
      p99: r.latency.p99,
      cpu,
      ...split(profile, from, to),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The columns of the section's table: categories, the rest summed as "other". */
const COLUMNS: Array<[string, string]> = [
  ['Node HTTP, net, streams, timers', 'Node HTTP'],
  ['Fastify', 'Fastify (JSON parse, schema, reply)'],
  ['metrics (prom-client)', 'metrics'],
  ['kioku serve (routes, batcher, kinds)', 'kioku serve'],
  ['recipes (buckets, answers)', 'recipes'],
  ['tokenizing', 'tokenizing'],
  ['series encoding', 'series encoding'],
  ['forward (JS + native kernels)', 'forward'],
  ['garbage collection', 'GC'],
];

type Profiled = Awaited<ReturnType<typeof profileOne>>;

/** What Node's HTTP, Fastify and the metrics spend on every request, however requests are batched. */
const FIXED = ['Node HTTP, net, streams, timers', 'Fastify', 'metrics (prom-client)'];

/** A run's row of the table, its CPU µs per request and the fixed part of them. */
interface Described {
  workload: string;
  batching: boolean;
  row: string;
  cpu: number;
  fixed: number;
  /** The forward's µs per request, and Node HTTP's. */
  forward: number;
  http: number;
}

/** One run's lines on stdout: its categories, then its top functions; and its row of the table. */
function describe(w: Workload, batching: boolean, r: Profiled): Described {
  const busy = [...r.byCategory].filter(([k]) => k !== 'idle').reduce((sum, [, v]) => sum + v, 0);
  // The profile's shares of the process's CPU time (its samples count wall time while busy).
  const us = (v: number) => ((v / busy) * r.cpu * 1e6) / r.requests;
  const perReq = (v: number) => us(v).toFixed(0);
  const out = [
    `\n${w.name}, batching ${batching ? 'on' : 'off'}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms; server CPU ${perReq(busy)} µs/request (${((r.cpu / SECONDS) * 100).toFixed(0)}% of a core)`,
  ];
  const rows = [...r.byCategory].filter(([k]) => k !== 'idle').sort((a, b) => b[1] - a[1]);
  for (const [k, v] of rows) {
    if (v / busy >= 0.005)
      out.push(
        `  ${k.padEnd(40)} ${perReq(v).padStart(6)} µs  ${((v / busy) * 100).toFixed(1).padStart(5)}%`,
      );
  }
  out.push('  by function (self time, with the builtins and native calls it makes):');
  for (const [k, v] of [...r.byFunction].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    out.push(`    ${perReq(v).padStart(6)} µs  ${k}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  const known = new Set(COLUMNS.map(([k]) => k));
  const other = rows.filter(([k]) => !known.has(k)).reduce((sum, [, v]) => sum + v, 0);
  const cells = [...COLUMNS.map(([k]) => perReq(r.byCategory.get(k) ?? 0)), perReq(other)];
  return {
    workload: w.name,
    batching,
    row: `| ${w.name} | ${batching ? 'on' : 'off'} | ${r.rps.toFixed(0)} | ${perReq(busy)} | ${cells.join(' | ')} |`,
    cpu: us(busy),
    fixed: FIXED.reduce((sum, k) => sum + us(r.byCategory.get(k) ?? 0), 0),
    forward: us(r.byCategory.get('forward (JS + native kernels)') ?? 0),
    http: us(r.byCategory.get('Node HTTP, net, streams, timers') ?? 0),
  };
}

/**
 * Per workload, the CPU per request without and with batching, and the ceiling the fixed
 * per-request cost puts on what batching can give: a server bound by its CPU serves
 * 1 / (CPU per request) requests a second, and batching shares out the forward but not the
 * HTTP, Fastify and metrics work, so the gain is at most unbatched CPU ÷ that fixed cost.
 */
function ceilingTable(runs: Described[]): string[] {
  const rows: string[] = [];
  for (const off of runs.filter((r) => !r.batching)) {
    const on = runs.find((r) => r.batching && r.workload === off.workload);
    if (!on) continue;
    const cells = [off.cpu, on.cpu, on.fixed].map((v) => v.toFixed(0));
    const gain = off.cpu / on.cpu;
    const ceiling = off.cpu / on.fixed;
    // Cutting x µs that both servers pay per request gives (off − x) / (on − x) = 3 at x = (3·on − off) / 2.
    const cut = Math.max(0, (3 * on.cpu - off.cpu) / 2);
    const cuttable = on.cpu - on.forward - on.http;
    const more = [cut, on.forward, cuttable].map((v) => v.toFixed(0));
    rows.push(
      `| ${off.workload} | ${cells.join(' | ')} | ${gain.toFixed(1)}× | ${ceiling.toFixed(1)}× | ${more.join(' | ')} |`,
    );
  }
  return [
    '| workload | CPU µs/request, unbatched | batched | of which fixed (Node HTTP + Fastify + metrics) | CPU gain from batching | ceiling: unbatched ÷ fixed | 3× needs a cut per request of (µs) | batched: forward | batched: all but the forward and Node HTTP |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ];
}

const f1 = (v: number) => v.toFixed(1);

function section(runs: Described[], load0: number[], pinning: string): string[] {
  return [
    "## Where a served request's time goes (`tsx bench/serve-profile.ts`)",
    '',
    `Command: \`tsx bench/serve-profile.ts ${SECONDS}\`: each workload of \`npm run bench:serve\` against a fresh \`kioku serve\` under node's --cpu-prof (KIOKU_NUM_THREADS=${THREADS}; ${pinning}), ${CONNECTIONS} connections, ${SECONDS} s after ${WARMUP} s untimed, micro-batching off and on. The server's CPU time per request (from /proc, its V8 threads included), split in the shares of the main thread's samples; a builtin or native call is charged to its caller, so "forward" holds the native kernels and "Fastify" the body's JSON.parse, the schema check and the reply's serialisation. The profiler itself adds to every figure. Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, shared (load average ${load0.map(f1).join(', ')} at the start, ${loadavg().map(f1).join(', ')} at the end). Date: ${new Date().toISOString().slice(0, 16)} UTC.`,
    '',
    `| workload | batching | requests/s | server CPU (µs/request) | ${COLUMNS.map(([, h]) => h).join(' | ')} | other |`,
    `|---|---|---|---|${COLUMNS.map(() => '---|').join('')}---|`,
    ...runs.map((r) => r.row),
    '',
    "Batching shares out the forward, never Node's HTTP, Fastify and the metrics, so a CPU-bound server gains at most unbatched CPU ÷ that fixed part (the ceiling column). A cut of x µs from what both servers pay per request turns the gain into (unbatched − x) ÷ (batched − x), which reaches 3 at x = (3 × batched − unbatched) ÷ 2; the last column is the part of a batched request that a change to the server can cut (all but its forward and Node's HTTP).",
    '',
    ...ceilingTable(runs),
    '',
  ];
}

const pinning = pinClient();
const m = await trainModels();
const st = statelessRequests(m);
const se = sessionRequests(m);
const workloads: Workload[] = [
  {
    name: 'GET /v2/health/live (HTTP ceiling)',
    model: 'text',
    requests: [{ method: 'GET', path: '/v2/health/live' }],
  },
  { name: 'text classifier, one e-mail', model: 'text', requests: st.text },
  { name: 'seed classifier, one e-mail', model: 'seed', requests: st.seed },
  { name: 'seed classifier, one 12-word text', model: 'seed', requests: st.short },
  { name: 'large classifier, one 12-word text', model: 'large', requests: st.largeShort },
  { name: 'forecaster, 60 rows, 7 steps', model: 'series', requests: st.series },
  { name: 'seed session, next 12 words', model: 'seed', requests: se.seed },
];
const served = [`text=${m.text}`, `seed=${m.seed}`, `large=${m.large}`, `series=${m.series}`];
const load0 = loadavg();
const rows: Described[] = [];
try {
  for (const w of workloads.filter((x) => x.name.includes(ONLY))) {
    for (const batching of w.name.startsWith('GET') ? [false] : [false, true]) {
      rows.push(describe(w, batching, await profileOne(served, batching, w)));
    }
  }
} finally {
  await releaseModels(m);
}
// Only a run of every workload rewrites BENCHMARKS.md's section.
if (ONLY === '') writeSection(join(root, 'BENCHMARKS.md'), 'serve-profile', section(rows, load0, pinning));
process.stdout.write(`\n${section(rows, load0, pinning).join('\n')}\n`);
