/**
 * The two events a progress-carrying stream is made of, exactly Timely's `Event::{Messages, Progress}`.
 *
 * A `progress` event lists changes to the stream's frontier: +1 when a time enters it, -1 when it leaves,
 * compacted and sorted with the negative entry first, and applied as one atomic step. Every stream
 * implicitly starts with `(minimum, +1)`; a finished stream's last event leaves its frontier empty.
 * This is also the wire representation, so capture is a pass-through and replay a merge.
 */

import type { Observable } from 'rxjs';

/** A batch of records: a plain array, or a typed array for numbers (which travels without per-number cost). */
export type Batch<D> = readonly D[] | ArrayLike<D>;

export interface MessagesEvent<T, D> {
  readonly kind: 'messages';
  readonly time: T;
  readonly data: Batch<D>;
}

export interface ProgressEvent<T> {
  readonly kind: 'progress';
  readonly updates: ReadonlyArray<readonly [T, number]>;
}

export type Event<T, D> = MessagesEvent<T, D> | ProgressEvent<T>;

export function messages<T, D>(time: T, data: Batch<D>): MessagesEvent<T, D> {
  return { kind: 'messages', time, data };
}

export function progress<T>(updates: ReadonlyArray<readonly [T, number]>): ProgressEvent<T> {
  return { kind: 'progress', updates };
}

/** A progress-carrying stream: data batches and frontier changes in one Observable. */
export type Stream<T, D> = Observable<Event<T, D>>;
