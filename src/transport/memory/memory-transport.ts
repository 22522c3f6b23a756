/**
 * The in-process transport: topics are shared in-memory event lists (Timely's `EventLink`), for pipelines
 * captured and replayed within one thread, and for tests. Events are kept as objects, not encoded, so it is
 * also the speed limit of capture/replay without a log. Readers start at the beginning, so a replay can be
 * rerun. Closing a pusher ends the stream, which lets replay report a stream that ended early.
 */
import { messages, type Batch, type Event } from '../../dataflow/event.js';
import type { EventIterator } from '../event-iterator.js';
import { TopicNotEmptyError, type EventPusher } from '../event-pusher.js';
import { Signal } from '../../util/signal.js';
import type { EventTransport, PusherOptions } from '../transport.js';

class MemoryTopic {
  readonly events: Event<unknown, unknown>[] = [];
  closed = false;
  readonly changed = new Signal();
}

export class MemoryTransport implements EventTransport {
  readonly kind = 'memory';
  private readonly topics = new Map<string, MemoryTopic>();
  private readonly created = new Signal();

  async pusher<T, D>(topic: string, options: PusherOptions = {}): Promise<EventPusher<T, D>> {
    const existing = this.topics.get(topic);
    if (existing && existing.events.length > 0 && !options.replace) {
      throw new TopicNotEmptyError(topic, existing.events.length);
    }
    const log = new MemoryTopic();
    this.topics.set(topic, log);
    this.created.fire();
    let acknowledged = 0;
    return {
      name: topic,
      push(event: Event<T, D>): void {
        if (log.closed) throw new Error(`pusher for topic "${topic}" is closed`);
        // A copy of the batch, as the encoding transports take one: the caller may refill its array once
        // push returned (the fast capture idiom), and the stored event must not change with it.
        log.events.push((event.kind === 'messages' ? messages(event.time, copyBatch(event.data)) : event) as Event<unknown, unknown>);
        if (event.kind === 'messages' && ArrayBuffer.isView(event.data)) acknowledged += event.data.byteLength;
        log.changed.fire();
      },
      async flush(): Promise<void> {},
      async close(): Promise<void> {
        log.closed = true;
        log.changed.fire();
      },
      /** Bytes of typed-array batches held (events are not encoded in memory). */
      get bytesAcknowledged() {
        return acknowledged;
      },
    };
  }

  iterator<T, D>(topic: string): EventIterator<T, D> {
    const transport = this;
    let log = this.topics.get(topic);
    let position = 0;
    return {
      name: topic,
      get present() {
        log ??= transport.topics.get(topic);
        return log !== undefined;
      },
      get ended() {
        return log !== undefined && log.closed && position >= log.events.length;
      },
      next(): Event<T, D> | undefined {
        log ??= transport.topics.get(topic);
        if (log === undefined || position >= log.events.length) return undefined;
        return log.events[position++] as Event<T, D>;
      },
      whenReady(): Promise<void> {
        log ??= transport.topics.get(topic);
        if (log === undefined) return transport.created.wait();
        if (position < log.events.length || log.closed) return Promise.resolve();
        return log.changed.wait();
      },
      async close(): Promise<void> {},
    };
  }

  /** Events currently held by a topic (for inspection and tests). */
  events<T, D>(topic: string): readonly Event<T, D>[] {
    return (this.topics.get(topic)?.events ?? []) as Event<T, D>[];
  }

  async close(): Promise<void> {}
}

/** A shallow copy of a batch: a typed array's bytes or an array's elements (its elements are not cloned). */
function copyBatch<D>(data: Batch<D>): Batch<D> {
  return ArrayBuffer.isView(data) ? ((data as unknown as Float64Array).slice() as unknown as Batch<D>) : (Array.prototype.slice.call(data) as D[]);
}
