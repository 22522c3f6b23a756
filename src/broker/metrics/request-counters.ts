/**
 * Requests, errors and latency by API, counted on the request path into typed arrays (no labels, no
 * allocation per request), turned into Prometheus samples at scrape time.
 */
import { apiName } from '../../protocol/api-keys.js';
import { errorName } from '../../protocol/errors.js';
import { HistogramCounts, type Sample } from './scrape-metric.js';

/** API keys and versions are small integers (Kafka's highest key is below 100, versions below 32). */
const MAX_API_KEY = 128;
const MAX_VERSION = 32;

/** Latency buckets in seconds: sub-millisecond produce up to parked fetches and long rebalances. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** KAFKA_STORAGE_ERROR: counted again as a storage error. */
const STORAGE_ERROR = 56;

export class RequestCounters {
  private readonly requests = new Float64Array(MAX_API_KEY * MAX_VERSION);
  /** Indexes of `requests` counted at least once: a scrape visits these, not all 4,096 slots. */
  private readonly seen: number[] = [];
  private readonly latency: (HistogramCounts | undefined)[] = new Array(MAX_API_KEY);
  /** apiKey * 1024 + (code + 1) → count (codes run from -1 to ~130). */
  private readonly errors = new Map<number, number>();

  /** Counts a request; returns the time it started, for `done`. */
  started(apiKey: number, apiVersion: number): number {
    if (apiKey >= 0 && apiKey < MAX_API_KEY && apiVersion >= 0 && apiVersion < MAX_VERSION) {
      const i = apiKey * MAX_VERSION + apiVersion;
      if (this.requests[i]!++ === 0) this.seen.push(i);
    }
    return performance.now();
  }

  /** A response is ready: its latency, and every error code it carries. */
  done(apiKey: number, startedAt: number, response: unknown): void {
    this.latencyOf(apiKey)?.observe((performance.now() - startedAt) / 1000);
    if (response !== null && typeof response === 'object') this.countErrors(apiKey, response, 0);
  }

  /** The handler failed (the connection answers an error response or closes). */
  failed(apiKey: number, startedAt: number, code: number): void {
    this.latencyOf(apiKey)?.observe((performance.now() - startedAt) / 1000);
    this.error(apiKey, code);
  }

  error(apiKey: number, code: number): void {
    if (code < -1 || code > 1000 || apiKey < 0 || apiKey >= MAX_API_KEY) return; // not a Kafka code: no series for it
    const key = apiKey * 1024 + code + 1;
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  private latencyOf(apiKey: number): HistogramCounts | undefined {
    if (apiKey < 0 || apiKey >= MAX_API_KEY) return undefined;
    return (this.latency[apiKey] ??= new HistogramCounts(LATENCY_BUCKETS));
  }

  /**
   * Counts the non-zero `errorCode` fields of a response: on the response itself and on the elements of its
   * arrays (topics, partitions, groups...), the only places Kafka's response schemas put one (no plain
   * nested struct carries an ErrorCode). Only arrays are descended: record bytes, scalars and structs are
   * skipped, so a Fetch response costs one visit per partition, not per record.
   */
  private countErrors(apiKey: number, value: object, depth: number): void {
    const code = (value as { errorCode?: unknown }).errorCode;
    if (typeof code === 'number' && code !== 0) this.error(apiKey, code);
    if (depth >= 4) return;
    const record = value as Record<string, unknown>;
    for (const key in record) {
      const v = record[key];
      if (!Array.isArray(v)) continue;
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        if (item !== null && typeof item === 'object' && !ArrayBuffer.isView(item)) this.countErrors(apiKey, item, depth + 1);
      }
    }
  }

  requestSamples(): Sample[] {
    // In API key and version order, as a scan of every slot would give.
    if (this.seen.length > 1) this.seen.sort((a, b) => a - b);
    return this.seen.map((i) => ({ labels: { api: apiName(Math.floor(i / MAX_VERSION)), version: i % MAX_VERSION }, value: this.requests[i]! }));
  }

  errorSamples(): Sample[] {
    return [...this.errors].map(([key, value]) => {
      const apiKey = Math.floor(key / 1024);
      const code = (key % 1024) - 1;
      return { labels: { api: apiName(apiKey), code, error: errorName(code) }, value };
    });
  }

  storageErrorSamples(): Sample[] {
    const out: Sample[] = [];
    for (const [key, value] of this.errors) if ((key % 1024) - 1 === STORAGE_ERROR) out.push({ labels: { source: apiName(Math.floor(key / 1024)) }, value });
    return out;
  }

  latencySamples(name: string): Sample[] {
    const out: Sample[] = [];
    for (let k = 0; k < MAX_API_KEY; k++) {
      const h = this.latency[k];
      if (h) out.push(...h.samples(name, { api: apiName(k) }));
    }
    return out;
  }
}
