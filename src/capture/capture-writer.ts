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
import { NegativeCountError, ProgressProtocolError } from '../dataflow/errors.js';
import type { Event } from '../dataflow/event.js';
import { MutableAntichain } from '../dataflow/mutable-antichain.js';
import { numberTimestamp, type Timestamp } from '../dataflow/timestamp.js';
import type { CapturePosition, EventPusher } from '../transport/event-pusher.js';

export interface CaptureOptions<T> {
  /** How times are ordered (default: numbers). */
  timestamp?: Timestamp<T>;
  /** Close the pusher when the capture ends (default true). */
  closePusher?: boolean;
  /**
   * Exactly-once (issue 12): events are committed in transactions, each with the capture's position, at the
   * pusher's cadence (bytes and time). Needs a pusher opened with `{ exactlyOnce: true }`.
   */
  exactlyOnce?: boolean;
  /** Continue the stream's committed prefix: a resumable source restarts at the committed position. */
  resume?: boolean;
}

/** Where a resumed capture restarts its source: source events already committed, and the source's own token. */
export interface ResumePosition {
  /** Source events consumed by the committed prefix (0 for a fresh stream). */
  events: number;
  /** The token the source reported at the last commit, if it keeps one. */
  token?: string;
}

/**
 * A source that can restart where a commit ended: `(position) => events from there on`. The iterable may
 * report its own position through `token()`; capture calls it right after an event was pulled, and the
 * token must describe the source just after that event. `undefined` means the source cannot restart there
 * (say, between the events of one fetched batch): the due commit waits for an event after which it can.
 * `tokenWhileWaiting`: the token keeps describing the last event pulled while the source waits for its next
 * one, so a time-bound commit may run then (without it, commits happen only right after an event).
 */
export type ResumableSource<T, D> = (position: ResumePosition) => (AsyncIterable<Event<T, D>> | Iterable<Event<T, D>>) & { token?(): string | undefined; readonly tokenWhileWaiting?: boolean };

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
  protected readonly counts: MutableAntichain<T>;
  private readonly order: Timestamp<T>;
  protected index = 0;
  private messageEvents = 0;
  private progressEvents = 0;
  private records = 0;

  constructor(protected readonly pusher: EventPusher<T, D>, options: CaptureOptions<T> = {}, from?: CapturePosition<T>) {
    this.order = options.timestamp ?? (numberTimestamp as unknown as Timestamp<T>);
    // A resumed capture holds what its committed prefix held; a fresh one the minimum, as every stream starts.
    this.counts = from?.counts ? new MutableAntichain(this.order, from.counts) : MutableAntichain.withMinimum(this.order);
    if (from) this.index = from.events;
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
    if (this.counts.frontier.length > 0) {
      // Every capability still held goes, not only the frontier's: a time held behind the frontier (say 1
      // while 0 is held too) would otherwise enter the frontier and stay there, and replay would never end.
      const changes = this.counts.updateIter([...this.counts.entries()].map(([t, count]) => [t, -count] as const));
      this.progressEvents++;
      await this.pusher.push({ kind: 'progress', updates: changes });
    }
    await this.beforeClose();
    if (closePusher) await this.pusher.close();
    else await this.pusher.flush();
    return this.result();
  }

  /** Runs after the last event was pushed, before the pusher is closed or flushed. */
  protected async beforeClose(): Promise<void> {}

  /** Called on failure instead of `finish`: closes (or, exactly-once, aborts) the pusher. */
  async fail(closePusher = true): Promise<void> {
    if (closePusher) await this.pusher.close().catch(() => {});
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

