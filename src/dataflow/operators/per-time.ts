import type { OperatorFunction } from 'rxjs';
import { describe, InvalidTimeError } from '../errors.js';
import { messages, progress, type Batch, type Event } from '../event.js';
import { assertNumberTime, ProgressTracker, resolveOrder, type TimestampOptions } from '../progress-tracker.js';
import { sortByTime, type TimeKey } from '../timestamp.js';
import { eventOperator } from './operate.js';
import { TimeHeap } from '../time-heap.js';
import { handleLate, type LateOptions } from './internal/late-data.js';

/** Options of every per-time operator: the timestamp order and the side output for late records. */
export interface PerTimeOptions<T, D> extends TimestampOptions<T>, LateOptions<T, D> {}

/** How a per-time operator folds the batches of one time into a state and turns it into output. */
export interface PerTimeSpec<T, D, S, O> {
  /** The time the result for data at `t` is emitted at; `t` itself when omitted. Must be `≥ t`. */
  outputTime?: (t: T) => T;
  /** The state for a time's first batch. */
  create(time: T): S;
  /** Folds one batch into the state (may mutate it and return it). */
  add(state: S, batch: Batch<D>, inputTime: T): S;
  /** The output batch for a complete time (an empty batch emits nothing). */
  finish(state: S, time: T): Batch<O>;
  /** Called after each input frontier move (once completed times are emitted), e.g. to expire state. */
  frontierMoved?(frontier: readonly T[]): void;
  /** The operator's name in late-data reports; `perTime` when omitted. */
  name?: string;
}

interface Pending<T, S> {
  readonly time: T;
  state: S;
}

/**
 * The engine behind countPerTime, reducePerTime, aggregatePerTime and delay: state per (output) time, a
 * capability held for each pending time, and the time's result emitted — before the progress event that
 * releases it — as soon as the input frontier no longer allows it. When the input completes, everything
 * still pending is emitted and the output frontier is emptied.
 *
 * A batch whose (output) time the input frontier has already completed is late: it goes to `options.late`,
 * or fails the output with a `LateDataError`. The check runs once per new pending time, not per record.
 */
export function perTime<T, D, S, O>(
  spec: PerTimeSpec<T, D, S, O>,
  options?: PerTimeOptions<T, D>,
): OperatorFunction<Event<T, D>, Event<T, O>> {
  const late = options?.late;
  const name = spec.name ?? 'perTime';
  const frontierMoved = spec.frontierMoved;
  return eventOperator<T, D, T, O>((out) => {
    const { order, assumeNumbers } = resolveOrder(options);
    const tracker = new ProgressTracker(order, { capabilities: true });
    const pending = new Map<TimeKey, Pending<T, S>>();
    const outputTime = spec.outputTime;
    const key = (t: T): TimeKey => order.key(t);

    // Under a total order, pending times wait in a heap and complete smallest first; otherwise each
    // progress event scans them (partial orders have few incomparable pending times in practice).
    const compare = order.totalOrder === true ? order.compare?.bind(order) : undefined;
    const heap = compare === undefined ? undefined : new TimeHeap<T>(compare);

    const emitReady = (all: boolean): void => {
      const ready: Pending<T, S>[] = [];
      if (heap !== undefined && !all) {
        while (heap.size > 0 && !tracker.input.lessEqual(heap.peek() as T)) {
          ready.push(pending.get(key(heap.pop() as T)) as Pending<T, S>);
        }
      } else {
        for (const p of pending.values()) if (all || !tracker.input.lessEqual(p.time)) ready.push(p);
        if (ready.length > 1) sortByTime(order, ready, (p) => p.time);
        if (all) while (heap !== undefined && heap.size > 0) heap.pop();
      }
      for (const p of ready) {
        pending.delete(key(p.time));
        const result = spec.finish(p.state, p.time);
        if (result.length > 0) out.next(messages(p.time, result));
        tracker.release(p.time);
      }
    };
    const flushProgress = (): void => {
      const changes = tracker.takeOutputChanges();
      if (changes.length > 0) out.next(progress(changes));
    };

    return {
      next(event) {
        if (event.kind === 'messages') {
          const data = event.data;
          if (data.length === 0) return;
          const inputTime = event.time;
          if (assumeNumbers) assertNumberTime(inputTime);
          let time = inputTime;
          if (outputTime !== undefined) {
            time = outputTime(inputTime);
            if (!order.lessEqual(inputTime, time)) {
              throw new InvalidTimeError(
                `time function moved data from ${describe(inputTime)} back to ${describe(time)}; ` +
                  `it must return a time ≥ its argument`,
                time,
              );
            }
          }
          const k = key(time);
          let p = pending.get(k);
          if (p === undefined) {
            // Every pending time is still allowed by the input frontier (it is emitted once it is not), so
            // only a new time can be late.
            if (!tracker.input.lessEqual(time)) {
              handleLate(late, name, inputTime, data, tracker.input.frontier);
              return;
            }
            p = { time, state: spec.create(time) };
            pending.set(k, p);
            heap?.push(time);
            tracker.hold(time);
          }
          p.state = spec.add(p.state, data, inputTime);
        } else {
          if (event.updates.length === 0) return;
          const moved = tracker.applyInput(event.updates);
          if (moved.length > 0 && pending.size > 0) emitReady(false);
          if (moved.length > 0 && frontierMoved !== undefined) frontierMoved(tracker.input.frontier);
          flushProgress();
        }
      },
      complete() {
        tracker.closeInputs();
        emitReady(true);
        frontierMoved?.(tracker.input.frontier);
        flushProgress();
      },
    };
  });
}
