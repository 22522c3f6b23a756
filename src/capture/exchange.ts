/**
 * exchange: Timely's exchange pact through the log (issue 15). A stream is captured into `streams` stream
 * topics, each record into the one its key hashes to (Kafka's murmur2 partitioner, dataflow/key-partition.ts);
 * `replayExchange` (replay/exchange-replay.ts) reads them back on W workers, W independent of `streams`.
 *
 * Every stream carries every progress update of the input: each one is then a complete progress-carrying stream
 * on its own (its data is always covered by its capabilities), and replay's frontier, the meet over the streams,
 * is the input's frontier exactly. Progress events are small; copying them S times is the price of exactness.
 *
 * Several exchanges can follow each other: in a later stage every worker is a writer (`writer`, `writers`) and
 * writes its own `streams` topics, so each stream keeps the single writer capture requires.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { Batch, Event } from '../dataflow/event.js';
import { checkExchangeCount, exchangeStreamIndex, partitionOf, type ExchangeKey } from '../dataflow/key-partition.js';
import type { EventPusher } from '../transport/event-pusher.js';
import { streamTopic, type EventTransport, type PusherOptions } from '../transport/transport.js';
import { capture, type CaptureOptions, type CaptureResult } from './capture.js';

export interface ExchangeOptions<T> {
  /** Where the stream topics are created. */
  transport: EventTransport;
  /** The exchange's name: its streams are `<topic>-<i>`. Use one name per stage. */
  topic: string;
  /** Partitions of the key space (stream topics per writer). */
  streams: number;
  /** This writer's index among `writers` (default 0 of 1: a single source). */
  writer?: number;
  writers?: number;
  /** How the stream topics are opened (replace, exactlyOnce, resume, commit cadence). */
  pusher?: PusherOptions;
  /** Capture options for every stream (timestamp order, exactlyOnce). */
  capture?: Omit<CaptureOptions<T>, 'closePusher'>;
}

/** What an exchange wrote: one CaptureResult per stream, in partition order. */
export interface ExchangeResult {
  readonly topic: string;
  readonly streams: readonly CaptureResult[];
  readonly records: number;
}

/**
 * Splits one event into per-partition events: a messages event's records go to their key's partition (empty
 * partitions get nothing), a progress event goes to every partition unchanged.
 */
export function splitByKey<T, D>(key: (record: D) => ExchangeKey, partitions: number): (event: Event<T, D>) => (Event<T, D> | undefined)[] {
  checkExchangeCount('streams', partitions);
  return (event) => {
    const out: (Event<T, D> | undefined)[] = new Array(partitions);
    if (event.kind === 'progress') {
      out.fill(event);
      return out;
    }
    const buckets: D[][] = [];
    const data = event.data as Batch<D> & ArrayLike<D>;
    for (let i = 0; i < data.length; i++) {
      const record = data[i] as D;
      const p = partitionOf(key(record), partitions);
      (buckets[p] ??= []).push(record);
    }
    for (let p = 0; p < partitions; p++) {
      const bucket = buckets[p];
      if (bucket) out[p] = { kind: 'messages', time: event.time, data: bucket };
    }
    return out;
  };
}

/** The stream topic names writer `writer` uses: partition order. */
export function exchangeTopics(topic: string, streams: number, writer = 0): string[] {
  return Array.from({ length: streams }, (_, p) => streamTopic(topic, exchangeStreamIndex(writer, streams, p)));
}

/** Captures a stream into already-open pushers, one per partition (closes them at the end). */
export function exchangeInto<T, D>(
  key: (record: D) => ExchangeKey,
  pushers: readonly EventPusher<T, D>[],
  options: Omit<CaptureOptions<T>, 'closePusher'> = {},
): OperatorFunction<Event<T, D>, CaptureResult[]> {
  const split = splitByKey<T, D>(key, pushers.length);
  return (source) =>
    new Observable<CaptureResult[]>((subscriber) => {
      const sinks: { next(e: Event<T, D>): void; error(e: unknown): void; complete(): void }[] = [];
      const results: CaptureResult[] = new Array(pushers.length);
      let pending = pushers.length;
      const inners = pushers.map((pusher, p) =>
        new Observable<Event<T, D>>((inner) => {
          sinks[p] = inner;
        })
          .pipe(capture(pusher, options))
          .subscribe({
            next: (result) => (results[p] = result),
            error: (error) => subscriber.error(error),
            complete: () => {
              if (--pending === 0) {
                subscriber.next(results);
                subscriber.complete();
              }
            },
          }),
      );
      const outer = source.subscribe({
        next: (event) => {
          const parts = split(event);
          for (let p = 0; p < parts.length; p++) {
            const part = parts[p];
            if (part) sinks[p]!.next(part);
          }
        },
        error: (error) => {
          for (const sink of sinks) sink.error(error);
        },
        complete: () => {
          for (const sink of sinks) sink.complete();
        },
      });
      return () => {
        outer.unsubscribe();
        for (const inner of inners) inner.unsubscribe();
      };
    });
}

/**
 * The exchange operator: opens the writer's `streams` stream topics, captures the stream into them by key, and
 * emits one ExchangeResult once every stream is acknowledged (exactly-once: committed).
 */
export function exchange<T, D>(key: (record: D) => ExchangeKey, options: ExchangeOptions<T>): OperatorFunction<Event<T, D>, ExchangeResult> {
  const writers = options.writers ?? 1;
  const writer = options.writer ?? 0;
  checkExchangeCount('streams', options.streams);
  checkExchangeCount('writers', writers);
  if (!Number.isSafeInteger(writer) || writer < 0 || writer >= writers) throw new RangeError(`exchange: writer must be in 0..${writers - 1}, got ${writer}`);
  return (source) =>
    new Observable<ExchangeResult>((subscriber) => {
      let subscription: { unsubscribe(): void } | undefined;
      let stopped = false;
      const topics = exchangeTopics(options.topic, options.streams, writer);
      Promise.all(topics.map((t) => options.transport.pusher<T, D>(t, options.pusher))).then(
        (pushers) => {
          if (stopped) {
            for (const p of pushers) void p.close().catch(() => {});
            return;
          }
          subscription = source.pipe(exchangeInto(key, pushers, options.capture)).subscribe({
            next: (streams) => subscriber.next({ topic: options.topic, streams, records: streams.reduce((n, s) => n + s.records, 0) }),
            error: (error) => subscriber.error(error),
            complete: () => subscriber.complete(),
          });
        },
        (error) => subscriber.error(error),
      );
      return () => {
        stopped = true;
        subscription?.unsubscribe();
      };
    });
}
