import { describe, expect, it } from 'vitest';
import { InputHandle, messages, pairTimestamp, probe } from '../../../src/dataflow/index.js';
import { adv, end, scheduler, type Ev } from './marble-helpers.js';

describe('probe', () => {
  it('answers lessThan / lessEqual / done as the stream advances', () => {
    const input = new InputHandle<readonly [number, number], string>({ timestamp: pairTimestamp });
    const p = probe<readonly [number, number], string>({ timestamp: pairTimestamp });
    input.stream.pipe(p).subscribe();
    expect(p.frontier).toEqual([[0, 0]]);
    expect(p.lessThan([0, 0])).toBe(false);
    expect(p.lessThan([0, 1])).toBe(true);
    input.advanceTo([1, 1]);
    expect(p.lessEqual([0, 5])).toBe(false);
    expect(p.lessEqual([1, 1])).toBe(true);
    expect(p.done).toBe(false);
    input.close();
    expect(p.done).toBe(true);
    expect(p.lessEqual([9, 9])).toBe(false);
  });

  it('frontier$ follows the frontier and completes with the stream (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const p = probe();
      const input = cold<Ev>('a-b-(c|)', { a: messages(0, [1]), b: adv(0, 3), c: end(3) });
      expectObservable(input.pipe(p)).toBe('a-b-(c|)', { a: messages(0, [1]), b: adv(0, 3), c: end(3) } as Record<string, Ev>);
      expectObservable(p.frontier$).toBe('f-g-(h|)', { f: [0], g: [3], h: [] });
    });
  });
});
