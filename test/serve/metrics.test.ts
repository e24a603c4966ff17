import { Counter, Histogram, type Metric, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CountedHistogram } from '../../src/serve/counted-histogram.js';
import { ServeMetrics } from '../../src/serve/metrics.js';

const BOUNDS = [0.001, 0.01, 0.1, 1];
// Values on a bound, between bounds, above every bound; two label sets, one with odd characters.
const OBSERVED: [string, string, number][] = [
  ['/v2/health/live', '', 0.001],
  ['/v1/models/{name}:predict', 'spam "v2"\n', 0.0004],
  ['/v1/models/{name}:predict', 'spam "v2"\n', 0.05],
  ['/v2/health/live', '', 3],
  ['/v1/models/{name}:predict', 'spam "v2"\n', 1],
];

describe('CountedHistogram', () => {
  it('writes what prom-client writes for its own Histogram fed the same observations', async () => {
    const theirs = new Registry();
    const stock = new Histogram({
      name: 'h',
      help: 'latency',
      labelNames: ['route', 'model'],
      buckets: BOUNDS,
      registers: [theirs],
    });
    const ours = new Registry();
    const counted = new CountedHistogram('h', 'latency', ['route', 'model'], BOUNDS);
    ours.registerMetric(counted as unknown as Metric);
    for (const [route, model, v] of OBSERVED) {
      stock.observe({ route, model }, v);
      counted.observe([route, model], v);
    }
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('h_bucket{le="0.001",route="/v2/health/live",model=""} 1');
    // prom-client's own values also carry `exemplar: null` (exemplars are off); nothing else differs.
    const json = async (r: Registry) =>
      (await r.getMetricsAsJSON()).map((m) => ({
        ...m,
        values: m.values.map((v) => ({
          labels: v.labels,
          value: v.value,
          metricName: (v as { metricName?: string }).metricName,
        })),
      }));
    expect(await json(ours)).toEqual(await json(theirs));
    counted.reset();
    expect(await ours.metrics()).not.toContain('h_count');
  });
});

describe('ServeMetrics.observe', () => {
  it('counts requests by method, route, model and status, and their times, as prom-client would', async () => {
    const m = new ServeMetrics(() => []);
    const theirs = new Registry();
    const requests = new Counter({
      name: 'kioku_requests_total',
      help: 'x',
      labelNames: ['method', 'route', 'model', 'code'],
      registers: [theirs],
    });
    const calls: [string, string, string, number][] = [
      ['POST', '/v1/models/{name}:predict', 'spam', 200],
      ['POST', '/v1/models/{name}:predict', 'spam', 400],
      ['POST', '/v1/models/{name}:predict', 'spam', 200],
      ['GET', '/v2/health/live', '', 200],
    ];
    const lines = async (r: Registry) =>
      (await r.metrics()).split('\n').filter((l) => l.startsWith('kioku_requests_total{'));
    for (const [method, route, model, code] of calls) {
      m.observe(method, route, model, code, 0.002);
      requests.inc({ method, route, model, code });
      // Read after every request: what prom-client is handed is each time only what is new.
      expect(await lines(m.registry)).toEqual(await lines(theirs));
      expect(await m.registry.metrics()).toContain(
        `kioku_request_duration_seconds_count{route="${route}",model="${model}"}`,
      );
    }
    expect(await lines(m.registry)).toContain(
      'kioku_requests_total{method="POST",route="/v1/models/{name}:predict",model="spam",code="200"} 2',
    );
  });
});
