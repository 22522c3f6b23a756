/**
 * alignRecords: records moved to an 8-aligned position inside their own frame keep every byte, start aligned,
 * and nothing at or after their old end is touched; records already aligned, or too close to the frame's
 * start to move, are returned as they were.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alignRecords } from '../../src/transport/aligned-records.js';

describe('alignRecords', () => {
  it('moves misaligned records down to an aligned offset of the same frame, bytes intact', () => {
    fc.assert(
      fc.property(fc.nat(64), fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(16), (offset, bytes, tail) => {
        const frame = Buffer.alloc(offset + bytes.length + tail, 0xee);
        frame.set(bytes, offset);
        const records = frame.subarray(offset, offset + bytes.length);
        const aligned = alignRecords(records);
        expect(Buffer.compare(aligned, Buffer.from(bytes))).toBe(0);
        expect(aligned.buffer).toBe(frame.buffer);
        const start = aligned.byteOffset - frame.byteOffset;
        if (records.byteOffset >= 8 || records.byteOffset % 8 === 0) {
          expect(aligned.byteOffset % 8).toBe(0);
          expect(start).toBeGreaterThan(offset - 8);
        }
        expect(start).toBeLessThanOrEqual(offset);
        // What follows the records in the frame is untouched.
        expect([...frame.subarray(offset + bytes.length)].every((b) => b === 0xee)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('returns aligned records as they are', () => {
    const frame = Buffer.alloc(64);
    const records = Buffer.from(frame.buffer, frame.byteOffset + (8 - (frame.byteOffset % 8)), 16);
    expect(alignRecords(records)).toBe(records);
  });
});
