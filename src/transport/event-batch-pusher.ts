/**
 * A `BatchingPusher` whose batches are Kafka record batches built by an `EventBatchBuilder`: the pushers of
 * the transports that produce record batches themselves (embedded, wire) differ only in how they send one.
 */
import type { Event } from '../dataflow/event.js';
import { BatchingPusher, type BatchingPusherOptions } from './batching-pusher.js';
import { EventBatchBuilder } from './event-batch.js';
import { encodeEventParts } from './event-codec.js';

export abstract class EventBatchPusher<T, D> extends BatchingPusher<T, D, Buffer> {
  /** Subclasses hand a sent batch back with `builder.recycle` once nothing references it. */
  protected readonly builder: EventBatchBuilder;

  constructor(name: string, limits: BatchingPusherOptions) {
    super(name, limits);
    this.builder = new EventBatchBuilder(limits.batchBytes);
  }

  protected append(event: Event<T, D>): number {
    const parts = encodeEventParts(event);
    if (!this.builder.add(parts)) {
      this.sealOpenBatch();
      this.builder.add(parts);
    }
    return parts.size;
  }

  protected seal(): Buffer {
    return this.builder.finish();
  }
}
