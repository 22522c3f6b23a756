import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lastAtOrBefore } from '../../../src/broker/log/last-at-or-before.js';

/** The answer by a linear scan, to hold the binary search to. */
function byScan(keys: readonly number[], target: number, strict: boolean): number {
  let found = -1;
  keys.forEach((k, i) => {
    if (strict ? k < target : k <= target) found = i;
  });
  return found;
}

describe('lastAtOrBefore', () => {
  it('finds the last key at or before (or strictly before) the target, as a scan does', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -50, max: 50 })), fc.integer({ min: -60, max: 60 }), fc.boolean(), (raw, target, strict) => {
        const keys = [...raw].sort((a, b) => a - b);
        expect(lastAtOrBefore(keys.length, (i) => keys[i]!, target, strict)).toBe(byScan(keys, target, strict));
      }),
    );
  });

  it('answers -1 for no keys and for a target before the first, and works on bigint keys', () => {
    expect(lastAtOrBefore(0, () => 0, 5)).toBe(-1);
    const keys = [10n, 20n, 20n, 30n];
    expect(lastAtOrBefore(keys.length, (i) => keys[i]!, 5n)).toBe(-1);
    expect(lastAtOrBefore(keys.length, (i) => keys[i]!, 20n)).toBe(2);
    expect(lastAtOrBefore(keys.length, (i) => keys[i]!, 20n, true)).toBe(0);
    expect(lastAtOrBefore(keys.length, (i) => keys[i]!, 99n)).toBe(3);
  });
});
