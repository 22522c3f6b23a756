/**
 * A metric whose values are computed when Prometheus scrapes, registered straight into a prom-client
 * Registry (which formats it). The broker counts into plain numbers on its hot paths; these read them.
 */
import type { Registry } from 'prom-client';

export type Labels = Record<string, string | number>;

export interface Sample {
  labels: Labels;
  value: number;
  /** For histograms: `name_bucket`, `name_sum`, `name_count`. */
  metricName?: string;
}

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Registers a metric whose samples `collect` returns at each scrape. */
export function scrapeMetric(registry: Registry, name: string, help: string, type: MetricType, collect: () => Sample[]): void {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, aggregator: 'sum', values: collect() }),
  };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}

/**
 * Counts of observations per bucket (upper bounds in `bounds`, the last bucket +Inf), kept in a typed array:
 * observing is a short scan and an increment. Cumulated only at scrape time.
 */
export class HistogramCounts {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  /** The Prometheus samples of this histogram under `name` with `labels`. */
  samples(name: string, labels: Labels): Sample[] {
    const out: Sample[] = [];
    let cumulative = 0;
    for (let i = 0; i <= this.bounds.length; i++) {
      cumulative += this.counts[i]!;
      const le = i < this.bounds.length ? String(this.bounds[i]) : '+Inf';
      out.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative });
    }
    out.push({ metricName: `${name}_sum`, labels, value: this.sum });
    out.push({ metricName: `${name}_count`, labels, value: this.count });
    return out;
  }
}
