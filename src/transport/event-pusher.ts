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
   * Queues one event. Implementations copy the event's batch before returning (encoded into the batch being
   * built, or cloned), so the caller may refill and push the same array again (test/capture/reused-batch.test.ts).
   * A returned promise asks the caller to wait before pushing more (backpressure); it rejects if the
   * transport has failed. The event is accepted either way.
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

/**
 * Where an exactly-once capture stands, committed atomically with its events: `events` source events were
 * consumed, `token` is the source's own position (if it keeps one), `counts` the capabilities capture held.
 */
export interface CapturePosition<T = unknown> {
  events: number;
  token?: string;
  /** Absent in the position a fresh exactly-once topic starts with: capture then holds the minimum, as always. */
  counts?: [T, number][];
}

/** What an exactly-once pusher adds: transactions committed with the capture's position. */
export interface ExactlyOncePusher<T, D> extends EventPusher<T, D> {
  readonly exactlyOnce: true;
  /** The position the last capture of this stream committed; undefined for a fresh stream. */
  readonly committed: CapturePosition<T> | undefined;
  /** True once the pending events reached the commit cadence (bytes or time) and capture should commit. */
  readonly commitDue: boolean;
  /** Called when the time bound passes while capture may be idle; capture commits if it can. */
  onCommitDue: (() => void) | undefined;
  /** Commits every event pushed so far together with `position`. Sending continues meanwhile; later events go into the next transaction. */
  commit(position: CapturePosition<T>): Promise<void>;
  /** Aborts the open transaction (best effort) and releases connections: the capture failed. */
  abort(): Promise<void>;
}

export function isExactlyOnce<T, D>(pusher: EventPusher<T, D>): pusher is ExactlyOncePusher<T, D> {
  return (pusher as Partial<ExactlyOncePusher<T, D>>).exactlyOnce === true;
}

/** Another capture of the same stream started (same transactional id): this one was fenced and stopped. */
export class CaptureFencedError extends Error {
  override readonly name = 'CaptureFencedError';
  constructor(readonly topic: string, readonly code: number | undefined, options?: { cause?: unknown }) {
    super(
      `capture into "${topic}" was fenced: another exactly-once capture of the same stream started and took over its ` +
        `transactional id; this capture stopped, and its uncommitted events are discarded (the newer capture continues the stream)`,
      options,
    );
  }
}

/** An exactly-once capture found a committed prefix and was asked neither to resume nor to replace it. */
export class CommittedPrefixError extends Error {
  override readonly name = 'CommittedPrefixError';
  constructor(readonly topic: string, readonly events: number) {
    super(
      `topic "${topic}" holds a committed prefix of an exactly-once capture (${events} source event(s)); pass { resume: true } ` +
        `(--resume) to continue it, or { replace: true } (--replace) to delete it and capture from scratch`,
    );
  }
}

/** How exactly-once pushers name things: one transactional id and one offsets group per captured topic. */
export function captureTransactionalId(topic: string): string {
  return `kafkaesque-capture-${topic}`;
}
export const captureGroupId = captureTransactionalId;

/** The committed offset metadata: JSON that kcat and Kafka's tools show as it is. */
export function encodePosition<T>(position: CapturePosition<T>): string {
  return JSON.stringify({ events: position.events, ...(position.token !== undefined ? { token: position.token } : {}), ...(position.counts ? { counts: position.counts } : {}) });
}

export function decodePosition<T>(offset: bigint, metadata: string | null, topic: string): CapturePosition<T> {
  try {
    const parsed = JSON.parse(metadata ?? '') as { events?: unknown; token?: unknown; counts?: unknown };
    if (parsed.counts !== undefined && !Array.isArray(parsed.counts)) throw new Error('counts is not a list');
    const token = typeof parsed.token === 'string' ? parsed.token : undefined;
    return { events: Number(offset), ...(token !== undefined ? { token } : {}), ...(parsed.counts ? { counts: parsed.counts as [T, number][] } : {}) };
  } catch (error) {
    throw new Error(`topic "${topic}": the committed capture position (offset ${offset}) has unreadable metadata ${JSON.stringify(metadata)}; capture again with --replace`, { cause: error });
  }
}
