/**
 * capture: writes a progress-carrying stream into an EventPusher, following Timely's `capture_into`
 * (reference §2):
 * - a reader assumes an implicit `(minimum, +1)`; it is retired by the first progress event as `(minimum, -1)`;
 * - progress is re-expressed as compacted frontier changes (sorted by time) and only written when the
 *   frontier moved — never while it is unchanged;
 * - messages are written as they come, so a progress that releases `t` always follows the data at `t`;
 * - when the source completes, a final progress empties the frontier (only negative deltas).
 * Unlike Timely, completion waits until every event is acknowledged, and a delivery failure is an error.
 */
import { Observable, isObservable, type OperatorFunction } from 'rxjs';
import { NegativeCountError, ProgressProtocolError } from '../dataflow/errors.js';
import type { Event } from '../dataflow/event.js';
import { MutableAntichain } from '../dataflow/mutable-antichain.js';
import { numberTimestamp, type Timestamp } from '../dataflow/timestamp.js';
import type { EventPusher } from '../transport/event-pusher.js';

export interface CaptureOptions<T> {
  /** How times are ordered (default: numbers). */
  timestamp?: Timestamp<T>;
  /** Close the pusher when the capture ends (default true). */
  closePusher?: boolean;
}

export interface CaptureResult {
  /** The pusher's name (topic). */
  readonly name: string;
  /** Events written: messages and progress. */
  readonly events: number;
  readonly messageEvents: number;
  readonly progressEvents: number;
  /** Data items in all messages events. */
  readonly records: number;
  /** Encoded bytes acknowledged, when the transport counts them. */
  readonly bytes: number | undefined;
}

/** The capture state machine, shared by the operator and the iterable form. */
export class CaptureWriter<T, D> {
  /** The capabilities the input holds; its frontier is what the captured stream says. */
  private readonly counts: MutableAntichain<T>;
  private readonly order: Timestamp<T>;
  private index = 0;
  private messageEvents = 0;
  private progressEvents = 0;
  private records = 0;

  constructor(private readonly pusher: EventPusher<T, D>, options: CaptureOptions<T> = {}) {
    this.order = options.timestamp ?? (numberTimestamp as unknown as Timestamp<T>);
    this.counts = MutableAntichain.withMinimum(this.order);
  }

  /** Writes one input event; a returned promise is the pusher's backpressure. Throws on protocol violations. */
  write(event: Event<T, D>): void | Promise<void> {
    const at = this.index++;
    if (event.kind === 'messages') {
      if (!this.counts.lessEqual(event.time)) {
        throw new ProgressProtocolError(
          'uncovered-data',
          `capture into "${this.pusher.name}": event ${at} has data at time ${JSON.stringify(event.time)}, which the ` +
            `stream's frontier [${this.counts.frontier.map((t) => JSON.stringify(t)).join(', ')}] no longer covers`,
          at,
          event.time,
        );
      }
      this.messageEvents++;
      this.records += event.data.length;
      return this.pusher.push(event);
    }
    let changes: [T, number][];
    try {
      changes = this.counts.updateNonNegative(event.updates);
    } catch (error) {
      if (!(error instanceof NegativeCountError)) throw error;
      throw new ProgressProtocolError(
        'negative-count',
        `capture into "${this.pusher.name}": progress event ${at} releases time ${JSON.stringify(error.time)} more often ` +
          `than it was held (count ${error.count})`,
        at,
        error.time,
      );
    }
    if (changes.length === 0) return undefined;
    this.progressEvents++;
    return this.pusher.push({ kind: 'progress', updates: changes });
  }

  /** Empties the frontier if the source did not, then waits for every acknowledgement. */
  async finish(closePusher = true): Promise<CaptureResult> {
    const remaining = this.counts.frontier;
    if (remaining.length > 0) {
      const changes = this.counts.updateIter(remaining.map((t) => [t, -this.counts.count(t)] as const));
      this.progressEvents++;
      await this.pusher.push({ kind: 'progress', updates: changes });
    }
    if (closePusher) await this.pusher.close();
    else await this.pusher.flush();
    return this.result();
  }

  result(): CaptureResult {
    return {
      name: this.pusher.name,
      events: this.messageEvents + this.progressEvents,
      messageEvents: this.messageEvents,
      progressEvents: this.progressEvents,
      records: this.records,
      bytes: this.pusher.bytesAcknowledged,
    };
  }
}

/**
 * The capture operator: subscribes to the stream, writes its events, and emits one CaptureResult once the
 * source completed and every event is acknowledged. Errors (source, protocol, delivery) error the output.
 * RxJS cannot slow an Observable down, so events wait in the pusher's buffer; use `captureFrom` with an
 * (async) iterable for backpressure on large inputs.
 */
export function capture<T, D>(pusher: EventPusher<T, D>, options: CaptureOptions<T> = {}): OperatorFunction<Event<T, D>, CaptureResult> {
  return (source) =>
    new Observable<CaptureResult>((subscriber) => {
      const writer = new CaptureWriter(pusher, options);
      const fail = (error: unknown): void => {
        subscriber.error(error);
        if (options.closePusher !== false) pusher.close().catch(() => {}); // already failing; the first error wins
      };
      const subscription = source.subscribe({
        next: (event) => {
          try {
            const pending = writer.write(event);
            if (pending) pending.catch(fail);
          } catch (error) {
            fail(error);
          }
        },
        error: fail,
        complete: () => {
          writer.finish(options.closePusher !== false).then((result) => {
            subscriber.next(result);
            subscriber.complete();
          }, fail);
        },
      });
      return () => subscription.unsubscribe();
    });
}

/**
 * Captures an Observable, or an (async) iterable of events with backpressure (the next event is pulled only
 * when the pusher has room). Resolves once every event is acknowledged.
 */
export async function captureFrom<T, D>(
  source: Observable<Event<T, D>> | Iterable<Event<T, D>> | AsyncIterable<Event<T, D>>,
  pusher: EventPusher<T, D>,
  options: CaptureOptions<T> = {},
): Promise<CaptureResult> {
  if (isObservable(source)) {
    return new Promise((resolve, reject) => {
      let result: CaptureResult | undefined;
      source.pipe(capture(pusher, options)).subscribe({
        next: (r) => (result = r),
        error: reject,
        complete: () => resolve(result as CaptureResult),
      });
    });
  }
  const writer = new CaptureWriter(pusher, options);
  try {
    for await (const event of source as AsyncIterable<Event<T, D>>) {
      const pending = writer.write(event);
      if (pending) await pending;
    }
  } catch (error) {
    if (options.closePusher !== false) await pusher.close().catch(() => {});
    throw error;
  }
  return writer.finish(options.closePusher !== false);
}
