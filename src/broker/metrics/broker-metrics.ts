/**
 * The broker's metrics (issue 14), collected only when the HTTP endpoint is on.
 *
 * The request path counts into plain numbers and typed arrays (request-counters.ts, partition-counters.ts);
 * prom-client reads them at scrape time, together with gauges read from broker state (logs, groups). So a
 * request costs a clock read and a few array increments, never a prom-client call or a label lookup. With
 * metrics off, `broker.services.metrics` is undefined and each hook is one property read.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ErrorCode, errorCodeOf } from '../../protocol/errors.js';
import type { BrokerContext } from '../context.js';
import type { PartitionLog } from '../log/partition-log.js';
import type { ReadMemory } from '../read-memory.js';
import { collectGroups } from './group-metrics.js';
import { PartitionCounterMap, recordsInBatches } from './partition-counters.js';
import { collectPartitions } from './partition-metrics.js';
import { LATENCY_BUCKETS, RequestCounters } from './request-counters.js';
import { scrapeMetric, type Sample } from './scrape-metric.js';
import { SeriesBound } from './series-bound.js';

declare module '../context.js' {
  interface BrokerServices {
    /** Present only with `--http-port`: hot paths call `broker.services.metrics?.…`. */
    metrics: BrokerMetrics;
  }
}

/** Every limit a refusal can be counted against, by its flag name (a series each, from the first scrape). */
export const LIMITS = [
  'max-connections',
  'max-connections-per-ip',
  'max-request-size',
  'partial-frame-timeout-ms',
  'connections-max-idle-ms',
  'max-pending-response-bytes',
  'read-memory-bytes',
  'max-partitions',
  'max-partitions-per-request',
  'max-message-bytes',
  'max-inflated-batch-bytes',
  'http-max-connections',
  'http-max-header-size',
  'http-request-timeout',
] as const;
export type LimitName = (typeof LIMITS)[number];

export interface BrokerMetricsOptions {
  /** Time to open (after a crash: recover) the logs at start, in seconds. */
  logOpenSeconds: number;
  /** The logs were not closed cleanly, so opening them was a recovery. */
  recovered: boolean;
}

/** Refusals counted elsewhere (the HTTP server, the read memory) and read at scrape time. */
export type RefusalSource = () => Partial<Record<LimitName, number>>;

/**
 * Node's process metrics, registered once per process: they start an event-loop delay monitor and a GC
 * observer that prom-client cannot stop, so brokers started in one process (tests) share them. The monitor
 * samples every 100 ms rather than prom-client's 10 ms: the delays it records are exact either way.
 */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: 100 });
  }
  return processRegistry;
}

export class BrokerMetrics {
  /** The broker's own metrics. */
  private readonly own = new Registry();
  /** What /metrics serves: the process metrics and the broker's. */
  readonly registry: Registry;
  readonly requests = new RequestCounters();
  readonly partitions = new PartitionCounterMap();
  readonly topicSeries: SeriesBound;
  readonly groupSeries: SeriesBound;
  readonly groupPartitionSeries: SeriesBound;
  /** Fetches waiting for data (min_bytes not reached yet). */
  parkedFetches = 0;
  private readonly refusals = new Map<LimitName, number>(LIMITS.map((l) => [l, 0]));
  private readonly refusalSources: RefusalSource[] = [];
  private readonly storageErrors = new Map<string, number>([['retention', 0]]);
  private readonly connectionsOpen = new Map<string, number>();
  private readonly connectionsTotal = new Map<string, number>();
  private lastScrape: Promise<unknown> = Promise.resolve();
  /** Computed once per scrape (see `scrape`), read by several metrics. */
  private snapshot: { partitions: Map<string, Sample[]>; groups: Map<string, Sample[]> } | null = null;

  constructor(
    readonly broker: BrokerContext,
    options: BrokerMetricsOptions,
  ) {
    this.topicSeries = new SeriesBound(broker.config.metricsMaxTopicSeries);
    this.groupSeries = new SeriesBound(broker.config.metricsMaxGroupSeries);
    this.groupPartitionSeries = new SeriesBound(broker.config.metricsMaxGroupSeries);
    const r = this.own;
    const requests = this.requests;
    scrapeMetric(r, 'kafkaesque_requests_total', 'Kafka requests received, by API and version', 'counter', () => requests.requestSamples());
    scrapeMetric(r, 'kafkaesque_request_errors_total', 'Error codes in Kafka responses (top level, per topic and per partition), by API and code', 'counter', () => requests.errorSamples());
    scrapeMetric(r, 'kafkaesque_request_duration_seconds', `Time from a request's arrival to its response being ready, by API (buckets ${LATENCY_BUCKETS.join(', ')})`, 'histogram', () =>
      requests.latencySamples('kafkaesque_request_duration_seconds'),
    );
    scrapeMetric(r, 'kafkaesque_storage_errors_total', 'Log reads or writes that failed: KAFKA_STORAGE_ERROR answers by API, and housekeeping (source="retention")', 'counter', () => [
      ...requests.storageErrorSamples(),
      ...[...this.storageErrors].map(([source, value]) => ({ labels: { source }, value })),
    ]);
    scrapeMetric(r, 'kafkaesque_connections_open', 'Kafka connections open, by listener', 'gauge', () => byListener(this.connectionsOpen));
    scrapeMetric(r, 'kafkaesque_connections_total', 'Kafka connections accepted since start, by listener', 'counter', () => byListener(this.connectionsTotal));
    scrapeMetric(r, 'kafkaesque_fetch_parked', 'Fetch requests waiting for data (short of min_bytes, before max_wait_ms)', 'gauge', () => [{ labels: {}, value: this.parkedFetches }]);
    scrapeMetric(r, 'kafkaesque_limit_refusals_total', 'Requests, connections or reads refused or made to wait by a limit, by the limit\'s flag', 'counter', () => this.refusalSamples());
    scrapeMetric(r, 'kafkaesque_log_recovery_seconds', 'Time taken to open the logs at start; recovered="true" when they were not closed cleanly', 'gauge', () => [
      { labels: { recovered: String(options.recovered) }, value: options.logOpenSeconds },
    ]);
    const partitionMetric = (name: string, help: string, type: 'counter' | 'gauge'): void =>
      scrapeMetric(r, name, help, type, () => this.snapshot?.partitions.get(name) ?? []);
    partitionMetric('kafkaesque_partition_bytes_in_total', 'Record batch bytes appended, by topic and partition', 'counter');
    partitionMetric('kafkaesque_partition_records_in_total', 'Records appended (from batch headers), by topic and partition', 'counter');
    partitionMetric('kafkaesque_partition_bytes_out_total', 'Record batch bytes returned by Fetch, by topic and partition', 'counter');
    partitionMetric('kafkaesque_partition_records_out_total', 'Records returned by Fetch (from batch headers), by topic and partition', 'counter');
    partitionMetric('kafkaesque_partition_log_size_bytes', 'Bytes in the partition log\'s segments', 'gauge');
    partitionMetric('kafkaesque_partition_log_start_offset', 'First offset still in the partition log', 'gauge');
    partitionMetric('kafkaesque_partition_high_watermark', 'Offset after the last record in the partition log', 'gauge');
    const groupMetric = (name: string, help: string): void => scrapeMetric(r, name, help, 'gauge', () => this.snapshot?.groups.get(name) ?? []);
    groupMetric('kafkaesque_group_state', 'Consumer groups by state: 1 for the group\'s current state (under group="__other__": how many groups)');
    groupMetric('kafkaesque_group_members', 'Members of the consumer group');
    groupMetric('kafkaesque_group_committed_offset', 'Committed offset of the group, by topic and partition');
    groupMetric('kafkaesque_group_lag', 'High watermark minus the committed offset, by group, topic and partition');
    scrapeMetric(r, 'kafkaesque_series_aggregated', 'Topic-partitions and groups beyond --metrics-max-topic-series / --metrics-max-group-series, summed under "__other__"', 'gauge', () =>
      this.aggregatedSamples(),
    );
    // Merged once every metric is registered (merge copies the registrations it finds).
    this.registry = Registry.merge([processMetrics(), r]);
    // One render now, while the broker is starting: the first scrape would otherwise pay for prom-client's
    // first-run work (compiling its formatting, reading /proc) while serving Kafka requests. Real scrapes wait
    // for it (they chain on `lastScrape`).
    this.lastScrape = this.registry.metrics().catch(() => undefined);
  }

  /**
   * The text Prometheus scrapes: broker state is read once, then every metric formats its part. Scrapes run
   * one at a time, so concurrent ones never see each other's snapshot.
   */
  scrape(): Promise<string> {
    const next = this.lastScrape.then(async () => {
      this.snapshot = {
        partitions: collectPartitions(this.broker, this.partitions, this.topicSeries),
        groups: collectGroups(this.broker, this.groupSeries, this.groupPartitionSeries),
      };
      try {
        return await this.registry.metrics();
      } finally {
        this.snapshot = null;
      }
    });
    this.lastScrape = next.catch(() => undefined);
    return next;
  }

  // ---------------------------------------------------------------- hot-path hooks

  /**
   * Counts a request and times its answer: `result` is the handler's return (a value or a promise), and the
   * returned value is what the connection should use (now always `result` itself).
   */
  observeRequest(apiKey: number, apiVersion: number, result: unknown): unknown {
    const requests = this.requests;
    const started = requests.started(apiKey, apiVersion);
    if (!(result instanceof Promise)) {
      requests.done(apiKey, started, result);
      return result;
    }
    // Observed beside the connection's own reaction, not chained in front of it: the connection gets the
    // handler's promise itself, so its response is not one promise hop later (and a rejection still reaches
    // the connection's handler; this reaction swallows it only for its own derived promise). Nothing may
    // escape these reactions: their promise has no handler, so a throw would be an unhandled rejection.
    result.then(
      (res: unknown) => {
        try {
          requests.done(apiKey, started, res);
        } catch {
          // A response the error walk cannot read is still answered; it just goes uncounted.
        }
      },
      (err: unknown) => requests.failed(apiKey, started, errorCodeOf(err, ErrorCode.UNKNOWN_SERVER_ERROR)),
    );
    return result;
  }

  /** A listener's series exist (at 0) before its first connection. */
  declareListener(listener: string): void {
    if (!this.connectionsOpen.has(listener)) this.connectionsOpen.set(listener, 0);
    if (!this.connectionsTotal.has(listener)) this.connectionsTotal.set(listener, 0);
  }

  /** A request in a version this broker does not serve: counted, and answered UNSUPPORTED_VERSION (or closed). */
  unsupportedVersion(apiKey: number, apiVersion: number): void {
    this.requests.started(apiKey, apiVersion);
    this.requests.error(apiKey, ErrorCode.UNSUPPORTED_VERSION);
  }

  connectionOpened(listener: string): void {
    this.connectionsOpen.set(listener, (this.connectionsOpen.get(listener) ?? 0) + 1);
    this.connectionsTotal.set(listener, (this.connectionsTotal.get(listener) ?? 0) + 1);
  }

  connectionClosed(listener: string): void {
    this.connectionsOpen.set(listener, (this.connectionsOpen.get(listener) ?? 1) - 1);
  }

  /** A storage failure outside any request (e.g. retention could not delete a segment). */
  storageError(source: 'retention'): void {
    this.storageErrors.set(source, (this.storageErrors.get(source) ?? 0) + 1);
  }

  refused(limit: LimitName): void {
    this.refusals.set(limit, (this.refusals.get(limit) ?? 0) + 1);
  }

  /** A Produce refusal: counted against the limit its error names, if one does. */
  appendRefused(errorCode: number, message: string): void {
    if (errorCode === ErrorCode.MESSAGE_TOO_LARGE || errorCode === ErrorCode.RECORD_LIST_TOO_LARGE) this.refused('max-message-bytes');
    else if (errorCode === ErrorCode.INVALID_RECORD && message.includes('--max-inflated-batch-bytes')) this.refused('max-inflated-batch-bytes');
  }

  /** `records` (whole batches, as produced) were appended to `log`. */
  appended(log: PartitionLog, records: Buffer): void {
    const c = this.partitions.of(log);
    c.bytesIn += records.length;
    c.recordsIn += recordsInBatches(records);
  }

  /** A Fetch response is final: `results[i]` holds the records of `targets[i]` (the ones it sends). */
  fetched(targets: readonly { topic: string | null; partition: number }[], results: readonly { records: Buffer | null }[]): void {
    for (let i = 0; i < targets.length; i++) {
      const records = results[i]?.records;
      const t = targets[i]!;
      if (!records || records.length === 0 || t.topic === null) continue;
      const log = this.broker.logs.partition(t.topic, t.partition);
      if (log) this.readOut(log, records);
    }
  }

  /** `records` of `log` go to a reader (Fetch, or the in-process link). */
  readOut(log: PartitionLog, records: Buffer): void {
    const c = this.partitions.of(log);
    c.bytesOut += records.length;
    c.recordsOut += recordsInBatches(records);
  }

  /** Reads the read memory's waits at scrape time (the server calls this once it has one). */
  watchReadMemory(memory: ReadMemory): void {
    this.refusalSources.push(() => ({ 'max-pending-response-bytes': memory.waits.connection, 'read-memory-bytes': memory.waits.broker }));
  }

  /** Adds refusals counted elsewhere (e.g. the HTTP server's), read at scrape time. */
  addRefusalSource(source: RefusalSource): void {
    this.refusalSources.push(source);
  }

  private refusalSamples(): Sample[] {
    const totals = new Map(this.refusals);
    for (const source of this.refusalSources) {
      for (const [limit, n] of Object.entries(source()) as [LimitName, number][]) totals.set(limit, (totals.get(limit) ?? 0) + n);
    }
    return [...totals].map(([limit, value]) => ({ labels: { limit }, value }));
  }

  private aggregatedSamples(): Sample[] {
    return [
      { labels: { label: 'topic' }, value: this.topicSeries.refusedLastScrape },
      { labels: { label: 'group' }, value: this.groupSeries.refusedLastScrape },
    ];
  }
}

function byListener(counts: Map<string, number>): Sample[] {
  return [...counts].map(([listener, value]) => ({ labels: { listener }, value }));
}
