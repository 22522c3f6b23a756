/**
 * The broker's metrics (issue 14), collected only when the HTTP endpoint is on.
 *
 * The request path counts into plain numbers and typed arrays (see counters.ts); prom-client reads them at
 * scrape time through `collect()` callbacks, together with gauges read from broker state (logs, groups).
 * So a request costs a few array increments, never a prom-client call or a label lookup.
 */
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { BrokerContext } from '../context.js';

declare module '../context.js' {
  interface BrokerServices {
    /** Present only with `--http-port`: hot paths call `broker.services.metrics?.…`. */
    metrics: BrokerMetrics;
  }
}

export interface BrokerMetricsOptions {
  /** Time to open (after a crash: recover) the logs at start, in seconds. */
  logOpenSeconds: number;
  /** The logs were not closed cleanly, so opening them was a recovery. */
  recovered: boolean;
}

export class BrokerMetrics {
  readonly registry = new Registry();

  constructor(
    readonly broker: BrokerContext,
    options: BrokerMetricsOptions,
  ) {
    collectDefaultMetrics({ register: this.registry });
    const open = new Gauge({
      name: 'kafkaesque_log_recovery_seconds',
      help: 'Time taken to open the logs at start; recovered=true when they were not closed cleanly (recovery)',
      labelNames: ['recovered'],
      registers: [this.registry],
    });
    open.set({ recovered: String(options.recovered) }, options.logOpenSeconds);
  }
}
