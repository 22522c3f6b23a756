import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolDecodeError } from '../../src/protocol/decode-error.js';
import { Reader, Writer, ZERO_UUID } from '../../src/protocol/primitives.js';

const bytes = (...b: number[]): Buffer => Buffer.from(b);

function decodeError(fn: () => unknown): ProtocolDecodeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolDecodeError);
    return e as ProtocolDecodeError;
  }
  throw new Error('expected a ProtocolDecodeError');
}

describe('Reader', () => {
  it('reads fixed-width big-endian integers, signed and unsigned', () => {
    const r = new Reader(bytes(0xff, 0xff, 0xfe, 0x80, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff));
    expect(r.int8()).toBe(-1);
    expect(r.uint16()).toBe(0xfffe);
    expect(r.int32()).toBe(-(2 ** 31));
    expect(r.uint32()).toBe(0xffffffff);
    expect(r.remaining).toBe(0);
  });

  it('reads unsigned varints up to 2^32-1 and rejects longer or overflowing ones', () => {
    expect(new Reader(bytes(0xff, 0xff, 0xff, 0xff, 0x0f)).unsignedVarint()).toBe(2 ** 32 - 1);
    expect(new Reader(bytes(0x96, 0x01)).unsignedVarint()).toBe(150);
    expect(decodeError(() => new Reader(bytes(0xff, 0xff, 0xff, 0xff, 0x1f)).unsignedVarint('f')).field).toBe('f');
    decodeError(() => new Reader(bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x01)).unsignedVarint());
    decodeError(() => new Reader(bytes(0x80)).unsignedVarint());
    decodeError(() => new Reader(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)).varlong());
  });

  it('round-trips zig-zag varints and varlongs at the extremes', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (i, l) => {
        const buf = new Writer().varint(i).varlong(l).toBuffer();
        const r = new Reader(buf);
        expect(r.varint()).toBe(i);
        expect(r.varlong()).toBe(l);
        expect(r.remaining).toBe(0);
      }),
    );
  });

  it('rejects negative lengths other than -1 for nullable strings and bytes', () => {
    expect(new Reader(bytes(0xff, 0xff)).nullableString()).toBeNull();
    expect(new Reader(bytes(0xff, 0xff, 0xff, 0xff)).nullableBytes()).toBeNull();
    decodeError(() => new Reader(bytes(0xff, 0xfe)).nullableString());
    decodeError(() => new Reader(bytes(0xff, 0xff)).string());
    decodeError(() => new Reader(bytes(0xff, 0xff, 0xff, 0xfe)).nullableBytes());
    decodeError(() => new Reader(bytes(0x00)).compactString());
    expect(new Reader(bytes(0x00)).compactNullableString()).toBeNull();
  });

  it('rejects lengths and counts beyond the bytes left, before allocating', () => {
    decodeError(() => new Reader(bytes(0x00, 0x05, 0x61)).string());
    decodeError(() => new Reader(bytes(0x7f, 0xff, 0xff, 0xff)).bytes());
    decodeError(() => new Reader(bytes(0x00, 0x00, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 0)).arrayLength('a', 4, false));
    expect(new Reader(bytes(0x00, 0x00, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0)).arrayLength('a', 4, false)).toBe(2);
    decodeError(() => new Reader(bytes(0xff, 0xff, 0xff, 0xff)).arrayLength('a', 1, false));
    expect(new Reader(bytes(0xff, 0xff, 0xff, 0xff)).arrayLength('a', 1, true)).toBe(-1);
    decodeError(() => new Reader(bytes(0xff, 0xff, 0xff, 0xff, 0x0f)).compactArrayLength('a', 1, false));
    decodeError(() => new Reader(bytes(0x7f)).taggedFields());
  });

  it('returns byte fields as views of the input', () => {
    const input = bytes(0, 0, 0, 2, 7, 8);
    const b = new Reader(input).bytes();
    expect(b.buffer).toBe(input.buffer);
    expect([...b]).toEqual([7, 8]);
  });

  it('formats and parses UUIDs', () => {
    const id = '0123abcd-4567-89ef-0123-456789abcdef';
    const buf = new Writer().uuid(id).uuid(ZERO_UUID).toBuffer();
    expect(buf.length).toBe(32);
    const r = new Reader(buf);
    expect(r.uuid()).toBe(id);
    expect(r.uuid()).toBe(ZERO_UUID);
    expect(() => new Writer().uuid('not-a-uuid')).toThrow(/Invalid UUID/);
  });

  it('skips unknown tagged fields and rejects ones that overrun', () => {
    const r = new Reader(bytes(2, 5, 1, 0xaa, 9, 2, 0xbb, 0xcc, 0x42));
    r.taggedFields();
    expect(r.int8()).toBe(0x42);
    decodeError(() => new Reader(bytes(1, 0, 9, 1)).taggedFields());
  });
});

describe('Writer', () => {
  it('grows geometrically and encodes strings of any length and script', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 200 }), { maxLength: 30 }), (strings) => {
        const w = new Writer(16);
        for (const s of strings) w.string(s).compactString(s);
        const r = new Reader(w.toBuffer());
        for (const s of strings) {
          expect(r.string()).toBe(s);
          expect(r.compactString()).toBe(s);
        }
        expect(r.remaining).toBe(0);
      }),
    );
  });

  it('keeps big byte fields by reference and concatenates once', () => {
    const big = Buffer.alloc(64 * 1024, 7);
    const w = new Writer();
    w.int32(0).bytes(big).int16(5).compactBytes(big).int8(1);
    const chunks = w.toChunks();
    expect(chunks).toContain(big);
    expect(chunks.filter((c) => c === big)).toHaveLength(2);
    w.patchInt32(0, w.length - 4);
    const out = w.toBuffer();
    expect(out.length).toBe(w.length);
    expect(out.readInt32BE(0)).toBe(out.length - 4);
    const r = new Reader(out, 4);
    expect(r.bytes().equals(big)).toBe(true);
    expect(r.int16()).toBe(5);
    expect(r.compactBytes().equals(big)).toBe(true);
    expect(r.int8()).toBe(1);
  });

  it('refuses null in non-nullable fields and strings over 32767 bytes', () => {
    expect(() => new Writer().string(null as unknown as string)).toThrow(/non-nullable/);
    expect(() => new Writer().string('x'.repeat(40000))).toThrow(/32767/);
  });
});
