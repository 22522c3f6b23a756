import { Observable } from 'rxjs';
import { messages, progress, type Batch, type Event, type Stream } from '../event.js';
import { resolveOrder, type TimestampOptions } from '../progress-tracker.js';

export interface ToStreamOptions<T> extends TimestampOptions<T> {
  /** Records per batch (default 1,024, Timely's batch size for 8-byte records). */
  batchSize?: number;
}

function isTypedArray(value: unknown): value is Float64Array {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

/**
 * Turns an iterable into a finished stream, like Timely's `to_stream`: every record at the minimum time in
 * batches of `batchSize`, then one progress event releasing the minimum. Arrays are sliced and typed arrays
 * viewed with `subarray` (no copy); other iterables are consumed lazily, as the subscriber takes them.
 *
 * @example
 * ```ts
 * toStream(new Float64Array([1, 2, 3]), { batchSize: 2 });
 * // messages(0, [1, 2]), messages(0, [3]), progress([[0, -1]])
 * ```
 */
export function toStream<D, T = number>(source: Iterable<D> | ArrayLike<D>, options: ToStreamOptions<T> = {}): Stream<T, D> {
  const batchSize = options.batchSize ?? 1024;
  if (!(batchSize >= 1) || !Number.isInteger(batchSize)) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const { order } = resolveOrder(options);
  const time = order.minimum;
  return new Observable<Event<T, D>>((subscriber) => {
    if (isTypedArray(source)) {
      const typed = source as unknown as Float64Array;
      for (let i = 0; i < typed.length && !subscriber.closed; i += batchSize) {
        subscriber.next(messages(time, typed.subarray(i, i + batchSize) as unknown as Batch<D>));
      }
    } else if (Array.isArray(source)) {
      const array = source as readonly D[];
      for (let i = 0; i < array.length && !subscriber.closed; i += batchSize) {
        subscriber.next(messages(time, array.slice(i, i + batchSize)));
      }
    } else if (Symbol.iterator in Object(source)) {
      let batch: D[] = [];
      for (const record of source as Iterable<D>) {
        batch.push(record);
        if (batch.length === batchSize) {
          subscriber.next(messages(time, batch));
          if (subscriber.closed) return;
          batch = [];
        }
      }
      if (batch.length > 0) subscriber.next(messages(time, batch));
    } else {
      const like = source as ArrayLike<D>;
      for (let i = 0; i < like.length && !subscriber.closed; i += batchSize) {
        subscriber.next(messages(time, Array.prototype.slice.call(like, i, i + batchSize) as D[]));
      }
    }
    if (subscriber.closed) return;
    subscriber.next(progress([[time, -1]]));
    subscriber.complete();
  });
}
