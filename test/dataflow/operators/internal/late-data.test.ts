import { describe, expect, it } from 'vitest';
import { LateDataError, lateOutput, type LateArrival } from '../../../../src/dataflow/index.js';
import { handleLate } from '../../../../src/dataflow/operators/internal/late-data.js';

describe('handleLate (the shared late path of windowed, per-time and keyed operators)', () => {
  it('publishes each record of the selected range with a snapshot of the frontier, and counts it', () => {
    const late = lateOutput<number, string>();
    const seen: LateArrival<number, string>[] = [];
    late.late$.subscribe((l) => seen.push(l));
    const frontier = [7];
    handleLate(late, 'op', 3, ['a', 'b', 'c', 'd'], frontier, 1, 3);
    frontier[0] = 9; // the operator's frontier moves on; the report keeps what it was
    expect(seen).toEqual([
      { value: 'b', time: 3, frontier: [7], operator: 'op' },
      { value: 'c', time: 3, frontier: [7], operator: 'op' },
    ]);
    expect(late.count).toBe(2);
  });

  it('throws a LateDataError without a side output, and does nothing for an empty range', () => {
    expect(() => handleLate(undefined, 'op', 3, ['a'], [7])).toThrow(LateDataError);
    expect(() => handleLate(undefined, 'op', 3, ['a'], [7], 1, 1)).not.toThrow();
  });
});
