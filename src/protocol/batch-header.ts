/**
 * The fixed 61-byte header of a Kafka RecordBatch (magic 2), read and patched in place.
 *
 * This is all the broker ever parses of a batch: it validates length, magic and CRC32C, rewrites the base
 * offset (and the max timestamp under LogAppendTime), and stores the bytes as they came. Records after the
 * header are never decoded on the broker's hot path. Layout per the Kafka protocol documentation
 * ("Record Batch" in https://kafka.apache.org/documentation/#recordbatch).
 */
import { crc32c } from '@node-rs/crc32';

export const BATCH_OFFSET = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
} as const;

/** Bytes in the header, i.e. the position of the first record. */
export const BATCH_HEADER_SIZE = 61;
/** The baseOffset and batchLength fields precede what batchLength counts. */
export const BATCH_LENGTH_PREFIX = 12;
/** The CRC covers from the attributes field to the end of the batch. */
export const CRC_START = BATCH_OFFSET.attributes;

export const ATTRIBUTE = {
  compressionMask: 0x07,
  timestampTypeLogAppend: 0x08,
  transactional: 0x10,
  control: 0x20,
  deleteHorizon: 0x40,
} as const;

export interface BatchHeader {
  baseOffset: bigint;
  /** Whole batch size in bytes, including the 12 leading bytes. */
  sizeInBytes: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** Reads the header of the batch starting at `pos`. The caller ensures 61 bytes are available. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  return {
    baseOffset: buf.readBigInt64BE(pos + BATCH_OFFSET.baseOffset),
    sizeInBytes: buf.readInt32BE(pos + BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX,
    partitionLeaderEpoch: buf.readInt32BE(pos + BATCH_OFFSET.partitionLeaderEpoch),
    magic: buf.readInt8(pos + BATCH_OFFSET.magic),
    crc: buf.readUInt32BE(pos + BATCH_OFFSET.crc),
    attributes: buf.readInt16BE(pos + BATCH_OFFSET.attributes),
    lastOffsetDelta: buf.readInt32BE(pos + BATCH_OFFSET.lastOffsetDelta),
    baseTimestamp: buf.readBigInt64BE(pos + BATCH_OFFSET.baseTimestamp),
    maxTimestamp: buf.readBigInt64BE(pos + BATCH_OFFSET.maxTimestamp),
    producerId: buf.readBigInt64BE(pos + BATCH_OFFSET.producerId),
    producerEpoch: buf.readInt16BE(pos + BATCH_OFFSET.producerEpoch),
    baseSequence: buf.readInt32BE(pos + BATCH_OFFSET.baseSequence),
    recordCount: buf.readInt32BE(pos + BATCH_OFFSET.recordCount),
  };
}

/** CRC32C (Castagnoli, native) over attributes..end of the batch at `pos` with total size `size`. */
export function computeBatchCrc(buf: Buffer, pos: number, size: number): number {
  return crc32c(buf.subarray(pos + CRC_START, pos + size)) >>> 0;
}

/** Writes the CRC field of the batch at `pos` after its contents changed. */
export function writeBatchCrc(buf: Buffer, pos: number, size: number): void {
  buf.writeUInt32BE(computeBatchCrc(buf, pos, size), pos + BATCH_OFFSET.crc);
}

export type BatchProblem =
  | { kind: 'truncated'; need: number; have: number }
  | { kind: 'bad-length'; batchLength: number }
  | { kind: 'bad-magic'; magic: number }
  | { kind: 'bad-crc'; expected: number; actual: number }
  | { kind: 'bad-count'; recordCount: number; lastOffsetDelta: number };

/**
 * Checks the batch at `pos` against the bytes that are really there: length within bounds, magic 2,
 * record count consistent with the offset delta, CRC32C (unless `checkCrc` is false: the embedded broker's
 * in-process appends of batches its own builder just sealed). Returns the batch size, or the first problem.
 * Never reads past `end`.
 */
export function validateBatch(
  buf: Buffer,
  pos: number,
  end: number = buf.length,
  checkCrc = true,
): { ok: true; size: number } | { ok: false; problem: BatchProblem } {
  const have = end - pos;
  if (have < BATCH_LENGTH_PREFIX) return { ok: false, problem: { kind: 'truncated', need: BATCH_LENGTH_PREFIX, have } };
  const batchLength = buf.readInt32BE(pos + BATCH_OFFSET.batchLength);
  const size = batchLength + BATCH_LENGTH_PREFIX;
  if (batchLength < BATCH_HEADER_SIZE - BATCH_LENGTH_PREFIX) {
    // Too short to hold a header: also catches magic 0/1 message sets, whose length counts differently.
    if (have > BATCH_OFFSET.magic && buf.readInt8(pos + BATCH_OFFSET.magic) !== 2) {
      return { ok: false, problem: { kind: 'bad-magic', magic: buf.readInt8(pos + BATCH_OFFSET.magic) } };
    }
    return { ok: false, problem: { kind: 'bad-length', batchLength } };
  }
  if (have > BATCH_OFFSET.magic) {
    const magic = buf.readInt8(pos + BATCH_OFFSET.magic);
    if (magic !== 2) return { ok: false, problem: { kind: 'bad-magic', magic } };
  }
  if (size > have) return { ok: false, problem: { kind: 'truncated', need: size, have } };
  const recordCount = buf.readInt32BE(pos + BATCH_OFFSET.recordCount);
  const lastOffsetDelta = buf.readInt32BE(pos + BATCH_OFFSET.lastOffsetDelta);
  // Compaction may leave fewer records than the offset span, never more, and never a negative count.
  if (recordCount < 0 || lastOffsetDelta < 0 || recordCount > lastOffsetDelta + 1) {
    return { ok: false, problem: { kind: 'bad-count', recordCount, lastOffsetDelta } };
  }
  if (!checkCrc) return { ok: true, size };
  const expected = buf.readUInt32BE(pos + BATCH_OFFSET.crc);
  const actual = computeBatchCrc(buf, pos, size);
  if (expected !== actual) return { ok: false, problem: { kind: 'bad-crc', expected, actual } };
  return { ok: true, size };
}
