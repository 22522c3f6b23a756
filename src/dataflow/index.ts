/**
 * The dataflow layer's public API: progress-carrying RxJS streams (Timely Dataflow's model).
 *
 * A stream is an `Observable<Event<T, D>>` of data batches at times and progress events (frontier changes).
 * Sources: `InputHandle`, `toStream`, `fromTimestamped`. Operators (each an RxJS operator): `mapData`,
 * `filterData`, `flatMapData`, `mapBatch`, `inspect`, `countPerTime`, `reducePerTime`, `aggregatePerTime`,
 * `tumblingWindow`, `slidingWindow`, `sessionWindow`, `reducePerKey`, `aggregatePerKey`, `joinPerTime`,
 * `intervalJoin`, `delay`, `probe`, `validate`; `merge` combines streams. Late records (behind the frontier)
 * go to a `lateOutput()` passed as `{ late }`. Timestamps are numbers unless an
 * operator is given `{ timestamp }` (e.g. `pairTimestamp`). `extract` is the test oracle.
 *
 * @example
 * ```ts
 * const input = new InputHandle<number, string>();
 * input.stream.pipe(mapData((w) => w.toUpperCase()), countPerTime()).subscribe(console.log);
 * input.send(['a', 'b']);
 * input.advanceTo(1); // messages(0, [2]), then progress [[0, -1], [1, 1]]
 * input.close();      // progress [[1, -1]]
 * ```
 */
export { messages, progress } from './event.js';
export type { Batch, Event, MessagesEvent, ProgressEvent, Stream } from './event.js';
export { numberTimestamp, pairTimestamp, productTimestamp, lessThan, sortByTime } from './timestamp.js';
export type { Pair, TimeKey, Timestamp } from './timestamp.js';
export { Antichain } from './antichain.js';
export { MutableAntichain } from './mutable-antichain.js';
export { ChangeBatch, compactUpdates } from './change-batch.js';
export type { Update } from './change-batch.js';
export { ProgressTracker, resolveOrder } from './progress-tracker.js';
export type { ProgressTrackerOptions, TimestampOptions } from './progress-tracker.js';
export {
  InputHandleError,
  InvalidTimeError,
  LateDataError,
  ProgressProtocolError,
  TimestampMismatchError,
} from './errors.js';
export type { ProtocolViolation } from './errors.js';
export { extract, extractAll, compareValues } from './extract.js';
export type { ExtractOptions } from './extract.js';

export { InputHandle } from './sources/input-handle.js';
export { toStream } from './sources/to-stream.js';
export type { ToStreamOptions } from './sources/to-stream.js';
export { fromTimestamped } from './sources/from-timestamped.js';
export type { FromTimestampedOptions, LateRecord, TimestampedStream } from './sources/from-timestamped.js';

export { eventOperator } from './operators/operate.js';
export type { EventHandlers } from './operators/operate.js';
export { mapData } from './operators/map-data.js';
export type { MapDataOptions } from './operators/map-data.js';
export { filterData } from './operators/filter-data.js';
export { flatMapData } from './operators/flat-map-data.js';
export { mapBatch } from './operators/map-batch.js';
export { inspect } from './operators/inspect.js';
export type { InspectObserver } from './operators/inspect.js';
export { merge } from './operators/merge.js';
export { perTime } from './operators/per-time.js';
export type { PerTimeOptions, PerTimeSpec } from './operators/per-time.js';
export { lateOutput, LateOutput } from './operators/late-output.js';
export type { LateArrival } from './operators/late-output.js';
export type { LateOptions } from './operators/internal/late-data.js';
export { countPerTime } from './operators/count-per-time.js';
export { reducePerTime } from './operators/reduce-per-time.js';
export type { Reducer } from './operators/reduce-per-time.js';
export { aggregatePerTime } from './operators/aggregate-per-time.js';
export { tumblingWindow } from './operators/tumbling-window.js';
export { DEFAULT_MAX_WINDOWS_PER_RECORD, slidingWindow } from './operators/sliding-window.js';
export type { SlidingWindowOptions } from './operators/sliding-window.js';
export { sessionWindow } from './operators/session-window.js';
export type { WindowBounds, WindowAggregation, WindowOptions, WindowResult } from './operators/internal/window-spec.js';
export { reducePerKey } from './operators/reduce-per-key.js';
export { aggregatePerKey } from './operators/aggregate-per-key.js';
export type { KeyedStateOptions } from './operators/internal/keyed-state.js';
export { joinPerTime } from './operators/join-per-time.js';
export type { JoinOptions } from './operators/join-per-time.js';
export { intervalJoin } from './operators/interval-join.js';
export type { IntervalJoinKeys } from './operators/interval-join.js';
export type { Sided } from './operators/internal/sided.js';
export { delay } from './operators/delay.js';
export { probe } from './operators/probe.js';
export type { Probe } from './operators/probe.js';
export { validate } from './operators/validate.js';
export type { ValidateOptions } from './operators/validate.js';
export { murmur2, partitionOf, workerOfKey, exchangeStreamIndex, exchangeStreamsOf } from './key-partition.js';
export type { ExchangeKey } from './key-partition.js';
