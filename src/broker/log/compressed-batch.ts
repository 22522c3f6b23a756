/**
 * Inflating the records of a compressed batch on the broker, always within a limit and off the event loop
 * (see decompressAsync). The broker inflates only to check a produced batch's record count and to find a
 * record by timestamp (ListOffsets); reads and writes never inflate.
 */
import { ATTRIBUTE, BATCH_HEADER_SIZE, BATCH_OFFSET } from '../../protocol/batch-header.js';
import { CompressionError, decompressAsync } from '../../protocol/compression/index.js';
import { StorageError } from './errors.js';

/**
 * The most bytes a batch's records may inflate to: the topic's max.message.bytes plus a batch header, i.e.
 * what the same records could occupy uncompressed (where max.message.bytes limits them directly), and at
 * most `cap` (the broker's max.inflated.batch.bytes, where the caller has it). A bound from configuration,
 * never from what the batch claims.
 */
export function inflateLimit(maxMessageBytes: number, cap = Infinity): number {
  return Math.min(maxMessageBytes + BATCH_HEADER_SIZE, cap);
}

/** The compression codec of the batch at `pos` (0 = none). */
export function batchCodec(buf: Buffer, pos = 0): number {
  return buf.readInt16BE(pos + BATCH_OFFSET.attributes) & ATTRIBUTE.compressionMask;
}

/**
 * The records of the compressed batch at buf[pos, pos + size), inflated. Throws StorageError: INVALID_RECORD
 * when they would inflate past `limit` (inflating stops there), CORRUPT_MESSAGE when they cannot be inflated.
 */
export async function inflateRecords(buf: Buffer, pos: number, size: number, limit: number): Promise<Buffer> {
  const codec = batchCodec(buf, pos);
  try {
    return await decompressAsync(codec, buf.subarray(pos + BATCH_HEADER_SIZE, pos + size), { maxDecompressedBytes: limit });
  } catch (e) {
    if (!(e instanceof CompressionError)) throw e;
    if (e.tooLarge) {
      throw new StorageError(
        'INVALID_RECORD',
        `a ${size}-byte compressed batch inflates past ${limit} bytes (the topic's max.message.bytes, capped by the broker's --max-inflated-batch-bytes, bounds the uncompressed records too); send smaller batches or raise those limits`,
        { cause: e },
      );
    }
    throw new StorageError('CORRUPT_MESSAGE', `a compressed batch cannot be inflated: ${e.message}`, { cause: e });
  }
}

/**
 * How many records `records` holds, walking only each record's length prefix (a zig-zag varint); -1 when
 * the lengths do not tile the bytes exactly.
 */
export function countRecords(records: Buffer): number {
  let pos = 0;
  let count = 0;
  while (pos < records.length) {
    let raw = 0;
    let shift = 0;
    for (;;) {
      const b = records[pos++];
      if (b === undefined || shift > 28) return -1;
      raw |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
    }
    const length = (raw >>> 1) ^ -(raw & 1);
    if (length <= 0 || length > records.length - pos) return -1;
    pos += length;
    count++;
  }
  return count;
}

/**
 * Checks every compressed batch of a produce payload (positions and sizes from the header walk): it must
 * inflate within `limit` and hold exactly the records its header declares. One batch is inflated at a
 * time, so the memory held is at most one batch's records.
 */
export async function checkCompressedBatches(buf: Buffer, batches: readonly { position: number; size: number }[], limit: number): Promise<void> {
  for (const [i, b] of batches.entries()) {
    if (batchCodec(buf, b.position) === 0) continue;
    const records = await inflateRecords(buf, b.position, b.size, limit);
    const declared = buf.readInt32BE(b.position + BATCH_OFFSET.recordCount);
    const found = countRecords(records);
    if (found !== declared) {
      throw new StorageError(
        'INVALID_RECORD',
        found < 0
          ? `compressed record batch ${i} declares ${declared} records but its inflated records are malformed`
          : `compressed record batch ${i} declares ${declared} records but holds ${found}`,
      );
    }
  }
}
