import { describe, expect, it } from 'vitest';
import { encodeEventParts, decodeEvent } from '../../src/transport/event-codec.js';
import { EventBatchBuilder, forEachRecord, nextFetchOffset, CorruptBatchError } from '../../src/transport/event-batch.js';
import { messages, progress } from '../../src/dataflow/event.js';
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
