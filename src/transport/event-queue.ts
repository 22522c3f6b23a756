/**
 * What a topic-backed iterator holds ahead of replay (decoded events, or records still to decode), counted in
 * bytes so the reader can stop fetching when replay falls behind and resume once it has taken half of them.
 * A head index instead of shift(): taking an item is O(1); the array is compacted now and then.
 */
import type { Event } from '../dataflow/event.js';
import { Signal } from '../util/signal.js';

/** Bytes a batch holds in memory: a typed array's own size, 8 per element of a plain array. */
export function batchBytes(data: ArrayLike<unknown>): number {
  return ArrayBuffer.isView(data) ? data.byteLength : data.length * 8;
}

/** The size of a decoded event for the queue: its data batch (progress is small and not counted). */
export function eventBytes(event: Event<unknown, unknown>): number {
  return event.kind === 'messages' ? batchBytes(event.data) : 0;
}

export class EventQueue<Item> {
  private readonly items: Item[] = [];
  private head = 0;
  private queuedBytes = 0;
  /** Fired when the queue fell below half of `maxBytes` (or when a waiting reader must wake to stop). */
  readonly drained = new Signal();

  constructor(readonly maxBytes: number, private readonly sizeOf: (item: Item) => number) {}

  get isEmpty(): boolean {
    return this.head === this.items.length;
  }

  /** At or over `maxBytes`: the reader should wait for `drained` before fetching more. */
  get isFull(): boolean {
    return this.queuedBytes >= this.maxBytes;
  }

  /** Bytes held, as `sizeOf` counts them. */
  get bytes(): number {
    return this.queuedBytes;
  }

  push(item: Item): void {
    this.queuedBytes += this.sizeOf(item);
    this.items.push(item);
  }

  take(): Item | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head] as Item;
    this.items[this.head++] = undefined as never;
    this.queuedBytes -= this.sizeOf(item);
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 4096) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    if (this.queuedBytes < this.maxBytes / 2) this.drained.fire();
    return item;
  }

  /** Drops everything held and wakes a reader waiting for room. */
  clear(): void {
    this.items.length = 0;
    this.head = 0;
    this.queuedBytes = 0;
    this.drained.fire();
  }
}
