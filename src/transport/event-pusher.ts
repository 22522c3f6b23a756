/**
 * The writing end of a captured stream (Timely's `EventPusher`): capture hands it every event in order.
 *
 * Transports (in-process, kafkajs, the wire client) implement it. Unlike Timely's Kafka producer, a failed
 * delivery is never counted as an acknowledgement: `push`, `flush` and `close` reject with a DeliveryError.
 */
import type { Event } from '../dataflow/event.js';

export interface EventPusher<T, D> {
  /** Where the events go, e.g. the topic name; used in messages. */
  readonly name: string;
  /**
   * Queues one event; the pusher keeps it (and may reference a typed-array batch until it is sent, so do not
   * mutate a pushed batch). A returned promise asks the caller to wait before pushing more (backpressure); it
   * rejects if the transport has failed. The event is accepted either way.
   */
  push(event: Event<T, D>): void | Promise<void>;
  /** Resolves once every event pushed so far is acknowledged; rejects with a DeliveryError if one was not. */
  flush(): Promise<void>;
  /** Flushes, then releases connections. For in-process transports it also marks the end of the stream. */
  close(): Promise<void>;
  /** Bytes of encoded events acknowledged so far (record values), when the transport counts them. */
  readonly bytesAcknowledged?: number;
}

/** A transport could not deliver events: they are not in the log, and the captured stream is incomplete. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    readonly topic: string,
    /** The offset the first undelivered event would have had (events are numbered from 0 in a fresh topic). */
    readonly offset: bigint | number,
    reason: string,
    /** The Kafka error code, when the broker returned one. */
    readonly code?: number,
    options?: { cause?: unknown },
  ) {
    super(
      `capture could not deliver the event at offset ${String(offset)} of topic "${topic}": ${reason}; ` +
        `the captured stream is incomplete — fix the cause and capture again with { replace: true }`,
      options,
    );
  }
}

/** Capture refuses to append to a topic that already holds events (reference §8: a reused topic corrupts progress). */
export class TopicNotEmptyError extends Error {
  override readonly name = 'TopicNotEmptyError';
  constructor(readonly topic: string, readonly records: bigint | number) {
    super(
      `topic "${topic}" already holds ${String(records)} record(s); capture needs an empty topic because a reused ` +
        `topic replays as a stream that completes and starts over. Use a fresh name, or pass { replace: true } ` +
        `(--replace) to delete and recreate it`,
    );
  }
}
