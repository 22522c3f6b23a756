/**
 * LentReads (IteratorOptions.borrow): a read's buffer goes back exactly once, and only after every event
 * decoded from it was handed out and the consumer asked for the next event. A model replays random reads
 * (with random numbers of events, none included) against random consumption.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LentReads } from '../../src/transport/lent-reads.js';

describe('LentReads', () => {
  it('releases each read once, after the consumer moved past its last event', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.record({ read: fc.nat(5) }), fc.record({ take: fc.nat(8) })), { maxLength: 80 }), (steps) => {
        const lent = new LentReads();
        // The iterator's queue in miniature: which read each queued event came from.
        const queue: number[] = [];
        const released: number[] = [];
        const eventsOf: number[] = [];
        /** The read of the event handed out last, until the consumer asks again. */
        let inHand: number | undefined;
        const settledEvents = new Map<number, number>();
        const next = (): void => {
          if (inHand !== undefined) settledEvents.set(inHand, (settledEvents.get(inHand) ?? 0) + 1);
          lent.settle();
          inHand = queue.shift();
          if (inHand !== undefined) lent.handedOut();
        };
        for (const step of steps) {
          if ('read' in step) {
            const id = eventsOf.length;
            eventsOf.push(step.read);
            for (let e = 0; e < step.read; e++) queue.push(id);
            lent.add(step.read, () => {
              // Released only when every one of its events was handed out and moved past.
              expect(settledEvents.get(id) ?? 0).toBe(eventsOf[id]);
              released.push(id);
            });
          } else {
            for (let t = 0; t < step.take; t++) next();
          }
          expect(new Set(released).size).toBe(released.length);
        }
        // Draining everything (and one more ask) releases every read: those with events in order, empty
        // ones at once.
        while (queue.length > 0 || inHand !== undefined) next();
        expect([...released].sort((a, b) => a - b)).toEqual(eventsOf.map((_, id) => id));
        const withEvents = released.filter((id) => (eventsOf[id] as number) > 0);
        expect(withEvents).toEqual([...withEvents].sort((a, b) => a - b));
        expect(lent.held).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('clear() drops the reads without releasing them (the collector takes them)', () => {
    const lent = new LentReads();
    let released = 0;
    lent.add(2, () => released++);
    lent.handedOut();
    lent.clear();
    lent.settle();
    expect(released).toBe(0);
    expect(lent.held).toBe(0);
  });
});
