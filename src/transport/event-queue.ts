/**
 * The decoded events a Kafka-backed iterator holds ahead of replay, counted in data bytes so the reader can
 * stop fetching when replay falls behind and resume once it has taken half of them. Shared by the wire and
 * embedded iterators. A head index instead of shift(): taking an event is O(1); the array is compacted now
 * and then.
 */
import type { Event } from '../dataflow/event.js';
import { Signal } from '../util/signal.js';

/** Bytes a batch holds in memory: a typed array's own size, 8 per element of a plain array. */
export function batchBytes(data: ArrayLike<unknown>): number {
  return ArrayBuffer.isView(data) ? data.byteLength : data.length * 8;
}

export class EventQueue<T, D> {
  private readonly events: Event<T, D>[] = [];
  private head = 0;
  private queuedBytes = 0;
  /** Fired when the queue fell below half of `maxBytes` (or when a waiting reader must wake to stop). */
  readonly drained = new Signal();

  constructor(readonly maxBytes: number) {}

  get isEmpty(): boolean {
    return this.head === this.events.length;
  }

  /** At or over `maxBytes`: the reader should wait for `drained` before fetching more. */
  get isFull(): boolean {
    return this.queuedBytes >= this.maxBytes;
  }

  push(event: Event<T, D>): void {
    if (event.kind === 'messages') this.queuedBytes += batchBytes(event.data);
    this.events.push(event);
  }

  take(): Event<T, D> | undefined {
    if (this.head === this.events.length) return undefined;
    const event = this.events[this.head] as Event<T, D>;
    this.events[this.head++] = undefined as never;
    if (event.kind === 'messages') this.queuedBytes -= batchBytes(event.data);
    if (this.head === this.events.length) {
      this.events.length = 0;
      this.head = 0;
    } else if (this.head > 4096) {
      this.events.splice(0, this.head);
      this.head = 0;
    }
    if (this.queuedBytes < this.maxBytes / 2) this.drained.fire();
    return event;
  }
}
