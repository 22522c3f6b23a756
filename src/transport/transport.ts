/** A transport: where captured streams are written and read back from. */
import type { EventTransportReader } from './event-iterator.js';
import type { EventPusher } from './event-pusher.js';

export interface PusherOptions {
  /** Delete and recreate a topic that already holds events instead of refusing it. */
  replace?: boolean;
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
