/*
 * Where a served request's time goes: `tsx bench/serve-profile.ts [seconds]` serves the models of
 * `npm run bench:serve` under node's --cpu-prof (one kernel thread), loads each workload with
 * autocannon for `seconds` (default 5) with micro-batching off and on, and prints the server's
 * CPU time per request split by who spent it (Node's HTTP, Fastify, schema validation, JSON, our
 * request handling, tokenizing, the forward, …). A trivial route (GET /v2/health/live) gives the
 * ceiling HTTP alone allows. CPU time, unlike requests/s, suffers little from a loaded machine.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import {
  type Req,
  sessionRequests,
  startServer,
  statelessRequests,
  stopServer,
  trainModels,
} from './serve-setup.js';

const SECONDS = Number(process.argv[2] ?? 5);
const CONNECTIONS = 32;

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

/** Seconds of CPU per category between `from` and `to` (monotonic µs, the profile's clock). */
function split(profile: CpuProfile, from: number, to: number): Map<string, number> {
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
  const out = new Map<string, number>();
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i]!;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (t < from || t > to) return;
    const name = ownerOf(id);
    out.set(name, (out.get(name) ?? 0) + dt / 1e6);
  });
  return out;
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
    await autocannon({ ...options, duration: 1 });
    const from = nowUs();
    const r = await autocannon({ ...options, duration: SECONDS });
    const to = nowUs();
    await stopServer(s);
    const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'))!;
    const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
    return {
      rps: r.requests.average,
      requests: r.requests.total,
      p99: r.latency.p99,
      cpu: split(profile, from, to),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

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
  { name: 'forecaster, 60 rows, 7 steps', model: 'series', requests: st.series },
  { name: 'seed session, next 12 words', model: 'seed', requests: se.seed },
];
const served = [`text=${m.text}`, `seed=${m.seed}`, `series=${m.series}`];
process.stdout.write(
  `load average at the start: ${loadavg()
    .map((v) => v.toFixed(1))
    .join(', ')}\n`,
);
try {
  for (const w of workloads) {
    for (const batching of w.name.startsWith('GET') ? [false] : [false, true]) {
      const r = await profileOne(served, batching, w);
      const busy = [...r.cpu].filter(([k]) => k !== 'idle').reduce((a, [, v]) => a + v, 0);
      const perReq = (v: number) => ((v / r.requests) * 1e6).toFixed(0);
      process.stdout.write(
        `\n${w.name}, batching ${batching ? 'on' : 'off'}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms; server CPU ${perReq(busy)} µs/request (busy ${((busy / SECONDS) * 100).toFixed(0)}% of the run)\n`,
      );
      const rows = [...r.cpu].filter(([k]) => k !== 'idle').sort((a, b) => b[1] - a[1]);
      for (const [k, v] of rows) {
        if (v / busy < 0.005) continue;
        process.stdout.write(
          `  ${k.padEnd(40)} ${perReq(v).padStart(6)} µs  ${((v / busy) * 100).toFixed(1).padStart(5)}%\n`,
        );
      }
    }
  }
} finally {
  await rm(m.dir, { recursive: true, force: true });
}
process.stdout.write(
  `\nload average at the end: ${loadavg()
    .map((v) => v.toFixed(1))
    .join(', ')}\n`,
);
