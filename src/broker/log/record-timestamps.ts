/**
 * Finds the first record of a batch at or after a timestamp, for ListOffsets by time. For uncompressed
 * batches only the varint prefix of each record (length, attributes, timestampDelta, offsetDelta) is read;
 * see "Record" in https://kafka.apache.org/documentation/#record. Compressed batches are decompressed with
 * the protocol decoder (ListOffsets is rare; the hot paths never decompress).
 */
import { ATTRIBUTE, BATCH_HEADER_SIZE, BATCH_OFFSET } from '../../protocol/batch-header.js';
import { decodeRecordBatch, initCompression } from '../../protocol/records.js';

export async function firstRecordAtOrAfter(batch: Buffer, timestamp: bigint): Promise<{ offset: bigint; timestamp: bigint }> {
  const baseOffset = batch.readBigInt64BE(BATCH_OFFSET.baseOffset);
  const baseTimestamp = batch.readBigInt64BE(BATCH_OFFSET.baseTimestamp);
  const maxTimestamp = batch.readBigInt64BE(BATCH_OFFSET.maxTimestamp);
  const attributes = batch.readInt16BE(BATCH_OFFSET.attributes);
  if ((attributes & ATTRIBUTE.timestampTypeLogAppend) !== 0) return { offset: baseOffset, timestamp: maxTimestamp };
  if ((attributes & ATTRIBUTE.compressionMask) !== 0) {
    try {
      await initCompression();
      for (const r of decodeRecordBatch(batch).records) {
        const ts = baseTimestamp + BigInt(r.timestampDelta);
        if (ts >= timestamp) return { offset: baseOffset + BigInt(r.offsetDelta), timestamp: ts };
      }
    } catch {
      // Undecodable (e.g. an unknown codec): the batch start is a safe answer, never after the record.
    }
    return { offset: baseOffset, timestamp: maxTimestamp };
  }
  const count = batch.readInt32BE(BATCH_OFFSET.recordCount);
  const cursor = { pos: BATCH_HEADER_SIZE };
  for (let i = 0; i < count && cursor.pos < batch.length; i++) {
    const length = readVarint(batch, cursor);
    const recordStart = cursor.pos;
    cursor.pos += 1; // attributes
    const tsDelta = readVarlong(batch, cursor);
    const offsetDelta = readVarint(batch, cursor);
    const ts = baseTimestamp + tsDelta;
    if (ts >= timestamp) return { offset: baseOffset + BigInt(offsetDelta), timestamp: ts };
    cursor.pos = recordStart + length;
  }
  // The header said some record reaches the timestamp; fall back to the batch's last offset.
  return { offset: baseOffset + BigInt(batch.readInt32BE(BATCH_OFFSET.lastOffsetDelta)), timestamp: maxTimestamp };
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
