import { describe, expect, it } from 'vitest';
import { numberTimestamp, ProgressTracker } from '../../src/dataflow/index.js';

describe('ProgressTracker', () => {
  it('holds the output frontier at a capability until it is released, atomically with the input change', () => {
    const tracker = new ProgressTracker(numberTimestamp, { capabilities: true });
    tracker.hold(5);
    expect(tracker.takeOutputChanges()).toEqual([]);
    tracker.applyInput([[0, -1], [7, 1]]);
    expect(tracker.takeOutputChanges()).toEqual([[0, -1], [5, 1]]); // held at 5, not 7
    tracker.release(5);
    expect(tracker.takeOutputChanges()).toEqual([[5, -1], [7, 1]]);
    tracker.closeInputs();
    expect(tracker.takeOutputChanges()).toEqual([[7, -1]]);
    expect(tracker.outputFrontier).toEqual([]);
  });

  it('maps the input frontier through a monotone time map', () => {
    const tracker = new ProgressTracker(numberTimestamp, { mapTime: (t) => Math.floor(t / 10) * 10 });
    tracker.applyInput([[0, -1], [4, 1]]);
    expect(tracker.takeOutputChanges()).toEqual([]);
    tracker.applyInput([[4, -1], [13, 1]]);
    expect(tracker.takeOutputChanges()).toEqual([[0, -1], [10, 1]]);
    expect(tracker.outputAllows(10)).toBe(true);
    expect(tracker.outputAllows(9)).toBe(false);
  });

  it('sums several inputs and compacts the changes of several steps', () => {
    const tracker = new ProgressTracker(numberTimestamp, { inputs: 2 });
    expect(tracker.applyInput([[0, -1], [1, 1]])).toEqual([]);
    expect(tracker.applyInput([[0, -1], [1, 1]])).toEqual([[0, -1], [1, 1]]);
    tracker.applyInput([[1, -1], [2, 1]]);
    tracker.applyInput([[1, -1], [2, 1]]);
    expect(tracker.takeOutputChanges()).toEqual([[0, -1], [2, 1]]);
  });
});
