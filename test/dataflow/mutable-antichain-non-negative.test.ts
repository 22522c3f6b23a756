/** MutableAntichain.updateNonNegative: the per-stream counts of capture and replay (formerly FrontierCounts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NegativeCountError } from '../../src/dataflow/errors.js';
import { MutableAntichain } from '../../src/dataflow/mutable-antichain.js';
import { numberTimestamp, pairTimestamp } from '../../src/dataflow/timestamp.js';

describe('MutableAntichain.updateNonNegative', () => {
  it('refuses a single release of a time not held, and changes nothing', () => {
    const counts = MutableAntichain.withMinimum(numberTimestamp);
    expect(() => counts.updateNonNegative([[3, -1]])).toThrow(NegativeCountError);
    try {
      counts.updateNonNegative([[0, -2]]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(NegativeCountError);
      expect((error as NegativeCountError).time).toBe(0);
      expect((error as NegativeCountError).count).toBe(-1);
    }
    expect(counts.frontier).toEqual([0]);
    expect([...counts.entries()]).toEqual([[0, 1]]);
  });

  it('refuses a batch whose net change at some time is negative, applying none of it', () => {
    const counts = MutableAntichain.withMinimum(numberTimestamp);
    counts.updateNonNegative([[2, 1], [0, -1]]);
    expect(counts.frontier).toEqual([2]);
    // The +1 at 5 comes first and would be applied by a check-as-you-go loop.
    expect(() => counts.updateNonNegative([[5, 1], [2, -1], [2, -1]])).toThrow(NegativeCountError);
    expect(counts.frontier).toEqual([2]);
    expect(counts.count(5)).toBe(0);
    expect(counts.count(2)).toBe(1);
  });

  it('accepts a batch that releases a time and holds it again (only the net change counts)', () => {
    const counts = MutableAntichain.withMinimum(numberTimestamp);
    expect(counts.updateNonNegative([[0, -1], [0, 1], [1, 1], [0, -1]])).toEqual([[0, -1], [1, 1]]);
    expect(counts.frontier).toEqual([1]);
  });

  it('under a partial order, too', () => {
    const counts = MutableAntichain.withMinimum(pairTimestamp);
    counts.updateNonNegative([[[0, 1], 1], [[1, 0], 1], [[0, 0], -1]]);
    expect(counts.frontier.length).toBe(2);
    expect(() => counts.updateNonNegative([[[1, 0], -2]])).toThrow(NegativeCountError);
    expect(counts.frontier.length).toBe(2);
  });

  it('agrees with updateIter on every batch that keeps counts non-negative, and throws exactly on the others', () => {
    const batch = fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: -2, max: 2 })), { maxLength: 6 });
    fc.assert(
      fc.property(fc.array(batch, { maxLength: 12 }), (batches) => {
        const checked = MutableAntichain.withMinimum(numberTimestamp);
        const plain = MutableAntichain.withMinimum(numberTimestamp);
        for (const updates of batches) {
          const net = new Map<number, number>();
          for (const [t, d] of updates) net.set(t, (net.get(t) ?? 0) + d);
          const goesNegative = [...net].some(([t, d]) => plain.count(t) + d < 0);
          if (goesNegative) {
            expect(() => checked.updateNonNegative(updates)).toThrow(NegativeCountError);
            continue;
          }
          expect(checked.updateNonNegative(updates)).toEqual(plain.updateIter(updates));
          expect(checked.frontier).toEqual(plain.frontier);
        }
      }),
    );
  });
});
