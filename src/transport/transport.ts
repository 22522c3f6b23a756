/** A transport: where captured streams are written and read back from. */
import type { EventTransportReader } from './event-iterator.js';
import type { EventPusher } from './event-pusher.js';

export interface PusherOptions {
  /** Delete and recreate a topic that already holds events instead of refusing it. */
  replace?: boolean;
  /**
   * Exactly-once (issue 12): the pusher is a transactional producer whose id derives from the topic (a newer
   * capture of the stream fences this one), and capture commits its events with its position.
   */
  exactlyOnce?: boolean;
  /** With exactlyOnce: continue the committed prefix of the topic instead of refusing it. */
  resume?: boolean;
  /** With exactlyOnce: commit every this many event bytes (default 64 MiB). */
  commitBytes?: number;
  /** With exactlyOnce: commit at the latest this long after the first uncommitted event (default 1,000 ms). */
  commitIntervalMs?: number;
  /** With exactlyOnce: transaction.timeout.ms, after which the broker aborts a transaction of a dead capture (default 60,000). */
  transactionTimeoutMs?: number;
}

export interface EventTransport extends EventTransportReader {
  /** A pusher into `topic`, created empty (one partition); refuses a non-empty topic unless `replace`. */
  pusher<T, D>(topic: string, options?: PusherOptions): Promise<EventPusher<T, D>>;
  /** Closes shared connections (pushers and iterators close their own). */
  close(): Promise<void>;
}

/** The topic of the stream captured by worker `index`: `<name>-<index>`, as Timely's kafkaesque names them. */
export function streamTopic(name: string, index: number): string {
  return `${name}-${index}`;
}
