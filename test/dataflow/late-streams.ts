import fc from 'fast-check';
import { messages, progress, type Event } from '../../src/dataflow/index.js';

/**
 * Number-time streams that may carry late records: data at the frontier plus an offset that may be negative
 * (behind the frontier, which a conforming stream never does, but a source with a heuristic watermark may),
 * out of order within the frontier, over several epochs (frontier advances), ending with an empty frontier.
 */
type Step = { kind: 'data'; offset: number; values: number[] } | { kind: 'advance'; by: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('data' as const), offset: fc.integer({ min: -8, max: 12 }), values: fc.array(fc.nat(20), { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), by: fc.integer({ min: 1, max: 6 }) }) },
);

export function interpretSteps(steps: readonly Step[]): Event<number, number>[] {
  let frontier = 0;
  const events: Event<number, number>[] = [];
  for (const s of steps) {
    if (s.kind === 'data') events.push(messages(Math.max(0, frontier + s.offset), s.values));
    else {
      events.push(progress([[frontier, -1], [frontier + s.by, 1]]));
      frontier += s.by;
    }
  }
  events.push(progress([[frontier, -1]]));
  return events;
}

export const lateStreamArb = (maxLength = 40): fc.Arbitrary<Event<number, number>[]> =>
  fc.array(stepArb, { maxLength }).map(interpretSteps);

/** One record as the oracle sees it: its time, value and arrival index. */
export interface Arrival {
  time: number;
  value: number;
  index: number;
}

/**
 * Splits a stream's records into accepted and late by replaying its frontier: a record is late when its time
 * is more than `lateness` behind the frontier at its arrival.
 */
export function classify(events: readonly Event<number, number>[], lateness: number): { accepted: Arrival[]; late: Arrival[] } {
  let frontier = 0;
  let index = 0;
  const accepted: Arrival[] = [];
  const late: Arrival[] = [];
  for (const e of events) {
    if (e.kind === 'progress') {
      for (const [t, d] of e.updates) if (d > 0) frontier = t;
      if (e.updates.every(([, d]) => d < 0)) frontier = Infinity;
      continue;
    }
    for (let i = 0; i < e.data.length; i++) {
      const a = { time: e.time, value: e.data[i] as number, index: index++ };
      (e.time < frontier - lateness ? late : accepted).push(a);
    }
  }
  return { accepted, late };
}

/** A tap's view of the input frontier (number times), to check results are not emitted too early. */
export function frontierTracker(): { readonly value: number; observe(e: Event<number, unknown>): void } {
  let value = 0;
  return {
    get value() {
      return value;
    },
    observe(e) {
      if (e.kind !== 'progress') return;
      let next: number | undefined;
      let any = false;
      for (const [t, d] of e.updates) {
        any = true;
        if (d > 0) next = t;
      }
      if (any) value = next ?? Infinity;
    },
  };
}
