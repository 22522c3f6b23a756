import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeEvent, encodeEventParts, decodeEvent, EventDecoder } from '../../src/transport/event-codec.js';
import { EventBatchBuilder, forEachRecord, nextFetchOffset, CorruptBatchError } from '../../src/transport/event-batch.js';
import { messages, progress, type Event } from '../../src/dataflow/event.js';
import { decodeRecordBatch, encodeRecordBatch } from '../../src/protocol/records.js';

describe('event record batches', () => {
  const events = [messages(0, new Float64Array([1, 2, 3])), messages(0, ['a']), progress([[0, -1]])];

  it('builds RecordBatch v2 that the protocol decoder accepts (CRC, offsets, null keys)', () => {
    const builder = new EventBatchBuilder(1 << 16);
    for (const e of events) expect(builder.add(encodeEventParts(e as never))).toBe(true);
    const batch = builder.finish(1_700_000_000_000);
    const decoded = decodeRecordBatch(batch);
    expect(decoded.header.recordCount).toBe(3);
    expect(decoded.records.map((r) => r.offsetDelta)).toEqual([0, 1, 2]);
    expect(decoded.records.every((r) => r.key === null && r.headers.length === 0)).toBe(true);
    expect(decoded.records.map((r) => decodeEvent(r.value, { topic: 't' }))).toEqual([
      { kind: 'messages', time: 0, data: new Float64Array([1, 2, 3]) }, events[1], events[2],
    ]);
  });

  it('reads values of whole batches from an offset, skips a trailing partial batch, checks CRCs on request', () => {
    const builder = new EventBatchBuilder(1 << 16);
    events.forEach((e) => builder.add(encodeEventParts(e as never)));
    const first = Buffer.from(builder.finish());
    builder.add(encodeEventParts(messages(1, [7])));
    const second = Buffer.from(builder.finish());
    second.writeBigInt64BE(3n, 0); // as the broker assigns
    const fetched = Buffer.concat([first, second, second.subarray(0, 30)]);
    const seen: bigint[] = [];
    expect(forEachRecord(fetched, 1n, (offset) => seen.push(offset), true)).toBe(4n);
    expect(seen).toEqual([1n, 2n, 3n]);
    expect(nextFetchOffset(fetched, 1n)).toBe(4n);
    const corrupt = Buffer.from(first);
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 2) ^ 0xff, corrupt.length - 2);
    expect(() => forEachRecord(corrupt, 0n, () => {}, true)).toThrowError(CorruptBatchError);
  });

  it('reads compressed batches written by other producers', () => {
    const value = Buffer.from([0x93, 1, 2, 3]);
    const batch = encodeRecordBatch({ compression: 'gzip', records: [{ key: Buffer.from('k'), value }, { key: null, value: null }] });
    const values: (Buffer | null)[] = [];
    forEachRecord(batch, 0n, (_, v) => values.push(v));
    expect(values).toEqual([value, null]);
  });

  it('starts a new buffer when an event does not fit, and takes an oversized event alone', () => {
    const builder = new EventBatchBuilder(256);
    expect(builder.add(encodeEventParts(messages(0, new Float64Array(10))))).toBe(true);
    expect(builder.add(encodeEventParts(messages(0, new Float64Array(100))))).toBe(false);
    builder.finish();
    expect(builder.add(encodeEventParts(messages(0, new Float64Array(100))))).toBe(true);
    expect(decodeRecordBatch(builder.finish()).records.length).toBe(1);
  });
});

describe('event record batches: alignment by construction', () => {
  const typedArrays = [Float64Array, Float32Array, Int32Array, Uint16Array, Uint8Array, BigInt64Array] as const;
  const arbEvent = fc.oneof(
    fc.record({ ctor: fc.integer({ min: 0, max: typedArrays.length - 1 }), length: fc.integer({ min: 0, max: 300 }), time: fc.oneof(fc.nat(300), fc.nat(2 ** 32 - 1)) }).map(({ ctor, length, time }) => {
      const Ctor = typedArrays[ctor] as (typeof typedArrays)[number];
      const data = new Ctor(length);
      for (let i = 0; i < length; i++) (data as unknown as number[])[i] = (Ctor === BigInt64Array ? BigInt(i * 7 + time) : (i * 7 + time) % 100) as never;
      return messages(time, data as ArrayLike<unknown>);
    }),
    fc.array(fc.string(), { maxLength: 5 }).map((words) => messages(1, words)),
    fc.nat(1000).map((t) => progress([[t, -1]])),
  );

  /** Where the value of each record lies in `batch` (offsets from the batch start). */
  function valueStarts(batch: Buffer): number[] {
    const starts: number[] = [];
    forEachRecord(batch, 0n, (_, value) => starts.push((value as Buffer).byteOffset - batch.byteOffset));
    return starts;
  }

  it('every batch is a multiple of 8 bytes, every typed array starts 8-aligned in it, values and keys are unchanged, only a padding header is added', () => {
    fc.assert(
      fc.property(fc.array(arbEvent, { minLength: 1, maxLength: 40 }), fc.integer({ min: 256, max: 8192 }), (events, capacity) => {
        const builder = new EventBatchBuilder(capacity);
        const batches: { batch: Buffer; events: typeof events }[] = [];
        let current: typeof events = [];
        for (const e of events) {
          if (!builder.add(encodeEventParts(e as never))) {
            batches.push({ batch: Buffer.from(builder.finish()), events: current });
            current = [];
            expect(builder.add(encodeEventParts(e as never))).toBe(true);
          }
          current.push(e);
        }
        batches.push({ batch: Buffer.from(builder.finish()), events: current });
        for (const { batch, events: inBatch } of batches) {
          expect(batch.length % 8).toBe(0);
          const decoded = decodeRecordBatch(batch);
          expect(decoded.records.map((r) => r.value)).toEqual(inBatch.map((e) => encodeEvent(e as never)));
          expect(decoded.records.every((r) => r.key === null && r.timestampDelta === 0)).toBe(true);
          for (const r of decoded.records) {
            for (const h of r.headers) expect([h.key, h.value?.length]).toEqual(['kafkaesque.pad', 0]);
          }
          const starts = valueStarts(batch);
          inBatch.forEach((e, i) => {
            const parts = encodeEventParts(e as never);
            if (parts.body !== undefined) expect(((starts[i] as number) + parts.head.length) % 8).toBe(0);
          });
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a reader viewing batches at an 8-aligned position gets views; at any other position copies with the same contents', () => {
    const builder = new EventBatchBuilder(4096);
    const sent = [messages(3, new Float64Array([1, 2, 3])), messages(70_000, new Int32Array([5, 6, 7])), messages(4, new Float32Array([0.5])), progress([[3, -1]])];
    for (const e of sent.slice(0, 2)) builder.add(encodeEventParts(e as never));
    const first = Buffer.from(builder.finish());
    for (const e of sent.slice(2)) builder.add(encodeEventParts(e as never));
    const second = Buffer.from(builder.finish());
    second.writeBigInt64BE(2n, 0);
    for (const shift of [0, 1, 2, 3, 4, 5, 6, 7, 8]) {
      const memory = new ArrayBuffer(first.length + second.length + 16);
      const records = Buffer.from(memory, shift, first.length + second.length);
      first.copy(records, 0);
      second.copy(records, first.length);
      const decoder = new EventDecoder(1024);
      const out: Event<unknown, unknown>[] = [];
      forEachRecord(records, 0n, (offset, value) => out.push(decoder.decode(value, { topic: 't', offset }, true)));
      expect(out).toEqual(sent);
      // A view wherever the elements lie aligned for their type (Float64Array: 8; Int32Array, Float32Array: 4).
      const typed = out.filter((e) => e.kind === 'messages' && ArrayBuffer.isView(e.data)) as unknown as { data: Float64Array }[];
      expect(typed.map((e) => e.data.buffer === memory)).toEqual(typed.map((e) => shift % e.data.BYTES_PER_ELEMENT === 0));
      // Without views mode nothing is a view.
      forEachRecord(records, 0n, (offset, value) => {
        const e = decoder.decode(value, { topic: 't', offset });
        if (e.kind === 'messages' && ArrayBuffer.isView(e.data)) expect(e.data.buffer).not.toBe(memory);
      });
    }
  });
});
