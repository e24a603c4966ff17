import { Counter, collectDefaultMetrics, Gauge, Histogram, type Metric, Registry } from 'prom-client';
import { CountedHistogram } from './counted-histogram.js';

/** What the gauges read from each model when the metrics are scraped. */
export interface ModelGauges {
  name: string;
  /** Open sessions. */
  sessions: number;
  /** Requests waiting for their batch. */
  waiting: number;
}

/** Requests answered with one set of labels: counted, and how many prom-client was handed. */
interface Answered {
  labels: Record<string, string>;
  count: number;
  reported: number;
}

/**
 * The server's Prometheus metrics (GET /metrics): requests by route, model and status; latency;
 * rows per batched forward; requests waiting for a batch; open sessions and evictions; and the
 * process's own (CPU, memory, event-loop lag) from prom-client's defaults.
 */
export class ServeMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'model' | 'code'>;
  readonly latency: CountedHistogram<'route' | 'model'>;
  readonly batchRows: Histogram<'model' | 'mode'>;
  readonly evictions: Counter<'model' | 'reason'>;

  /** Requests answered by method, route, model and status, counted without prom-client's label hashing. */
  private readonly answered = new Map<string, Answered>();

  constructor(models: () => readonly ModelGauges[]) {
    const registers = [this.registry];
    const answered = this.answered;
    this.requests = new Counter({
      name: 'kioku_requests_total',
      help: 'HTTP requests answered, by route, model and status code',
      labelNames: ['method', 'route', 'model', 'code'],
      registers,
      // Counted per request in `answered`; prom-client gets what is new when /metrics is read.
      collect() {
        for (const a of answered.values()) {
          if (a.count > a.reported) this.inc(a.labels, a.count - a.reported);
          a.reported = a.count;
        }
      },
    });
    this.latency = new CountedHistogram(
      'kioku_request_duration_seconds',
      'Time from a request arriving to its answer being sent',
      ['route', 'model'],
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    );
    // Not one of prom-client's classes, but what its registry reads of one: name, type and get().
    this.registry.registerMetric(this.latency as unknown as Metric);
    this.batchRows = new Histogram({
      name: 'kioku_batch_size',
      help: 'Rows (texts, series, session chunks) run together in one forward',
      labelNames: ['model', 'mode'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.evictions = new Counter({
      name: 'kioku_session_evictions_total',
      help: 'Sessions closed by the server: idle too long, or least recently used when full',
      labelNames: ['model', 'reason'],
      registers,
    });
    new Gauge({
      name: 'kioku_active_sessions',
      help: 'Open sessions per model',
      labelNames: ['model'],
      registers,
      collect() {
        for (const m of models()) this.set({ model: m.name }, m.sessions);
      },
    });
    new Gauge({
      name: 'kioku_waiting_requests',
      help: 'Requests waiting for their batch to run, per model',
      labelNames: ['model'],
      registers,
      collect() {
        for (const m of models()) this.set({ model: m.name }, m.waiting);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** One answered request: its count and its time in seconds. */
  observe(method: string, route: string, model: string, code: number, seconds: number): void {
    this.answeredBy(method, route, model, code).count++;
    this.latency.observe([route, model], seconds);
  }

  /**
   * observe() for one route's requests, its labels looked up once: what every request of a
   * route costs is then a Map read by status, two additions and a bucket search.
   */
  route(method: string, route: string, model: string): (code: number, seconds: number) => void {
    const latency = this.latency.series([route, model]);
    const byCode = new Map<number, Answered>();
    return (code, seconds) => {
      let a = byCode.get(code);
      if (a === undefined) {
        a = this.answeredBy(method, route, model, code);
        byCode.set(code, a);
      }
      a.count++;
      this.latency.add(latency, seconds);
    };
  }

  private answeredBy(method: string, route: string, model: string, code: number): Answered {
    const key = `${method}\u0000${code}\u0000${model}\u0000${route}`;
    let a = this.answered.get(key);
    if (!a) {
      a = { labels: { method, route, model, code: String(code) }, count: 0, reported: 0 };
      this.answered.set(key, a);
    }
    return a;
  }
}
