/** Shared by the connector tests: a collector of a stream's events that tracks its frontier. */
import type { Subscription } from 'rxjs';
import type { Event, Stream } from '../../src/dataflow/event.js';

export interface Collected<D> {
  events: Event<number, D>[];
  /** The frontier (undefined once empty). */
  frontier: number | undefined;
  /** Every frontier the stream had, in order. */
  frontiers: (number | undefined)[];
  done: boolean;
  error: unknown;
  data(): { time: number; value: D }[];
  /** Resolves when `check()` holds (checked after every event), or fails after `ms` with `what`. */
  until(check: () => boolean, what: string, ms?: number): Promise<void>;
  subscription: Subscription;
}

export function collectStream<D>(stream: Stream<number, D>): Collected<D> {
  const waiters: (() => void)[] = [];
  const c: Collected<D> = {
    events: [],
    frontier: 0,
    frontiers: [0],
    done: false,
    error: undefined,
    data() {
      return c.events.flatMap((e) => (e.kind === 'messages' ? Array.from(e.data as ArrayLike<D>, (value) => ({ time: e.time, value })) : []));
    },
    until(check, what, ms = 20_000) {
      return new Promise((resolve, reject) => {
        if (check()) return resolve();
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; frontiers so far ${JSON.stringify(c.frontiers)}`)), ms);
        const test = (): void => {
          if (check()) {
            clearTimeout(timer);
            resolve();
          } else waiters.push(test);
        };
        waiters.push(test);
      });
    },
    subscription: undefined as unknown as Subscription,
  };
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  c.subscription = stream.subscribe({
    next(e) {
      c.events.push(e);
      if (e.kind === 'progress') {
        for (const [t, d] of e.updates) {
          if (d > 0) c.frontier = t;
          else if (d < 0 && c.frontier === t && !e.updates.some(([, dd]) => dd > 0)) c.frontier = undefined;
        }
        c.frontiers.push(c.frontier);
      }
      wake();
    },
    error(err) {
      c.error = err;
      wake();
    },
    complete() {
      c.done = true;
      wake();
    },
  });
  return c;
}
