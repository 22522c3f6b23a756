/**
 * Recent throughput per topic for the console's sparklines: every `intervalMs` the sampler reads each topic's
 * summed high watermarks and log sizes (getters, no I/O) into a small ring buffer. It runs only while the HTTP
 * endpoint is on (started and stopped with the API's routes), never on the Kafka request path.
 *
 * Bounded: `samples` points per topic (default 120 × 5 s = the last 10 minutes) for at most `maxTopics`
 * topics; topics beyond that get no series (their rows show offsets and sizes, just no sparkline), so a
 * broker with 100,000 topics does not spend 300 MB on charts nobody looks at.
 */
import type { LogManager } from '../../log/log-manager.js';

export interface ThroughputOptions {
  /** Time between samples, ms (default 5,000). */
  intervalMs: number;
  /** Points kept per topic (default 120). */
  samples: number;
  /** Topics with a series at most (default 1,000). */
  maxTopics: number;
}

export const DEFAULT_THROUGHPUT: Readonly<ThroughputOptions> = Object.freeze({ intervalMs: 5_000, samples: 120, maxTopics: 1_000 });

/** One interval's rates, at its end time `t` (ms since the epoch). */
export interface ThroughputPoint {
  t: number;
  recordsPerSec: number;
  bytesPerSec: number;
}

/** Cumulative counters of one topic, sampled. A ring of (time, records, bytes). */
class TopicRing {
  readonly times: Float64Array;
  readonly records: Float64Array;
  readonly bytes: Float64Array;
  next = 0;
  count = 0;

  constructor(readonly topicId: string, capacity: number) {
    this.times = new Float64Array(capacity);
    this.records = new Float64Array(capacity);
    this.bytes = new Float64Array(capacity);
  }

  push(t: number, records: number, bytes: number): void {
    const i = this.next;
    this.times[i] = t;
    this.records[i] = records;
    this.bytes[i] = bytes;
    this.next = (i + 1) % this.times.length;
    this.count = Math.min(this.count + 1, this.times.length);
  }

  /** Rates between consecutive samples, oldest first. */
  points(): ThroughputPoint[] {
    const n = this.count;
    const cap = this.times.length;
    const first = (this.next - n + cap) % cap;
    const out: ThroughputPoint[] = [];
    for (let k = 1; k < n; k++) {
      const a = (first + k - 1) % cap;
      const b = (first + k) % cap;
      const seconds = (this.times[b]! - this.times[a]!) / 1000;
      if (seconds <= 0) continue;
      // Retention and DeleteRecords shrink a log: a negative difference is not throughput, so it counts as 0.
      out.push({
        t: this.times[b]!,
        recordsPerSec: Math.max(0, this.records[b]! - this.records[a]!) / seconds,
        bytesPerSec: Math.max(0, this.bytes[b]! - this.bytes[a]!) / seconds,
      });
    }
    return out;
  }
}

export class ThroughputSampler {
  readonly options: Readonly<ThroughputOptions>;
  private readonly rings = new Map<string, TopicRing>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logs: LogManager,
    options: Partial<ThroughputOptions> = {},
  ) {
    this.options = { ...DEFAULT_THROUGHPUT, ...options };
  }

  start(): void {
    if (this.timer) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Takes one sample of every topic (the timer calls this; tests call it directly). */
  sample(now = Date.now()): void {
    const seen = new Set<string>();
    for (const topic of this.logs.topics()) {
      const key = topic.name;
      let ring = this.rings.get(key);
      // A topic deleted and created again under the same name starts a new series.
      if (ring && ring.topicId !== topic.id) ring = undefined;
      if (!ring) {
        if (this.rings.size - (this.rings.has(key) ? 1 : 0) >= this.options.maxTopics) continue;
        ring = new TopicRing(topic.id, this.options.samples);
        this.rings.set(key, ring);
      }
      seen.add(key);
      let records = 0;
      let bytes = 0;
      for (const log of this.logs.partitions(topic.name)) {
        records += Number(log.highWatermark);
        bytes += log.sizeInBytes;
      }
      ring.push(now, records, bytes);
    }
    for (const key of this.rings.keys()) if (!seen.has(key)) this.rings.delete(key);
  }

  /** The topic's recent rates, oldest first; undefined when it has no series (unknown, or beyond maxTopics). */
  series(topic: string): ThroughputPoint[] | undefined {
    return this.rings.get(topic)?.points();
  }

  get trackedTopics(): number {
    return this.rings.size;
  }
}
