/**
 * replay: merges any number of captured streams into one progress-carrying stream, as Timely's
 * `replay_into` (reference §3):
 * - one implicit capability at the minimum per stream (with workers: `peers` held initially, each worker adding
 *   `streams - 1`, so the sum is one per stream everywhere);
 * - each stream's progress is added to the counts unchanged; the output frontier is the lower bound of all
 *   positive counts, so it passes `t` only once every stream released `t`;
 * - messages are forwarded as they come, and a turn's frontier change is emitted after that turn's data;
 * - it completes when the counts are all zero.
 * Beyond Timely: each stream is checked against the protocol (negative counts, data or progress at a time it
 * does not hold, events after its end, a stream that ends with times held), missing streams are named in a
 * warning after a while, and draining is bounded per stream per turn so one backlog cannot starve the rest.
 */
import { Observable } from 'rxjs';
import { NegativeCountError, ProgressProtocolError } from '../dataflow/errors.js';
import type { Event } from '../dataflow/event.js';
import { numberTimestamp, type Timestamp } from '../dataflow/timestamp.js';
import type { EventIterator } from '../transport/event-iterator.js';
import { MutableAntichain } from '../dataflow/mutable-antichain.js';
import type { ProgressExchange } from './progress-exchange.js';
import { StallWatch, type StallOptions } from './stall-watch.js';

export interface ReplayOptions<T> extends StallOptions<T> {
  timestamp?: Timestamp<T>;
  /** Events taken from one stream before turning to the next (default 64). */
  maxEventsPerTurn?: number;
  /** After this long, streams that do not exist yet are named in a warning (default 5,000 ms; 0 disables). */
  missingStreamWarningMs?: number;
  /** After this long, missing streams are an error instead (default: wait forever, as Timely does). */
  missingStreamTimeoutMs?: number;
  /** Receives warnings (default: process.emitWarning). */
  onWarning?: (message: string, streams: readonly string[]) => void;
  /** Shares progress with the other replaying workers; without it this replay is the only one. */
  exchange?: ProgressExchange<T>;
  /** Close the iterators when the replay ends (default true). */
  closeIterators?: boolean;
}

/** A missing stream did not appear within `missingStreamTimeoutMs`. */
export class MissingStreamError extends Error {
  override readonly name = 'MissingStreamError';
  constructor(readonly streams: readonly string[], waitedMs: number) {
    super(
      `replay waited ${waitedMs} ms for stream(s) ${streams.map((s) => `"${s}"`).join(', ')} that do not exist; ` +
        `check the topic name and the number of streams (it must equal the number of capturing workers)`,
    );
  }
}

class StreamState<T, D> {
  /** The capabilities this stream holds (never negative: a negative count is the stream's own violation). */
  readonly counts: MutableAntichain<T>;
  events = 0;
  finished = false;
  /** When events were last taken from it (epoch ms; for the stall report). */
  heardAt = 0;
  constructor(readonly iterator: EventIterator<T, D>, order: Timestamp<T>) {
    this.counts = MutableAntichain.withMinimum(order);
  }
}

function show(value: unknown): string {
  try {
    return typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

export function replay<T, D>(iterators: Iterable<EventIterator<T, D>>, options: ReplayOptions<T> = {}): Observable<Event<T, D>> {
  return new Observable<Event<T, D>>((subscriber) => {
    const order = options.timestamp ?? (numberTimestamp as unknown as Timestamp<T>);
    const maxPerTurn = options.maxEventsPerTurn ?? 64;
    const exchange = options.exchange;
    const streams = [...iterators].map((it) => new StreamState(it, order));
    // The merged counts: every stream's changes are checked against its own counts first, so the sum
    // never goes negative and needs no check of its own.
    const global = new MutableAntichain<T>(order);
    let stopped = false;
    const startedAt = Date.now();
    const stall = options.onStall ? new StallWatch(streams, () => global.frontier, order, options.onStall, options.stallAfterMs, exchange !== undefined) : undefined;

    // Initial capabilities: every worker's tracker assumes `peers` at the minimum, and each worker adds
    // `streams - 1` (reference §3.3). Without an exchange, peers = 1.
    const peers = exchange?.peers ?? 1;
    global.updateIter([[order.minimum, peers]]);
    const initial: [T, number][] = [[order.minimum, streams.length - 1]];
    exchange?.send(initial);

    const violation = (state: StreamState<T, D>, kind: 'uncovered-data' | 'negative-count' | 'frontier-regression' | 'incomplete', what: string, time?: unknown) =>
      new ProgressProtocolError(kind, `replay of stream "${state.iterator.name}": event ${state.events - 1} ${what}`, state.events - 1, time);

    /** Applies one stream event; collects its count changes (already applied to the global counts) in `changes`. */
    const take = (state: StreamState<T, D>, event: Event<T, D>, changes: (readonly [T, number])[]): void => {
      state.events++;
      if (state.finished) {
        throw violation(state, 'frontier-regression', 'arrived after the stream had released every time (a reused topic?)');
      }
      if (event.kind === 'messages') {
        if (!state.counts.lessEqual(event.time)) {
          throw violation(state, 'uncovered-data', `has data at time ${show(event.time)}, which the stream no longer holds`, event.time);
        }
        subscriber.next(event);
        return;
      }
      for (const [time, delta] of event.updates) {
        if (delta > 0 && !state.counts.lessEqual(time)) {
          throw violation(state, 'frontier-regression', `adds a count at time ${show(time)}, before every time the stream holds`, time);
        }
      }
      try {
        state.counts.updateNonNegative(event.updates);
      } catch (error) {
        if (error instanceof NegativeCountError) {
          throw violation(state, 'negative-count', `drives the count at time ${show(error.time)} to ${error.count}`, error.time);
        }
        throw error;
      }
      for (const update of event.updates) changes.push(update);
      if (state.counts.isEmpty()) state.finished = true;
      // Apply at once: every state between events is a valid frontier, and finer steps let downstream
      // operators finish a time as soon as possible.
      emitFrontier(event.updates);
    };

    const emitFrontier = (changes: readonly (readonly [T, number])[]): void => {
      const moved = global.updateIter(changes);
      if (moved.length === 0) return;
      stall?.advanced();
      subscriber.next({ kind: 'progress', updates: moved });
    };

    let warned = false;
    const missing = () => streams.filter((s) => !s.iterator.present).map((s) => s.iterator.name);
    const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, 'ReplayWarning'));
    const warnAfter = options.missingStreamWarningMs ?? 5000;
    const failAfter = options.missingStreamTimeoutMs;

    const turn = (): boolean => {
      let progressed = false;
      // The first turn applies this worker's `streams - 1` adjustment of the implicit capabilities.
      if (initial.length > 0) emitFrontier(initial.splice(0));
      const changes: (readonly [T, number])[] = [];
      for (const state of streams) {
        if (state.finished) continue;
        const local: (readonly [T, number])[] = [];
        const before = state.events;
        for (let i = 0; i < maxPerTurn; i++) {
          const event = state.iterator.next();
          if (event === undefined) break;
          progressed = true;
          take(state, event, local);
        }
        if (stall && state.events !== before) state.heardAt = Date.now();
        if (local.length > 0) exchange?.send(local);
        if (!state.finished && state.iterator.ended) {
          throw violation(state, 'incomplete', `was the last: the stream ended while still holding ${state.counts.frontier.map(show).join(', ')}`);
        }
      }
      if (exchange) {
        const received = exchange.receive();
        if (received.length > 0) {
          progressed = true;
          changes.push(...received);
        }
      }
      if (changes.length > 0) emitFrontier(changes);
      return progressed;
    };

    const closeAll = async (): Promise<void> => {
      if (options.closeIterators === false) return;
      await Promise.all(streams.map((s) => s.iterator.close().catch(() => {})));
    };

    const run = async (): Promise<void> => {
      for (;;) {
        if (stopped) return;
        const progressed = turn();
        if (global.isEmpty()) {
          // Trailing events after a stream's end mean a reused topic: report them rather than ignore them.
          for (const state of streams) {
            const extra = state.iterator.next();
            if (extra !== undefined) take(state, extra, []);
          }
          return;
        }
        if (progressed) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        const waits: Promise<unknown>[] = streams.filter((s) => !s.finished).map((s) => s.iterator.whenReady());
        if (exchange) waits.push(exchange.whenReady());
        const elapsed = Date.now() - startedAt;
        let timer: NodeJS.Timeout | undefined;
        const absent = missing();
        if (absent.length > 0) {
          if (failAfter !== undefined && elapsed >= failAfter) throw new MissingStreamError(absent, elapsed);
          const deadline = Math.min(!warned && warnAfter > 0 ? warnAfter : Infinity, failAfter ?? Infinity);
          if (Number.isFinite(deadline)) {
            if (!warned && warnAfter > 0 && elapsed >= warnAfter) {
              warned = true;
              warn(
                `replay has waited ${elapsed} ms for stream(s) that do not exist yet: ${absent.map((s) => `"${s}"`).join(', ')}; ` +
                  `their implicit capabilities hold the frontier at the minimum until they appear`,
                absent,
              );
            } else {
              waits.push(new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - elapsed)))));
            }
          }
        }
        if (waits.length === 0) throw new Error('replay has nothing to wait for but its frontier is not empty');
        await Promise.race(waits);
        if (timer) clearTimeout(timer);
      }
    };

    run().then(
      async () => {
        stall?.stop();
        await closeAll();
        exchange?.close();
        if (!stopped) subscriber.complete();
      },
      async (error: unknown) => {
        stall?.stop();
        await closeAll();
        exchange?.close();
        if (!stopped) subscriber.error(error);
      },
    );
    return () => {
      // Unsubscribed: stop reading now, even if the loop is waiting for a stream that never comes.
      if (!stopped) void closeAll();
      stopped = true;
      stall?.stop();
    };
  });
}
