/**
 * The reading end of a captured stream (Timely's `EventIterator`): replay pulls events from it.
 *
 * `next()` never blocks (reference §3.7): it returns an event if one is buffered and undefined otherwise.
 * Instead of Timely's busy polling, a reader waits on `whenReady()`, which the transport resolves when
 * something changed (events arrived, the stream ended, or it failed).
 */
import type { Event } from '../dataflow/event.js';

export interface EventIterator<T, D> {
  /** The stream's name, e.g. its topic; used in warnings and errors. */
  readonly name: string;
  /** The next buffered event, or undefined if none is available now. Throws if the stream failed. */
  next(): Event<T, D> | undefined;
  /** Resolves when `next()` may return something new, or `ended`/`present` may have changed. */
  whenReady(): Promise<void>;
  /** False until the stream exists (e.g. its topic was created). A missing stream holds replay's frontier. */
  readonly present: boolean;
  /** True once the transport knows no further events will arrive (in-process streams); Kafka never knows. */
  readonly ended: boolean;
  /** Stops reading and releases connections. */
  close(): Promise<void>;
}

/** A source of iterators and pushers per topic: in-process memory, kafkajs, or the wire client. */
export interface EventTransportReader {
  readonly kind: string;
  /** An iterator over `topic` from its beginning. It connects lazily; a missing topic is not an error. */
  iterator<T, D>(topic: string): EventIterator<T, D>;
}
