/**
 * Checks a produce payload (one or more concatenated RecordBatch v2) before anything is written, and
 * stamps offsets into it. A bad batch rejects the whole append with the Kafka error a producer expects.
 */
import { ATTRIBUTE, BATCH_HEADER_SIZE, BATCH_OFFSET, type BatchProblem, validateBatch, writeBatchCrc } from '../../protocol/batch-header.js';
import { type BatchSummary, summarizeHeader } from './batch-summary.js';
import { StorageError } from './errors.js';

/**
 * The partition leader epoch this broker stamps on every appended batch: one broker, never a new leader, so
 * always 0, the epoch Metadata and ListOffsets report.
 */
export const BROKER_LEADER_EPOCH = 0;

/** length, attributes, timestampDelta, offsetDelta, key length, value length, header count: a varint each. */
const MIN_RECORD_SIZE = 7;

/**
 * Validates every batch in `buf`; returns their summaries (positions relative to `buf`). `checkCrc` false
 * skips only the CRC32C (batches EventBatchBuilder sealed in this process: see link/sealed-batches.ts).
 */
export function validateAppend(buf: Buffer, maxMessageBytes: number, checkCrc = true): BatchSummary[] {
  if (buf.length === 0) throw new StorageError('INVALID_RECORD', 'the produce request carried no record batches');
  const batches: BatchSummary[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const r = validateBatch(buf, pos, buf.length, checkCrc);
    if (!r.ok) throw problemError(r.problem, batches.length, pos);
    if (r.size > maxMessageBytes) {
      throw new StorageError(
        'MESSAGE_TOO_LARGE',
        `record batch ${batches.length} is ${r.size} bytes, above max.message.bytes=${maxMessageBytes}; send smaller batches or raise the topic's max.message.bytes`,
      );
    }
    const recordCount = buf.readInt32BE(pos + BATCH_OFFSET.recordCount);
    const lastOffsetDelta = buf.readInt32BE(pos + BATCH_OFFSET.lastOffsetDelta);
    // A producer's batch has exactly lastOffsetDelta + 1 records (gaps come only from compaction).
    if (recordCount === 0 || recordCount !== lastOffsetDelta + 1) {
      throw new StorageError(
        'INVALID_RECORD',
        `record batch ${batches.length} declares ${recordCount} records but an offset span of ${lastOffsetDelta + 1}`,
      );
    }
    // Records are never decoded here, so an uncompressed batch claiming more records than its bytes can
    // hold (7 bytes is the smallest record) would burn offsets for nothing: refuse it.
    const compressed = (buf.readInt16BE(pos + BATCH_OFFSET.attributes) & ATTRIBUTE.compressionMask) !== 0;
    if (!compressed && recordCount > (r.size - BATCH_HEADER_SIZE) / MIN_RECORD_SIZE) {
      throw new StorageError('INVALID_RECORD', `record batch ${batches.length} claims ${recordCount} records in ${r.size} bytes`);
    }
    batches.push(summarizeHeader(buf, pos, pos + r.size)!);
    pos += r.size;
  }
  return batches;
}

/**
 * Rewrites each batch's base offset, starting at `nextOffset`, and its partition leader epoch (as Kafka's
 * leader does; the CRC covers from the attributes on, so neither field needs a new CRC), and under
 * LogAppendTime its timestamp type and max timestamp, then its CRC. Updates the summaries to match.
 */
export function stampBatches(buf: Buffer, batches: BatchSummary[], nextOffset: bigint, logAppendTime: bigint | undefined): void {
  let offset = nextOffset;
  for (const b of batches) {
    const span = b.lastOffset - b.baseOffset;
    buf.writeBigInt64BE(offset, b.position + BATCH_OFFSET.baseOffset);
    buf.writeInt32BE(BROKER_LEADER_EPOCH, b.position + BATCH_OFFSET.partitionLeaderEpoch);
    b.baseOffset = offset;
    b.lastOffset = offset + span;
    if (logAppendTime !== undefined) {
      const attributes = buf.readInt16BE(b.position + BATCH_OFFSET.attributes);
      buf.writeInt16BE(attributes | ATTRIBUTE.timestampTypeLogAppend, b.position + BATCH_OFFSET.attributes);
      buf.writeBigInt64BE(logAppendTime, b.position + BATCH_OFFSET.maxTimestamp);
      writeBatchCrc(buf, b.position, b.size);
      b.maxTimestamp = logAppendTime;
    }
    offset = b.lastOffset + 1n;
  }
}

function problemError(p: BatchProblem, index: number, pos: number): StorageError {
  const where = `record batch ${index} (byte ${pos} of the request)`;
  switch (p.kind) {
    case 'bad-magic':
      return new StorageError(
        'UNSUPPORTED_FOR_MESSAGE_FORMAT',
        `${where} has magic ${p.magic}: legacy message sets (magic 0/1) are not supported; use a client that sends record batch v2 (Kafka 0.11+ format)`,
      );
    case 'bad-crc':
      return new StorageError('CORRUPT_MESSAGE', `${where} fails its CRC32C check (stored ${p.expected}, computed ${p.actual})`);
    case 'truncated':
      return new StorageError('CORRUPT_MESSAGE', `${where} is truncated: needs ${p.need} bytes, ${p.have} present`);
    case 'bad-length':
      return new StorageError('CORRUPT_MESSAGE', `${where} has an impossible length ${p.batchLength}`);
    case 'bad-count':
      return new StorageError('INVALID_RECORD', `${where} has ${p.recordCount} records for an offset delta of ${p.lastOffsetDelta}`);
  }
}
