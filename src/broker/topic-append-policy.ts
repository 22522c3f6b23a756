/**
 * What a topic's configs ask of a produced payload before it is appended, beyond the batch checks:
 *
 * - message.timestamp.before.max.ms / after.max.ms (and the deprecated difference.max.ms, KIP-937): a
 *   CreateTime batch whose first or max timestamp lies further from the broker clock is refused with
 *   INVALID_TIMESTAMP, as Kafka's LogValidator does. Only the 61-byte headers are read (no record decoding):
 *   a batch's records lie between its first timestamp and its max timestamp, the two bounds checked.
 * - compression.type other than `producer`: a batch sent with another codec is recompressed to the topic's
 *   codec (Kafka does the same). This is the one case where the broker inflates and rewrites records; with
 *   the default `producer` nothing here runs.
 */
import { ATTRIBUTE, BATCH_HEADER_SIZE, BATCH_LENGTH_PREFIX, BATCH_OFFSET, computeBatchCrc, writeBatchCrc } from '../protocol/batch-header.js';
import { compress, CompressionCodec } from '../protocol/compression/index.js';
import { ErrorCode } from '../protocol/errors.js';
import { batchCodec, countRecords, inflateRecords } from './log/compressed-batch.js';
import { StorageError } from './log/errors.js';
import type { LogConfig } from './log/log-config.js';

export interface TimestampRefusal {
  readonly errorCode: number;
  readonly message: string;
}

/** The refusal of the first batch whose CreateTime timestamps are out of the topic's range, or null. */
export function checkBatchTimestamps(records: Buffer, batches: readonly { position: number }[], cfg: LogConfig, nowMs: number): TimestampRefusal | null {
  if (cfg.logAppendTime || (cfg.timestampBeforeMaxMs === Infinity && cfg.timestampAfterMaxMs === Infinity)) return null;
  const low = nowMs - cfg.timestampBeforeMaxMs;
  const high = nowMs + cfg.timestampAfterMaxMs;
  for (const [i, b] of batches.entries()) {
    if ((records.readInt16BE(b.position + BATCH_OFFSET.attributes) & ATTRIBUTE.timestampTypeLogAppend) !== 0) continue;
    const first = Number(records.readBigInt64BE(b.position + BATCH_OFFSET.baseTimestamp));
    const max = Number(records.readBigInt64BE(b.position + BATCH_OFFSET.maxTimestamp));
    for (const ts of [first, max]) {
      if (ts === -1) continue; // no timestamp
      if (ts < low || ts > high) {
        return {
          errorCode: ErrorCode.INVALID_TIMESTAMP,
          message: `record batch ${i} has timestamp ${ts}, out of range: the topic accepts [${low}, ${high}] (message.timestamp.before.max.ms / after.max.ms)`,
        };
      }
    }
  }
  return null;
}

const TARGET_CODEC: Readonly<Record<string, number>> = {
  uncompressed: CompressionCodec.none,
  gzip: CompressionCodec.gzip,
  snappy: CompressionCodec.snappy,
  lz4: CompressionCodec.lz4,
  zstd: CompressionCodec.zstd,
};

/** The codec the topic stores batches with, or undefined for `producer` (keep what was sent). */
export function targetCodec(cfg: LogConfig): number | undefined {
  return TARGET_CODEC[cfg.compressionType];
}

/** Whether any batch of the payload must be recompressed for this topic. */
export function needsRecompression(records: Buffer, batches: readonly { position: number }[], cfg: LogConfig): boolean {
  const target = targetCodec(cfg);
  return target !== undefined && batches.some((b) => batchCodec(records, b.position) !== target);
}

/**
 * The payload with every batch in the topic's codec. Each batch's CRC is checked first (the rewrite gives
 * it a new one), its records are inflated within `limit` and counted against its header, then compressed
 * with the topic's codec and level. Throws StorageError: CORRUPT_MESSAGE, INVALID_RECORD.
 */
export async function recompressPayload(records: Buffer, batches: readonly { position: number; size: number }[], cfg: LogConfig, limit: number): Promise<Buffer> {
  const target = targetCodec(cfg)!;
  const out: Buffer[] = [];
  for (const [i, b] of batches.entries()) {
    const stored = records.readUInt32BE(b.position + BATCH_OFFSET.crc);
    if (computeBatchCrc(records, b.position, b.size) !== stored) throw new StorageError('CORRUPT_MESSAGE', `record batch ${i} fails its CRC32C check`);
    const codec = batchCodec(records, b.position);
    if (codec === target) {
      out.push(records.subarray(b.position, b.position + b.size));
      continue;
    }
    const raw = codec === CompressionCodec.none ? records.subarray(b.position + BATCH_HEADER_SIZE, b.position + b.size) : await inflateRecords(records, b.position, b.size, limit);
    const declared = records.readInt32BE(b.position + BATCH_OFFSET.recordCount);
    if (countRecords(raw) !== declared) throw new StorageError('INVALID_RECORD', `record batch ${i} declares ${declared} records but holds ${countRecords(raw)}`);
    const level = target === CompressionCodec.gzip ? (cfg.gzipLevel === -1 ? undefined : cfg.gzipLevel) : target === CompressionCodec.zstd ? cfg.zstdLevel : undefined;
    const body = compress(target, raw, level === undefined ? {} : { level });
    const batch = Buffer.allocUnsafe(BATCH_HEADER_SIZE + body.length);
    records.copy(batch, 0, b.position, b.position + BATCH_HEADER_SIZE);
    body.copy(batch, BATCH_HEADER_SIZE);
    batch.writeInt32BE(batch.length - BATCH_LENGTH_PREFIX, BATCH_OFFSET.batchLength);
    const attributes = batch.readInt16BE(BATCH_OFFSET.attributes);
    batch.writeInt16BE((attributes & ~ATTRIBUTE.compressionMask) | target, BATCH_OFFSET.attributes);
    writeBatchCrc(batch, 0, batch.length);
    out.push(batch);
  }
  return Buffer.concat(out);
}
