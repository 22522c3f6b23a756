import { defer, type OperatorFunction } from 'rxjs';
import { InvalidTimeError } from '../../errors.js';
import type { Batch, Event } from '../../event.js';
import { resolveOrder } from '../../progress-tracker.js';
import { TimeHeap } from '../../time-heap.js';
import { numberTimestamp } from '../../timestamp.js';
import { perTime, type PerTimeOptions } from '../per-time.js';

/** Options of the keyed-state operators (`reducePerKey`, `aggregatePerKey`). */
export interface KeyedStateOptions<T, D> extends PerTimeOptions<T, D> {
  /**
   * Time to live in event time: a key's state last updated at `u` is forgotten at `u + ttl` — a record at a
   * time `≥ u + ttl` starts from scratch, and the state's memory is freed once the frontier reaches it. A
   * number (number times only), or a function from the last update's time to the expiry time (which must
   * be later). Default: state lives until the input finishes.
   */
  ttl?: number | ((lastUpdate: T) => T);
}

interface KeyState<T, A> {
  value: A;
  updated: T;
  expires: T | undefined;
}

/**
 * The engine behind `reducePerKey` and `aggregatePerKey`: the records of each time are gathered until the
 * frontier passes the time (`perTime`), then folded into per-key state that survives across times, and the
 * new state of every key the time touched is emitted at that time as `[key, state]`. Times are folded in
 * order, which needs a total order: the state "after time t" is not one value when t has incomparable
 * predecessors, so a partial order is refused.
 *
 * `first(key, record, time)` is a key's state after its first record (a seed folded with it, or the record
 * itself for a reduce); `fold` adds every later record.
 */
export function keyedState<T, D, K, A>(
  operator: string,
  key: (record: D) => K,
  first: (key: K, record: D, time: T) => A,
  fold: (state: A, record: D, time: T) => A,
  options: KeyedStateOptions<T, D> | undefined,
): OperatorFunction<Event<T, D>, Event<T, readonly [K, A]>> {
  const { order, assumeNumbers } = resolveOrder(options);
  const compare = order.compare?.bind(order);
  if (order.totalOrder !== true || compare === undefined) {
    throw new InvalidTimeError(
      `${operator} folds state from time to time, which needs a totally ordered timestamp with compare ` +
        `(got ${order.name ?? 'a partial order'}); use aggregatePerTime for per-time results under a partial order`,
    );
  }
  const ttl = options?.ttl;
  let expiryOf: ((updated: T) => T) | undefined;
  if (typeof ttl === 'number') {
    if (!assumeNumbers && order !== (numberTimestamp as unknown)) throw new InvalidTimeError(`${operator} ttl as a number needs number times; pass ttl as a function of the time`);
    if (!(ttl > 0)) throw new InvalidTimeError(`${operator} ttl must be > 0, got ${ttl}`);
    expiryOf = (updated) => ((updated as number) + ttl) as T;
  } else if (ttl !== undefined) {
    expiryOf = (updated) => {
      const expires = ttl(updated);
      if (!(compare(updated, expires) < 0)) throw new InvalidTimeError(`${operator} ttl moved expiry to ${String(expires)}, not after ${String(updated)}`, expires);
      return expires;
    };
  }

  return (source) =>
    defer(() => {
      // Per subscription: each run of the pipeline has its own state.
      const states = new Map<K, KeyState<T, A>>();
      const expiries = new TimeHeap<{ expires: T; key: K; state: KeyState<T, A> }>((a, b) => compare(a.expires, b.expires));

      const finish = (batches: Batch<D>[], time: T): (readonly [K, A])[] => {
        const touched = new Map<K, KeyState<T, A>>();
        for (const batch of batches) {
          for (let i = 0; i < batch.length; i++) {
            const record = batch[i] as D;
            const k = key(record);
            let state = states.get(k);
            if (state !== undefined && state.expires !== undefined && compare(state.expires, time) <= 0) {
              states.delete(k);
              state = undefined;
            }
            if (state === undefined) {
              state = { value: first(k, record, time), updated: time, expires: undefined };
              states.set(k, state);
            } else {
              state.value = fold(state.value, record, time);
            }
            touched.set(k, state);
          }
        }
        const out: (readonly [K, A])[] = [];
        for (const [k, state] of touched) {
          out.push([k, state.value] as const);
          if (expiryOf !== undefined) {
            state.updated = time;
            state.expires = expiryOf(time);
            expiries.push({ expires: state.expires, key: k, state });
          }
        }
        return out;
      };

      const frontierMoved = (frontier: readonly T[]): void => {
        if (frontier.length === 0) {
          states.clear();
          while (expiries.size > 0) expiries.pop();
          return;
        }
        const now = frontier[0] as T;
        while (expiries.size > 0 && compare((expiries.peek() as { expires: T }).expires, now) <= 0) {
          const { key: k, state, expires } = expiries.pop() as { expires: T; key: K; state: KeyState<T, A> };
          // Stale entries (the key was updated later, or already reset) are skipped.
          if (states.get(k) === state && state.expires !== undefined && compare(state.expires, expires) === 0) states.delete(k);
        }
      };

      return source.pipe(
        perTime<T, D, Batch<D>[], readonly [K, A]>(
          {
            name: operator,
            create: () => [],
            add: (batches, batch) => {
              batches.push(batch);
              return batches;
            },
            finish,
            frontierMoved,
          },
          options,
        ),
      );
    });
}
