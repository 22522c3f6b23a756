import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VarintReader, varintSize, varlongSize, writeVarint, writeVarlong } from '../../src/protocol/varint.js';

class Failed extends Error {}
const fail = (problem: string, at: number): never => {
  throw new Failed(`${problem}@${at}`);
};

function roundTripVarint(v: number): { value: number; size: number } {
  const buf = Buffer.alloc(10);
  const end = writeVarint(buf, 0, v);
  const r = new VarintReader(buf, 0, end, fail);
  const value = r.varint();
  expect(r.pos).toBe(end);
  return { value, size: end };
}

function roundTripVarlong(v: number | bigint): { big: bigint; num: number; size: number } {
  const buf = Buffer.alloc(12);
  const end = writeVarlong(buf, 0, v);
  const big = new VarintReader(buf, 0, end, fail).varlongBig();
  const r = new VarintReader(buf, 0, end, fail);
  const num = r.varlong();
  expect(r.pos).toBe(end);
  return { big, num, size: end };
}

describe('zig-zag varints', () => {
  it('matches the protocol\'s byte examples', () => {
    // zig-zag: 0→0, -1→1, 1→2, -2→3; 64 → 128 → two bytes 0x80 0x01
    const cases: [number, number[]][] = [
      [0, [0x00]],
      [-1, [0x01]],
      [1, [0x02]],
      [-2, [0x03]],
      [63, [0x7e]],
      [-64, [0x7f]],
      [64, [0x80, 0x01]],
      [2147483647, [0xfe, 0xff, 0xff, 0xff, 0x0f]],
      [-2147483648, [0xff, 0xff, 0xff, 0xff, 0x0f]],
    ];
    for (const [v, bytes] of cases) {
      const buf = Buffer.alloc(10);
      const end = writeVarint(buf, 0, v);
      expect([...buf.subarray(0, end)], String(v)).toEqual(bytes);
      expect(varintSize(v)).toBe(bytes.length);
      expect(varlongSize(v)).toBe(bytes.length);
    }
  });

  it('int32 edge values round-trip with the predicted size', () => {
    for (const v of [0, 1, -1, 63, -64, 64, -65, 8191, 8192, -8193, 2 ** 20, 2 ** 27, 2147483647, -2147483648]) {
      const { value, size } = roundTripVarint(v);
      expect(value).toBe(v);
      expect(size).toBe(varintSize(v));
    }
  });

  it('int64 edge values round-trip through bigint and number paths', () => {
    const max = 2n ** 63n - 1n;
    const min = -(2n ** 63n);
    for (const v of [0n, 1n, -1n, max, min, 2n ** 52n, -(2n ** 52n), 2n ** 53n - 1n, -(2n ** 53n - 1n), 2n ** 31n, -(2n ** 31n) - 1n]) {
      const { big, size } = roundTripVarlong(v);
      expect(big).toBe(v);
      expect(size).toBe(varlongSize(v));
    }
    expect(varlongSize(max)).toBe(10);
    expect(varlongSize(min)).toBe(10);
    for (const v of [Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 52, -(2 ** 52), 2 ** 52 - 1, 123456789012]) {
      const { num, big } = roundTripVarlong(v);
      expect(num).toBe(v);
      expect(big).toBe(BigInt(v));
    }
  });

  it('property: every int32 and safe integer round-trips', () => {
    fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (v) => roundTripVarint(v).value === v));
    fc.assert(
      fc.property(fc.maxSafeInteger(), (v) => {
        const r = roundTripVarlong(v);
        return r.num === v && r.big === BigInt(v) && r.size === varlongSize(v);
      }),
    );
    fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => roundTripVarlong(v).big === v));
  });

  it('number and bigint encodings are identical', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (v) => {
        const a = Buffer.alloc(12);
        const b = Buffer.alloc(12);
        return writeVarlong(a, 0, v) === writeVarlong(b, 0, BigInt(v)) && a.equals(b);
      }),
    );
  });

  it('truncated and overlong input fails through the callback, never past the end', () => {
    const buf = Buffer.from([0x80, 0x80, 0x80]);
    expect(() => new VarintReader(buf, 0, 3, fail).varint()).toThrow(Failed);
    expect(() => new VarintReader(buf, 0, 3, fail).varlong()).toThrow(Failed);
    expect(() => new VarintReader(buf, 0, 3, fail).varlongBig()).toThrow(Failed);
    // The reader must respect `end` even when the buffer holds more bytes.
    expect(() => new VarintReader(Buffer.from([0x80, 0x01]), 0, 1, fail).varint()).toThrow(Failed);
    const overlong = Buffer.alloc(12, 0x80);
    expect(() => new VarintReader(overlong, 0, 12, fail).varint()).toThrow(/too-long/);
    expect(() => new VarintReader(overlong, 0, 12, fail).varlongBig()).toThrow(/too-long/);
    expect(() => new VarintReader(overlong, 0, 12, fail).varlong()).toThrow(/too-long/);
    expect(() => new VarintReader(Buffer.alloc(0), 0, 0, fail).varint()).toThrow(/truncated/);
  });
});
