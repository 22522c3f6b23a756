/**
 * What the log keeps of each batch: where it sits and the offsets and timestamp its header declares.
 * Read from the fixed 61-byte header only (see src/protocol/batch-header.ts for the layout).
 */
import { BATCH_HEADER_SIZE, BATCH_LENGTH_PREFIX, BATCH_OFFSET } from '../../protocol/batch-header.js';

export interface BatchSummary {
  /** Byte position of the batch (in its buffer or segment file). */
  position: number;
  size: number;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
}

/**
 * The header at `pos` if a whole header fits in `buf[.., end)` and its length is plausible, else undefined.
 * No CRC check: callers that need one use `validateBatch`.
 */
export function summarizeHeader(buf: Buffer, pos: number, end: number, filePosition = pos): BatchSummary | undefined {
  if (end - pos < BATCH_HEADER_SIZE) return undefined;
  const size = buf.readInt32BE(pos + BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
  if (size < BATCH_HEADER_SIZE) return undefined;
  const baseOffset = buf.readBigInt64BE(pos + BATCH_OFFSET.baseOffset);
  return {
    position: filePosition,
    size,
    baseOffset,
    lastOffset: baseOffset + BigInt(buf.readInt32BE(pos + BATCH_OFFSET.lastOffsetDelta)),
    maxTimestamp: buf.readBigInt64BE(pos + BATCH_OFFSET.maxTimestamp),
  };
}

/**
 * The whole batches at the start of `buf` (what a reader may return without a torn tail): their length,
 * and the offset after the last of them (-1 if there is none).
 */
export function wholeBatches(buf: Buffer): { length: number; nextOffset: bigint } {
  let pos = 0;
  let nextOffset = -1n;
  while (buf.length - pos >= BATCH_HEADER_SIZE) {
    const size = buf.readInt32BE(pos + BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
    if (size < BATCH_HEADER_SIZE || pos + size > buf.length) break;
    nextOffset = buf.readBigInt64BE(pos + BATCH_OFFSET.baseOffset) + BigInt(buf.readInt32BE(pos + BATCH_OFFSET.lastOffsetDelta)) + 1n;
    pos += size;
  }
  return { length: pos, nextOffset };
}
