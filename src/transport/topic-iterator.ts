/**
 * The part every topic-backed iterator (wire, embedded, kafkajs) shares: a background reader fills a
 * byte-counted queue; `present` turns true once the topic exists; `ended` stays false (a Kafka topic can
 * always grow); `next()` hands out what is queued and then throws the reader's failure, if any; `whenReady()`
 * waits on one signal that the reader fires. A subclass starts its reader and calls `found()`, `enqueue()`,
 * `delivered()`,
 * `waitForRoom()` and `fail()`; `close()` stops it.
 *
 * Items are decoded in `next()` by `decode` (identity when the reader queues decoded events). A record that
 * is not an event ends the stream in that error: nothing after it is replayed.
 */
import type { Event } from '../dataflow/event.js';
import { Signal } from '../util/signal.js';
import type { EventIterator } from './event-iterator.js';
import { EventQueue } from './event-queue.js';
import { alreadyReleased, LentReads } from './lent-reads.js';

export abstract class TopicIterator<T, D, Item = Event<T, D>> implements EventIterator<T, D> {
  protected readonly queue: EventQueue<Item>;
  /** Aborted by close() (or by a record that is not an event): the reader stops at its next step. */
  protected readonly stop = new AbortController();
  private failure: Error | undefined;
  private exists = false;
  private readonly ready = new Signal();
  /**
   * With `borrow`, the read buffers that queued events view, handed back as the consumer moves past their
   * events (IteratorOptions.borrow). A subclass that recycles its reads reports each one to `readDecoded`.
   */
  private readonly lent: LentReads | undefined;

  constructor(readonly name: string, maxQueuedBytes: number, sizeOf: (item: Item) => number, borrow = false) {
    this.queue = new EventQueue(maxQueuedBytes, sizeOf);
    this.lent = borrow ? new LentReads() : undefined;
  }

  get present(): boolean {
    return this.exists;
  }

  get ended(): boolean {
    return false;
  }

  protected get stopped(): boolean {
    return this.stop.signal.aborted;
  }

  next(): Event<T, D> | undefined {
    this.lent?.settle();
    const item = this.queue.take();
    if (item !== undefined) {
      try {
        const event = this.decode(item);
        this.lent?.handedOut();
        return event;
      } catch (error) {
        this.failure ??= error as Error;
        this.stop.abort();
        this.queue.clear();
        this.lent?.clear();
        throw this.failure;
      }
    }
    if (this.failure) throw this.failure;
    return undefined;
  }

  whenReady(): Promise<void> {
    if (!this.queue.isEmpty || this.failure) return Promise.resolve();
    return this.ready.wait();
  }

  async close(): Promise<void> {
    this.stop.abort();
    this.lent?.clear();
    this.queue.drained.fire();
    await this.release();
  }

  /** Turns a queued item into an event; the default passes decoded events through. */
  protected decode(item: Item): Event<T, D> {
    return item as unknown as Event<T, D>;
  }

  /** Releases the reader's connections on close (after the stop was signalled). */
  protected async release(): Promise<void> {}

  /** The topic exists: replay counts this stream as present from now on. */
  protected found(): void {
    if (this.exists) return;
    this.exists = true;
    this.ready.fire();
  }

  /** Queues one item for next() without waking anyone; call `delivered()` after a batch of them. */
  protected enqueue(item: Item): void {
    this.queue.push(item);
  }

  /**
   * A read whose `events` events were just queued: `release` hands its buffer back at once when no event
   * refers to it (`free`), else once a borrowing consumer has moved past its last event; without borrowing, a
   * buffer that events refer to is left to the collector (read-ownership.ts). A read handed back at once still
   * counts its events, so that the lent reads after it settle in step.
   */
  protected readDecoded(events: number, free: boolean, release: () => void): void {
    if (free) release();
    this.lent?.add(events, free ? alreadyReleased : release);
  }

  /** Wakes a replay waiting in whenReady() for what was just enqueued. */
  protected delivered(): void {
    this.ready.fire();
  }

  /** Resolves once replay has taken half of a full queue, or the iterator stopped. */
  protected async waitForRoom(): Promise<void> {
    while (this.queue.isFull && !this.stopped) await this.queue.drained.wait();
  }

  /** The reader failed: next() throws this after the queued events (the first failure wins). */
  protected fail(error: Error): void {
    this.failure ??= error;
    this.ready.fire();
  }
}
