import fc from 'fast-check';
import { Observable } from 'rxjs';
import {
  compactUpdates,
  messages,
  pairTimestamp,
  progress,
  numberTimestamp,
  type Event,
  type Pair,
  type Timestamp,
} from '../../src/dataflow/index.js';

/** Everything a synchronous stream emitted on subscribe. */
export interface Collected<T, D> {
  events: Event<T, D>[];
  completed: boolean;
  error: unknown;
}

export function collectSync<T, D>(stream: Observable<Event<T, D>>): Collected<T, D> {
  const result: Collected<T, D> = { events: [], completed: false, error: undefined };
  stream.subscribe({
    next: (e) => result.events.push(e),
    error: (e: unknown) => (result.error = e),
    complete: () => (result.completed = true),
  });
  return result;
}

/** Events of a synchronous stream; throws what it errored with. */
export function eventsOf<T, D>(stream: Observable<Event<T, D>>): Event<T, D>[] {
  const r = collectSync(stream);
  if (r.error !== undefined) throw r.error;
  if (!r.completed) throw new Error('stream did not complete synchronously');
  return r.events;
}

export function fromEvents<T, D>(events: readonly Event<T, D>[]): Observable<Event<T, D>> {
  return new Observable((s) => {
    for (const e of events) s.next(e);
    s.complete();
  });
}

/**
 * A recipe for a valid stream, interpreted against the capabilities the producer holds (a multiset of
 * times, starting with the minimum once): data goes at a held time plus an offset; a step adds times at or
 * after held ones and drops some held ones, as one compacted progress event; the stream ends by dropping
 * everything. This covers multi-epoch streams, counts above one and multi-element (partial-order) frontiers.
 */
type Action =
  | { kind: 'data'; cap: number; offset: [number, number]; values: number[] }
  | { kind: 'step'; adds: { cap: number; offset: [number, number] }[]; drops: number[] }
  | { kind: 'noop' };

const offsetArb = fc.tuple(fc.nat(2), fc.nat(2));
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('data' as const), cap: fc.nat(), offset: offsetArb, values: fc.array(fc.integer({ min: -5, max: 20 }), { maxLength: 6 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('step' as const),
      adds: fc.array(fc.record({ cap: fc.nat(), offset: offsetArb }), { maxLength: 3 }),
      drops: fc.array(fc.nat(), { maxLength: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'noop' as const }) },
);

export interface TimeKind<T> {
  order: Timestamp<T>;
  shift(t: T, offset: [number, number]): T;
}

export const numbers: TimeKind<number> = { order: numberTimestamp, shift: (t, o) => t + o[0] + o[1] };
export const pairs: TimeKind<Pair<number, number>> = { order: pairTimestamp, shift: (t, o) => [t[0] + o[0], t[1] + o[1]] as const };

export function interpret<T>(kind: TimeKind<T>, actions: readonly Action[]): Event<T, number>[] {
  const { order } = kind;
  let caps: T[] = [order.minimum];
  const events: Event<T, number>[] = [];
  for (const a of actions) {
    if (caps.length === 0) break;
    if (a.kind === 'data') {
      if (a.values.length === 0) continue;
      events.push(messages(kind.shift(caps[a.cap % caps.length] as T, a.offset), a.values));
    } else if (a.kind === 'noop') {
      events.push(progress([]));
    } else {
      const changes: [T, number][] = [];
      const added = a.adds.map((x) => kind.shift(caps[x.cap % caps.length] as T, x.offset));
      for (const t of added) changes.push([t, 1]);
      const next = [...caps];
      for (const d of a.drops) {
        if (next.length === 0) break;
        const [t] = next.splice(d % next.length, 1);
        changes.push([t as T, -1]);
      }
      caps = next.concat(added);
      const compacted = compactUpdates(order, changes);
      if (compacted.length > 0) events.push(progress(compacted));
    }
  }
  if (caps.length > 0) events.push(progress(compactUpdates(order, caps.map((t) => [t, -1] as [T, number]))));
  return events;
}

export function streamArb<T>(kind: TimeKind<T>, maxLength = 30): fc.Arbitrary<Event<T, number>[]> {
  return fc.array(actionArb, { maxLength }).map((actions) => interpret(kind, actions));
}
