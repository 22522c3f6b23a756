/**
 * Why a replay's frontier is stuck (issue 14): when the output frontier has not advanced for `stallAfterMs`
 * while the replay is not done, `onStall` receives which of this replay's streams hold the frontier, their own
 * frontiers, and what each one is doing:
 * - missing: its topic does not exist (yet), so its implicit capability at the minimum holds everything;
 * - idle: it exists, but nothing arrived from it since the frontier last moved;
 * - slow: events keep arriving from it, but none of them released the held time yet (a backlog, or a capture
 *   that is still producing that time).
 * With a progress exchange, the frontier may be held by other workers' streams only; the report says so.
 *
 * Event-driven: one timer. Frontier moves only stamp the time; the timer, when it fires early, is re-armed for
 * what remains of the window (so a fast replay sets no timer per move), and it never keeps the process alive.
 */
import type { Timestamp } from '../dataflow/timestamp.js';

export type StallKind = 'missing' | 'idle' | 'slow';

export interface StalledStream<T> {
  name: string;
  kind: StallKind;
  /** The times this stream still holds (its own frontier). */
  frontier: T[];
  /** Events read from it so far. */
  events: number;
  /** Milliseconds since its last event; undefined if it never sent one. */
  lastEventAgoMs: number | undefined;
}

export interface StallReport<T> {
  /** The replay's frontier, unchanged for `stalledForMs`. */
  frontier: T[];
  stalledForMs: number;
  /** This replay's streams that hold the frontier (empty when only other workers' streams do). */
  holding: StalledStream<T>[];
  /** With a progress exchange: no stream of this worker holds it, so streams on other workers do. */
  heldElsewhere: boolean;
  /** The report in one paragraph, for logs and stderr. */
  message: string;
}

export interface StallOptions<T> {
  /** Report after the frontier has not advanced for this long (default 10,000 ms, what capture_recv uses). */
  stallAfterMs?: number;
  /** Receives a report each time the frontier has been stuck for another `stallAfterMs`. */
  onStall?: (report: StallReport<T>) => void;
}

export const DEFAULT_STALL_AFTER_MS = 10_000;

/** What the watch reads of a replayed stream (replay.ts's per-stream state). */
export interface WatchedStream<T> {
  readonly iterator: { readonly name: string; readonly present: boolean };
  readonly counts: { readonly frontier: readonly T[] };
  readonly events: number;
  /** When its last events were taken (epoch ms, 0 if never). */
  readonly heardAt: number;
  readonly finished: boolean;
}

function show(value: unknown): string {
  try {
    return typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

export class StallWatch<T> {
  private advancedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private readonly afterMs: number;

  constructor(
    private readonly streams: readonly WatchedStream<T>[],
    private readonly frontier: () => readonly T[],
    private readonly order: Timestamp<T>,
    private readonly onStall: (report: StallReport<T>) => void,
    afterMs: number | undefined,
    private readonly exchanged: boolean,
  ) {
    this.afterMs = afterMs ?? DEFAULT_STALL_AFTER_MS;
    if (!(this.afterMs > 0)) throw new RangeError(`stallAfterMs must be positive, got ${afterMs}`);
    this.arm(this.afterMs);
  }

  /** The frontier moved: only stamped here (called for every move, so it must stay cheap). */
  advanced(): void {
    this.advancedAt = Date.now();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.check(), ms);
    this.timer.unref();
  }

  private check(): void {
    const now = Date.now();
    const quiet = now - this.advancedAt;
    if (quiet < this.afterMs) return this.arm(this.afterMs - quiet);
    const frontier = this.frontier();
    if (frontier.length > 0) this.onStall(this.report(frontier, quiet, now));
    this.arm(this.afterMs);
  }

  private holds(stream: WatchedStream<T>, frontier: readonly T[]): boolean {
    return stream.counts.frontier.some((own) => frontier.some((t) => this.order.lessEqual(own, t)));
  }

  /** Builds the report for the current state (public for tests and for callers that ask on demand). */
  report(frontier: readonly T[], stalledForMs: number, now = Date.now()): StallReport<T> {
    const holding: StalledStream<T>[] = [];
    for (const stream of this.streams) {
      if (stream.finished || !this.holds(stream, frontier)) continue;
      const kind: StallKind = !stream.iterator.present ? 'missing' : stream.heardAt > this.advancedAt ? 'slow' : 'idle';
      holding.push({
        name: stream.iterator.name,
        kind,
        frontier: [...stream.counts.frontier],
        events: stream.events,
        lastEventAgoMs: stream.heardAt > 0 ? now - stream.heardAt : undefined,
      });
    }
    const heldElsewhere = holding.length === 0 && this.exchanged;
    const at = frontier.map(show).join(', ');
    const lines = holding.map((s) => {
      const last = s.lastEventAgoMs === undefined ? 'no event yet' : `last event ${s.lastEventAgoMs} ms ago`;
      const what = s.kind === 'missing' ? 'missing (its topic does not exist)' : s.kind === 'idle' ? 'idle (nothing new since the frontier last moved)' : 'slow (events arrive, none released the time yet)';
      return `"${s.name}" at ${s.frontier.map(show).join(', ')}: ${what}, ${s.events} event(s), ${last}`;
    });
    const who = heldElsewhere ? 'streams on other workers hold it (none of this worker\'s)' : lines.length > 0 ? `held by ${lines.join('; ')}` : 'no stream holds it';
    return {
      frontier: [...frontier],
      stalledForMs,
      holding,
      heldElsewhere,
      message: `replay frontier stuck at ${at} for ${stalledForMs} ms: ${who}`,
    };
  }
}
