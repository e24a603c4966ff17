/*
 * What a served request's own steps cost, each alone, in CPU time: `tsx bench/serve-parts.ts
 * [rounds]` (default 7). The JSON body (kioku's parser against Fastify's secure-json-parse, on a
 * forecast body as bench:serve sends it, the same with the CSV's digits, and a 12-word body), the
 * reply (JSON.stringify against a compiled fast-json-stringify schema), the metrics (prom-client,
 * with labels and with cached children, against kioku serve's plain counts) and an access-log line (pino, to nothing, to /dev/null, to
 * a file). Each pair runs interleaved, round after round; the medians are printed.
 */
import { openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fastJson from 'fast-json-stringify';
import pino from 'pino';
import { Counter, Histogram } from 'prom-client';
import secureJson from 'secure-json-parse';
import { seattleWeather } from '../src/io/datasets/builtin.js';
import { parseJsonBody } from '../src/serve/json-body.js';
import { ServeMetrics } from '../src/serve/metrics.js';
import { V1_ANSWER } from '../src/serve/text-kind.js';

const ROUNDS = Number(process.argv[2] ?? 7);

/** CPU µs per call of `f`, over `n` calls. */
function cpu(f: () => unknown, n: number): number {
  const c = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / n;
}

/** Runs the cases of a group interleaved, ROUNDS times, and prints each one's median. */
function group(title: string, n: number, cases: Record<string, () => unknown>): void {
  const runs: Record<string, number[]> = {};
  for (const f of Object.values(cases)) cpu(f, n >> 3);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, f] of Object.entries(cases)) (runs[name] ??= []).push(cpu(f, n));
  }
  process.stdout.write(`${title}\n`);
  for (const [name, v] of Object.entries(runs)) {
    const median = [...v].sort((a, b) => a - b)[v.length >> 1]!;
    process.stdout.write(`  ${name.padEnd(48)} ${median.toFixed(2).padStart(7)} µs\n`);
  }
}

const seattle = await seattleWeather();
const columns = ['precipitation', 'temp_max', 'temp_min', 'wind'];
const F = seattle.columns.length;
const rows = Array.from({ length: 60 }, (_, r) =>
  columns.map((c) => seattle.values[r * F + seattle.columns.indexOf(c)]!),
);
const dates = seattle.index!.slice(0, 60);
const forecast = JSON.stringify({ history: rows, dates, steps: 7 });
const csvDigits = JSON.stringify({
  history: rows.map((r) => r.map((v) => Number(v.toPrecision(7)))),
  dates,
  steps: 7,
});
const short = JSON.stringify({ instances: ['the quick brown fox jumps over the lazy dog and then some'] });
const poisoning = { protoAction: 'error', constructorAction: 'error' } as const;
for (const [name, body] of [
  [`forecast body as bench:serve sends it (${forecast.length} bytes)`, forecast],
  [`forecast body with the CSV's digits (${csvDigits.length} bytes)`, csvDigits],
  [`12-word body (${short.length} bytes)`, short],
]) {
  group(`JSON body: ${name}`, body === short ? 100_000 : 4000, {
    'secure-json-parse (Fastify)': () => secureJson.parse(body!, poisoning),
    parseJsonBody: () => parseJsonBody(body!),
  });
}

const textAnswer = {
  predictions: [{ label: 'spam', probability: 0.93, probabilities: { ham: 0.07, spam: 0.93 } }],
};
const forecastAnswer = {
  target: 'temp_max',
  predictions: Array.from({ length: 7 }, (_, k) => ({
    series: null,
    step: k + 1,
    date: `2015-01-0${k + 1}`,
    value: 12.345678 + k,
    lower: null,
    upper: null,
  })),
};
const number = { type: 'number' };
const textSchema = fastJson(V1_ANSWER);
const nullable = { type: ['number', 'null'] };
const forecastSchema = fastJson({
  type: 'object',
  properties: {
    target: { type: 'string' },
    predictions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          series: { type: ['string', 'null'] },
          step: { type: 'integer' },
          date: { type: ['string', 'null'] },
          value: number,
          lower: nullable,
          upper: nullable,
        },
      },
    },
  },
});
group('reply: a text answer', 100_000, {
  'JSON.stringify': () => JSON.stringify(textAnswer),
  'fast-json-stringify': () => textSchema(textAnswer),
});
group('reply: a forecast answer, 7 steps', 50_000, {
  'JSON.stringify': () => JSON.stringify(forecastAnswer),
  'fast-json-stringify': () => forecastSchema(forecastAnswer),
});

const metrics = new ServeMetrics(() => []);
const labels = { method: 'POST', route: '/v1/models/{name}:predict', model: 'seed', code: 200 };
const timing = { route: labels.route, model: 'seed' };
const promRequests = new Counter({
  name: 'r',
  help: 'r',
  labelNames: ['method', 'route', 'model', 'code'],
  registers: [],
});
const promLatency = new Histogram({ name: 'l', help: 'l', labelNames: ['route', 'model'], registers: [] });
const counted = promRequests.labels(labels);
const timed = promLatency.labels(timing);
group('metrics: a request counted and timed', 100_000, {
  'prom-client, labels per call': () => {
    promRequests.inc(labels);
    promLatency.observe(timing, 0.002);
  },
  'prom-client, cached children': () => {
    counted.inc();
    timed.observe(0.002);
  },
  'kioku serve (counted in plain arrays)': () => metrics.observe('POST', labels.route, 'seed', 200, 0.002),
});

const line = { method: 'POST', url: '/v1/models/seed:predict', status: 200, ms: 1.2, model: 'seed' };
const devNull = openSync('/dev/null', 'w');
const file = openSync(join(tmpdir(), 'kioku-serve-parts.log'), 'w');
const logTo = (write: (s: string) => unknown) => pino({ level: 'info' }, { write } as never);
const loggers = {
  'pino at info, to nothing': logTo(() => 0),
  'pino at info, a write per line to /dev/null': logTo((s) => writeSync(devNull, s)),
  'pino at info, a write per line to a file': logTo((s) => writeSync(file, s)),
};
group('access log: a child logger per request and its line', 20_000, {
  ...Object.fromEntries(
    Object.entries(loggers).map(([name, log]) => [
      name,
      () => log.child({ reqId: 'req-1' }).info(line, 'request'),
    ]),
  ),
});
