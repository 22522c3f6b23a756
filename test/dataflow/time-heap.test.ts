import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimeHeap } from '../../src/dataflow/time-heap.js';

describe('TimeHeap', () => {
  it('pops times in ascending order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), (xs) => {
        const heap = new TimeHeap<number>((a, b) => a - b);
        for (const x of xs) heap.push(x);
        const out: number[] = [];
        while (heap.size > 0) out.push(heap.pop() as number);
        expect(out).toEqual([...xs].sort((a, b) => a - b));
      }),
    );
  });
});
