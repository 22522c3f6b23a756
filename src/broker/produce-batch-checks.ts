/**
 * What Produce checks in every batch of a partition's payload before anything is appended, from the 61-byte
 * headers only (records are never read here): structure (length, magic), the offset span against the record
 * count, the codec, and the attributes a client may not set. The log then checks each CRC natively while it
 * appends (append-validation.ts); compressed batches are inflated, within a limit, to count their records
 * (log/compressed-batch.ts). Any failure refuses the whole payload: nothing of it is stored.
 *
 * Producer ids: as Kafka (ProduceRequest.validateRecords), a payload carrying a producer id must be exactly
 * one batch, so the idempotence guard judges the id, epoch and sequence of every such batch.
 */
import { ATTRIBUTE, BATCH_HEADER_SIZE, BATCH_LENGTH_PREFIX, BATCH_OFFSET } from '../protocol/batch-header.js';
import { ErrorCode } from '../protocol/errors.js';

export interface ProducePayload {
  readonly batches: readonly { position: number; size: number }[];
  /** Whether any batch is compressed (then its records are inflated and counted before the append). */
  readonly compressed: boolean;
  /** Whether the payload is a transactional batch (then it is the only batch: it has a producer id). */
  readonly transactional: boolean;
}

export interface ProduceRefusal {
  readonly errorCode: number;
  readonly message: string;
}

/** Highest codec Kafka defines (zstd). */
const MAX_CODEC = 4;
/** The first produce version that may carry zstd (KIP-110). */
const ZSTD_MIN_PRODUCE_VERSION = 7;

function where(index: number, pos: number): string {
  return `record batch ${index} (byte ${pos})`;
}

function refuse(errorCode: number, message: string): ProduceRefusal {
  return { errorCode, message };
}

/**
 * Walks the batches of one partition's payload. `produceVersion` is the request's version (undefined for
 * the in-process link, which has no version).
 */
export function checkProducedBatches(records: Buffer, produceVersion?: number): ProducePayload | ProduceRefusal {
  const batches: { position: number; size: number }[] = [];
  let compressed = false;
  let withProducerId = false;
  let transactional = false;
  let pos = 0;
  while (pos < records.length) {
    const have = records.length - pos;
    if (have > BATCH_OFFSET.magic && records.readInt8(pos + BATCH_OFFSET.magic) !== 2) {
      const magic = records.readInt8(pos + BATCH_OFFSET.magic);
      return refuse(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `${where(batches.length, pos)} has magic ${magic}: only record batch v2 (Kafka 0.11+ clients) is accepted`);
    }
    if (have < BATCH_HEADER_SIZE) return refuse(ErrorCode.CORRUPT_MESSAGE, `${where(batches.length, pos)} is truncated: ${have} bytes, a header needs ${BATCH_HEADER_SIZE}`);
    const size = records.readInt32BE(pos + BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
    if (size < BATCH_HEADER_SIZE || size > have) return refuse(ErrorCode.CORRUPT_MESSAGE, `${where(batches.length, pos)} declares ${size} bytes, ${have} are present`);
    const attributes = records.readInt16BE(pos + BATCH_OFFSET.attributes);
    if ((attributes & ATTRIBUTE.control) !== 0) return refuse(ErrorCode.INVALID_RECORD, `${where(batches.length, pos)} is a control batch: only the broker writes those`);
    if ((attributes & ATTRIBUTE.transactional) !== 0) {
      // A transactional batch needs its producer id; the transaction coordinator then judges it (partition-append.ts).
      if (records.readInt32BE(pos + BATCH_OFFSET.producerId) < 0) return refuse(ErrorCode.INVALID_RECORD, `${where(batches.length, pos)} is transactional but has no producer id`);
      transactional = true;
    }
    const codec = attributes & ATTRIBUTE.compressionMask;
    if (codec > MAX_CODEC) return refuse(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `${where(batches.length, pos)} uses compression codec ${codec}; Kafka defines 0-4`);
    if (codec === MAX_CODEC && produceVersion !== undefined && produceVersion < ZSTD_MIN_PRODUCE_VERSION) {
      return refuse(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `${where(batches.length, pos)} is zstd-compressed in a Produce v${produceVersion} request; zstd needs v7 or later`);
    }
    const recordCount = records.readInt32BE(pos + BATCH_OFFSET.recordCount);
    const lastOffsetDelta = records.readInt32BE(pos + BATCH_OFFSET.lastOffsetDelta);
    if (recordCount <= 0 || recordCount !== lastOffsetDelta + 1) {
      return refuse(ErrorCode.INVALID_RECORD, `${where(batches.length, pos)} declares ${recordCount} records but an offset span of ${lastOffsetDelta + 1}`);
    }
    // A producer id is present when it is >= 0: its high 32 bits are then >= 0 too (no BigInt needed).
    if (records.readInt32BE(pos + BATCH_OFFSET.producerId) >= 0) withProducerId = true;
    compressed ||= codec !== 0;
    batches.push({ position: pos, size });
    pos += size;
  }
  if (batches.length === 0) return refuse(ErrorCode.CORRUPT_MESSAGE, 'the produce request carried no record batches');
  if (withProducerId && batches.length > 1) {
    return refuse(ErrorCode.INVALID_RECORD, `an idempotent produce must carry exactly one record batch per partition, not ${batches.length}`);
  }
  return { batches, compressed, transactional };
}

export function isRefusal(r: ProducePayload | ProduceRefusal): r is ProduceRefusal {
  return 'errorCode' in r;
}
