/** A value of the exposition: a line `metricName{labels} value`. */
interface Value {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/** One label set's observations: a count per bucket (the last one above every bound), sum, count. */
export interface Counts<L extends string> {
  labels: Record<L, string>;
  buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram counted in plain arrays and read by prom-client only when /metrics is
 * served (registered with `registry.registerMetric`). prom-client's own Histogram validates and
 * hashes the labels of every observation, through a labelled child too: several µs of every
 * request in the server. Here an observation costs a Map lookup and two additions; the
 * exposition is the one prom-client writes for its Histogram (test/serve/metrics.test.ts).
 */
export class CountedHistogram<L extends string> {
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly counts = new Map<string, Counts<L>>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly bounds: readonly number[],
  ) {}

  /** Counts `value` for the label set whose values are `values`, in labelNames' order. */
  observe(values: readonly string[], value: number): void {
    this.add(this.series(values), value);
  }

  /** The counts of the label set whose values are `values`, for {@link add} (looked up once by a caller that observes it often). */
  series(values: readonly string[]): Counts<L> {
    const key = values.join('\u0000');
    let c = this.counts.get(key);
    if (!c) {
      const labels = Object.fromEntries(this.labelNames.map((n, i) => [n, values[i]!])) as Record<L, string>;
      c = { labels, buckets: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      this.counts.set(key, c);
    }
    return c;
  }

  /** Counts `value` in `series` (one of this histogram's). */
  add(series: Counts<L>, value: number): void {
    let b = 0;
    while (b < this.bounds.length && value > this.bounds[b]!) b++;
    series.buckets[b]!++;
    series.sum += value;
    series.count++;
  }

  /** The values as prom-client's Histogram gives them: cumulative buckets, +Inf, sum and count. */
  async get() {
    const values: Value[] = [];
    const bucket = `${this.name}_bucket`;
    for (const c of this.counts.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, b) => {
        cumulative += c.buckets[b]!;
        values.push({ labels: { le, ...c.labels }, value: cumulative, metricName: bucket });
      });
      values.push({ labels: { le: '+Inf', ...c.labels }, value: c.count, metricName: bucket });
      values.push({ labels: { ...c.labels }, value: c.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...c.labels }, value: c.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.counts.clear();
  }
}
