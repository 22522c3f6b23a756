import { describe, expect, it } from 'vitest';
import { IntervalSide } from '../../../../src/dataflow/operators/internal/interval-side.js';

describe('IntervalSide (the state of one input of intervalJoin)', () => {
  it('releases each record once the frontier passes its expiry, compacting and dropping key lists', () => {
    const side = new IntervalSide<string, number>();
    for (let t = 0; t < 10; t++) side.add(t % 2 === 0 ? 'even' : 'odd', { time: t, value: t, alive: true }, t + 5);
    expect(side.size).toBe(10);
    side.release(5); // nothing expires before 5
    expect(side.size).toBe(10);
    side.release(8); // expiries 5, 6, 7
    expect(side.size).toBe(7);
    expect(side.byKey.get('even')?.filter((h) => h.alive).map((h) => h.time)).toEqual([4, 6, 8]);
    side.release(Infinity);
    expect(side.size).toBe(0);
    expect(side.byKey.size).toBe(0);
  });

  it('keeps memory bounded by the interval when the frontier follows the data', () => {
    const side = new IntervalSide<number, number>();
    for (let t = 0; t < 10_000; t++) {
      side.add(t % 7, { time: t, value: t, alive: true }, t + 20);
      side.release(t);
    }
    expect(side.size).toBeLessThanOrEqual(21);
    let listed = 0;
    for (const list of side.byKey.values()) listed += list.length;
    expect(listed).toBeLessThanOrEqual(2 * 21 + 7);
  });
});
