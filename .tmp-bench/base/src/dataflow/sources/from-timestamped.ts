import { asapScheduler, Observable, Subject, Subscription, type SchedulerLike } from 'rxjs';
import { messages, progress, type Event, type Stream } from '../event.js';

export interface FromTimestampedOptions<V> {
  /** The event time of a value: a non-negative number. */
  time: (value: V) => number;
  /**
   * How far behind the largest time seen so far a record may still arrive. The watermark (the stream's
   * frontier) is `max time seen − maxOutOfOrderness`; records before it are late.
   */
  maxOutOfOrderness: number;
  /** Records per batch: a time's buffer is emitted when it reaches this size (default 1,024). */
  batchSize?: number;
  /**
   * Where partial batches are flushed: once after each burst of values, on this scheduler (default
   * `asapScheduler`, i.e. right after the current synchronous burst). Full batches and watermark advances
   * flush immediately.
   */
  scheduler?: SchedulerLike;
  /**
   * After this long without a value, the source counts as idle and the watermark moves past every time seen
   * (`max time seen + 1`), so per-time results downstream are released instead of waiting for the next value
   * (Flink's `withIdleness`, for one source). Values that arrive later at those times are late. Measured on
   * `scheduler`; default: never (an idle source holds the watermark).
   */
  idleTimeoutMs?: number;
}

/** A record that arrived after the watermark had passed its time. */
export interface LateRecord<V> {
  readonly value: V;
  readonly time: number;
  /** The watermark when it arrived. */
  readonly watermark: number;
}

export interface TimestampedStream<V> {
  /** The progress-carrying stream, at the values' times, with watermarks as progress. */
  readonly stream: Stream<number, V>;
  /** Late records (side output), while `stream` is subscribed. Unobserved late records are dropped. */
  readonly late$: Observable<LateRecord<V>>;
  /** How many late records were counted so far, over all subscriptions. */
  readonly lateCount: number;
}

/**
 * Turns plain RxJS values carrying their own event times into a progress-carrying stream, deriving
 * watermarks with bounded out-of-orderness (Flink's `forBoundedOutOfOrderness`). Values are grouped into
 * batches per time; a watermark advance first emits the buffered data it completes, then the progress
 * event. Late records (time before the watermark, or not a non-negative number) are never misplaced: they
 * are counted and sent to `late$`, and dropped from the stream. When the source completes, everything
 * buffered is emitted and the frontier is emptied. The watermark moves only when newer values arrive, so an
 * idle source holds it (and downstream per-time results) where it is until it produces or completes —
 * unless `idleTimeoutMs` is set, which releases every time seen after that long without values.
 *
 * @example
 * ```ts
 * const { stream, late$ } = fromTimestamped(clicks$, { time: (c) => c.second, maxOutOfOrderness: 5 });
 * late$.subscribe((l) => console.warn('late click', l.value));
 * stream.pipe(tumblingWindow(60), countPerTime()).subscribe(report);
 * ```
 */
export function fromTimestamped<V>(source: Observable<V>, options: FromTimestampedOptions<V>): TimestampedStream<V> {
  const { time: timeOf, maxOutOfOrderness } = options;
  if (!(maxOutOfOrderness >= 0)) throw new RangeError(`maxOutOfOrderness must be ≥ 0, got ${maxOutOfOrderness}`);
  const batchSize = options.batchSize ?? 1024;
  const idleTimeoutMs = options.idleTimeoutMs;
  if (idleTimeoutMs !== undefined && !(idleTimeoutMs > 0)) throw new RangeError(`idleTimeoutMs must be > 0, got ${idleTimeoutMs}`);
  const scheduler = options.scheduler ?? asapScheduler;
  const late$ = new Subject<LateRecord<V>>();
  let lateCount = 0;

  const stream = new Observable<Event<number, V>>((out) => {
    let watermark = 0;
    let maxSeen = -Infinity;
    const buffers = new Map<number, V[]>();
    let scheduled: Subscription | undefined;
    let idleTimer: Subscription | undefined;
    let lastValueAt = 0;

    const flushBefore = (limit: number): void => {
      const times = [...buffers.keys()].filter((t) => t < limit).sort((a, b) => a - b);
      for (const t of times) {
        out.next(messages(t, buffers.get(t) as V[]));
        buffers.delete(t);
      }
    };
    const scheduleFlush = (): void => {
      if (scheduled !== undefined) return;
      scheduled = scheduler.schedule(() => {
        scheduled = undefined;
        flushBefore(Infinity);
      });
      out.add(scheduled);
    };

    const advance = (next: number): void => {
      flushBefore(next);
      out.next(progress([[watermark, -1], [next, 1]]));
      watermark = next;
    };
    // One timer per quiet spell, not one per value: when it fires early (values came meanwhile) it re-arms
    // for the rest of the timeout measured from the last value.
    const armIdleTimer = (delay: number): void => {
      idleTimer = scheduler.schedule(() => {
        idleTimer = undefined;
        const quiet = scheduler.now() - lastValueAt;
        if (quiet < (idleTimeoutMs as number)) return armIdleTimer((idleTimeoutMs as number) - quiet);
        if (maxSeen + 1 > watermark) advance(maxSeen + 1);
      }, delay);
      out.add(idleTimer);
    };

    const subscription = source.subscribe({
      next(value) {
        if (idleTimeoutMs !== undefined) {
          lastValueAt = scheduler.now();
          if (idleTimer === undefined) armIdleTimer(idleTimeoutMs);
        }
        const t = timeOf(value);
        if (!(t >= watermark) || !Number.isFinite(t)) {
          lateCount++;
          late$.next({ value, time: t, watermark });
          return;
        }
        let buffer = buffers.get(t);
        if (buffer === undefined) buffers.set(t, (buffer = []));
        buffer.push(value);
        if (buffer.length >= batchSize) {
          out.next(messages(t, buffer));
          buffers.delete(t);
        }
        if (t > maxSeen) {
          maxSeen = t;
          const next = maxSeen - maxOutOfOrderness;
          if (next > watermark) advance(next);
        }
        if (buffers.size > 0) scheduleFlush();
      },
      error(err) {
        out.error(err);
      },
      complete() {
        scheduled?.unsubscribe();
        idleTimer?.unsubscribe();
        flushBefore(Infinity);
        out.next(progress([[watermark, -1]]));
        out.complete();
      },
    });
    return subscription;
  });

  return {
    stream,
    late$: late$.asObservable(),
    get lateCount() {
      return lateCount;
    },
  };
}
