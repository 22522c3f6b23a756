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

/** How an iterator hands out events. */
export interface IteratorOptions {
  /**
   * Lend each event's memory instead of giving it away (default false). A borrowed event, its data and any
   * binary value in it are valid only until the iterator's next `next()` call; after it, the read buffer
   * they view takes a later read and their bytes change. Copy what you keep (`data.slice()`).
   *
   * For consumers that finish with every event synchronously, as a replay's subscribers do when no operator
   * buffers data (a count, a sum, a check, a map into new arrays), it spares one fresh buffer per read and
   * the garbage collections they cause: in the 4 GB round trip the replay's CPU fell from 5.4–6.7 to
   * 3.0–3.7 CPU-s (paired runs, issue 17's note). Operators that keep data across events (windows, joins, `delay`, a buffering exchange)
   * must not see borrowed events.
   *
   * The embedded and wire transports lend what they decoded as views of their read buffers; the kafkajs and
   * memory transports ignore the option (their events are never overwritten).
   *
   * @example
   * ```ts
   * // capture_recv's shape: every event is digested and counted before replay asks for the next one.
   * const streams = [0, 1].map((i) => transport.iterator<number, number>(`numbers-${i}`, { borrow: true }));
   * replay(streams).pipe(countPerTime()).subscribe((event) => console.log(event));
   * ```
   */
  borrow?: boolean;
}

/** A source of iterators and pushers per topic: in-process memory, kafkajs, or the wire client. */
export interface EventTransportReader {
  readonly kind: string;
  /** An iterator over `topic` from its beginning. It connects lazily; a missing topic is not an error. */
  iterator<T, D>(topic: string, options?: IteratorOptions): EventIterator<T, D>;
}
