/**
 * Finds the first record of a batch at or after a timestamp, for ListOffsets by time. The header answers
 * most lookups: under LogAppendTime every record carries the batch's time; a one-record batch's record has
 * its max timestamp; and a target at or before the base timestamp (the first record's, as clients write it)
 * is met by the first record. Otherwise only the varint prefix of each record (length, attributes,
 * timestampDelta, offsetDelta) is read; see "Record" in https://kafka.apache.org/documentation/#record.
 * A compressed batch is inflated first, within the topic's limit and off the event loop
 * (compressed-batch.ts); one that will not inflate within it fails this lookup only (INVALID_RECORD or
 * CORRUPT_MESSAGE), never the broker.
 */
import { ATTRIBUTE, BATCH_HEADER_SIZE, BATCH_OFFSET } from '../../protocol/batch-header.js';
import { batchCodec, inflateLimit, inflateRecords } from './compressed-batch.js';

export async function firstRecordAtOrAfter(batch: Buffer, timestamp: bigint, maxMessageBytes: number): Promise<{ offset: bigint; timestamp: bigint }> {
  const baseOffset = batch.readBigInt64BE(BATCH_OFFSET.baseOffset);
  const baseTimestamp = batch.readBigInt64BE(BATCH_OFFSET.baseTimestamp);
  const maxTimestamp = batch.readBigInt64BE(BATCH_OFFSET.maxTimestamp);
  const lastOffsetDelta = batch.readInt32BE(BATCH_OFFSET.lastOffsetDelta);
  const attributes = batch.readInt16BE(BATCH_OFFSET.attributes);
  if ((attributes & ATTRIBUTE.timestampTypeLogAppend) !== 0) return { offset: baseOffset, timestamp: maxTimestamp };
  if (lastOffsetDelta === 0) return { offset: baseOffset, timestamp: maxTimestamp };
  // A batch the log cleaner stamped with a delete horizon (KIP-534) holds the horizon as its base timestamp,
  // not its first record's: the records are walked instead.
  const horizon = (attributes & ATTRIBUTE.deleteHorizon) !== 0;
  if (!horizon && timestamp <= baseTimestamp) return { offset: baseOffset, timestamp: baseTimestamp };
  const count = batch.readInt32BE(BATCH_OFFSET.recordCount);
  const records = batchCodec(batch) === 0 ? batch.subarray(BATCH_HEADER_SIZE) : await inflateRecords(batch, 0, batch.length, inflateLimit(maxMessageBytes));
  const cursor = { pos: 0 };
  for (let i = 0; i < count && cursor.pos < records.length; i++) {
    const length = readVarint(records, cursor);
    const recordStart = cursor.pos;
    cursor.pos += 1; // attributes
    const tsDelta = readVarlong(records, cursor);
    const offsetDelta = readVarint(records, cursor);
    const ts = baseTimestamp + tsDelta;
    if (ts >= timestamp) return { offset: baseOffset + BigInt(offsetDelta), timestamp: ts };
    cursor.pos = recordStart + length;
  }
  // The header said some record reaches the timestamp; fall back to the batch's last offset.
  return { offset: baseOffset + BigInt(lastOffsetDelta), timestamp: maxTimestamp };
}

/** Zig-zag varint (int32), as records use. */
function readVarint(buf: Buffer, cursor: { pos: number }): number {
  let raw = 0;
  let shift = 0;
  for (;;) {
    const b = buf[cursor.pos++];
    if (b === undefined || shift > 28) throw new RangeError('malformed varint in stored record');
    raw |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  return (raw >>> 1) ^ -(raw & 1);
}

function readVarlong(buf: Buffer, cursor: { pos: number }): bigint {
  let raw = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[cursor.pos++];
    if (b === undefined || shift > 63n) throw new RangeError('malformed varlong in stored record');
    raw |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7n;
  }
  return (raw >> 1n) ^ -(raw & 1n);
}
