import { describe, expect, it } from 'vitest';
import { Packr, unpack } from 'msgpackr';
import { messages, progress } from '../../src/dataflow/event.js';
import {
  EventDecodeError,
  EventDecoder,
  decodeEvent,
  encodeEvent,
  encodeEventParts,
} from '../../src/transport/event-codec.js';

const where = { topic: 'numbat-0', partition: 0, offset: 42n };

describe('event codec', () => {
  const arrays = [
    new Float64Array([1.5, -2, Number.MAX_VALUE, NaN]),
    new BigUint64Array([0n, 1n, 2n ** 64n - 1n]),
    new BigInt64Array([-1n, 2n ** 63n - 1n]),
    new Uint32Array([0, 1, 0xffffffff]),
    new Int16Array([-3, 4]),
    new Uint8Array([9, 8, 7]),
    new Float32Array([0.5]),
    new Float64Array(0),
  ];

  it.each(arrays.map((a) => [a.constructor.name, a] as const))('round-trips %s as the same typed array', (_, array) => {
    for (const time of [0, 5, 200, 70_000, 2 ** 32 - 1, 2 ** 40]) {
      const bytes = encodeEvent(messages(time, array as ArrayLike<unknown>));
      const back = decodeEvent(bytes, where);
      expect(back.kind).toBe('messages');
      if (back.kind !== 'messages') return;
      expect(back.time).toBe(time);
      expect(back.data.constructor).toBe(array.constructor);
      expect(Array.from(back.data as ArrayLike<unknown>)).toEqual(Array.from(array as ArrayLike<unknown>));
      // Also standard msgpack: msgpackr alone reads it back.
      const generic = new Packr({ useRecords: false, moreTypes: true }).unpack(bytes);
      expect(Array.from(generic.data)).toEqual(Array.from(array as ArrayLike<unknown>));
    }
  });

  it('does not encode typed arrays per number: 1,024 float64 cost 8 KiB plus a small header', () => {
    const data = new Float64Array(1024).map((_, i) => i * 1.25);
    const parts = encodeEventParts(messages(3, data));
    expect(parts.size).toBeLessThan(8192 + 32);
    expect(parts.body?.buffer).toBe(data.buffer); // the batch is referenced, not copied
    const big = new BigUint64Array(1024).map((_, i) => BigInt(i));
    expect(encodeEvent(messages(3, big)).length).toBeLessThan(8192 + 32);
  });

  it('decodes typed arrays from unaligned record positions into aligned arrays', () => {
    const data = new Float64Array([1, 2, 3]);
    const bytes = encodeEvent(messages(1, data));
    const holder = Buffer.alloc(bytes.length + 3);
    bytes.copy(holder, 3);
    const back = decodeEvent(holder.subarray(3), where);
    expect(back.kind === 'messages' && Array.from(back.data as Float64Array)).toEqual([1, 2, 3]);
    holder.fill(0); // the decoded array does not alias the record buffer
    expect(back.kind === 'messages' && Array.from(back.data as Float64Array)).toEqual([1, 2, 3]);
  });

  it('round-trips plain arrays, objects, pair times and progress', () => {
    const events = [
      messages(0, ['a', 'b']),
      messages([1, 2] as const, [{ word: 'x', n: 2 }]),
      progress([[0, -1], [1, 1]] as const),
      progress([[[0, 0], -1], [[0, 1], 1], [[1, 0], 1]] as const),
      progress([]),
    ];
    for (const event of events) expect(decodeEvent(encodeEvent(event as never), where)).toEqual(event);
  });

  it('decodes events encoded by msgpackr directly (other writers)', () => {
    const packr = new Packr({ useRecords: false, moreTypes: true });
    const bytes = packr.pack({ kind: 'messages', time: 7, data: new Uint32Array([1, 2]) });
    const back = decodeEvent(bytes, where);
    expect(back.kind === 'messages' && back.time).toBe(7);
    expect(back.kind === 'messages' && Array.from(back.data as Uint32Array)).toEqual([1, 2]);
    expect(unpack(encodeEvent(progress([[0, -1]])))).toEqual({ kind: 'progress', updates: [[0, -1]] });
  });

  it('names topic, partition and offset for null, garbage and wrongly shaped values', () => {
    const decoder = new EventDecoder();
    const cases: (Uint8Array | null)[] = [
      null,
      Buffer.alloc(0),
      Buffer.from([0xc1]),
      new Packr({ useRecords: false }).pack({ kind: 'other' }),
      new Packr({ useRecords: false }).pack({ kind: 'progress', updates: [[0, 0.5]] }),
      new Packr({ useRecords: false }).pack('hello'),
    ];
    for (const value of cases) {
      expect(() => decoder.decode(value, where)).toThrowError(EventDecodeError);
      try {
        decoder.decode(value, where);
      } catch (error) {
        expect((error as Error).message).toContain('topic "numbat-0" partition 0 offset 42');
        expect((error as EventDecodeError).offset).toBe(42n);
      }
    }
  });
});
