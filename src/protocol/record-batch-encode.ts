/**
 * Writes a RecordBatch v2 (Kafka protocol, "Record Batch" / "Record"). The fast path for large values:
 * one sizing pass, one buffer allocated for the whole batch, values copied natively (`set`), CRC32C computed
 * natively once. With compression the records are written to their own buffer first and compressed.
 */
import { ATTRIBUTE, BATCH_HEADER_SIZE, BATCH_LENGTH_PREFIX, BATCH_OFFSET, writeBatchCrc } from './batch-header.js';
import { compress, toCodecId } from './compression/index.js';
import { CompressionCodec } from './compression/types.js';
import { RecordBatchError } from './record-batch-error.js';
import { TimestampType, type RecordBatchInput, type RecordInput } from './record-types.js';
import { ErrorCode } from './errors.js';
import { varintSize, varlongSize, writeVarint, writeVarlong } from './varint.js';

const MAGIC = 2;
const INT32_MAX = 0x7fffffff;

function invalid(detail: string): never {
  throw new RecordBatchError('invalid-input', detail, ErrorCode.INVALID_RECORD);
}

function headersSize(record: RecordInput): number {
  const headers = record.headers;
  if (headers === undefined || headers.length === 0) return 1;
  let size = varintSize(headers.length);
  for (const h of headers) {
    const keyBytes = Buffer.byteLength(h.key, 'utf8');
    size += varintSize(keyBytes) + keyBytes;
    size += h.value === null ? 1 : varintSize(h.value.length) + h.value.length;
  }
  return size;
}

/** Writes all records from `pos` using the body sizes computed beforehand; returns the end position. */
function writeRecords(out: Buffer, pos: number, records: RecordInput[], bodySizes: Int32Array): number {
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    pos = writeVarint(out, pos, bodySizes[i]!);
    out[pos++] = 0; // record attributes: unused
    pos = writeVarlong(out, pos, r.timestampDelta ?? 0);
    pos = writeVarint(out, pos, r.offsetDelta ?? i);
    const { key, value } = r;
    if (key === null) {
      out[pos++] = 1; // zig-zag -1
    } else {
      pos = writeVarint(out, pos, key.length);
      out.set(key, pos);
      pos += key.length;
    }
    if (value === null) {
      out[pos++] = 1;
    } else {
      pos = writeVarint(out, pos, value.length);
      out.set(value, pos);
      pos += value.length;
    }
    const headers = r.headers;
    if (headers === undefined || headers.length === 0) {
      out[pos++] = 0;
      continue;
    }
    pos = writeVarint(out, pos, headers.length);
    for (const h of headers) {
      const keyBytes = Buffer.byteLength(h.key, 'utf8');
      pos = writeVarint(out, pos, keyBytes);
      pos += out.write(h.key, pos, keyBytes, 'utf8');
      if (h.value === null) {
        out[pos++] = 1;
      } else {
        pos = writeVarint(out, pos, h.value.length);
        out.set(h.value, pos);
        pos += h.value.length;
      }
    }
  }
  return pos;
}

function attributesOf(input: RecordBatchInput): number {
  let attributes = (input.attributes ?? 0) & 0xffff;
  if (input.compression !== undefined) {
    attributes = (attributes & ~ATTRIBUTE.compressionMask) | toCodecId(input.compression);
  } else if ((attributes & ATTRIBUTE.compressionMask) > CompressionCodec.zstd) {
    invalid(`attributes name compression codec ${attributes & ATTRIBUTE.compressionMask}; Kafka defines 0-4`);
  }
  if (input.timestampType !== undefined) {
    const logAppend = input.timestampType === 'log-append' || input.timestampType === TimestampType.logAppendTime;
    attributes = logAppend ? attributes | ATTRIBUTE.timestampTypeLogAppend : attributes & ~ATTRIBUTE.timestampTypeLogAppend;
  }
  if (input.transactional !== undefined) {
    attributes = input.transactional ? attributes | ATTRIBUTE.transactional : attributes & ~ATTRIBUTE.transactional;
  }
  if (input.control !== undefined) {
    attributes = input.control ? attributes | ATTRIBUTE.control : attributes & ~ATTRIBUTE.control;
  }
  return attributes;
}

/** Encodes one RecordBatch v2. Throws RecordBatchError (INVALID_RECORD) for input Kafka would refuse. */
export function encodeRecordBatch(input: RecordBatchInput): Buffer {
  const records = input.records;
  const count = records.length;
  const attributes = attributesOf(input);
  const codec = attributes & ATTRIBUTE.compressionMask;

  // Sizing pass: every record's body size, the records' total, and the deltas the header needs.
  const bodySizes = new Int32Array(count);
  let recordsSize = 0;
  let maxTimestampDelta = 0;
  let previousOffsetDelta = -1;
  for (let i = 0; i < count; i++) {
    const r = records[i]!;
    const offsetDelta = r.offsetDelta ?? i;
    if (!Number.isInteger(offsetDelta) || offsetDelta <= previousOffsetDelta || offsetDelta > INT32_MAX) {
      invalid(`record ${i} has offsetDelta ${offsetDelta}; deltas must be increasing int32 values >= 0`);
    }
    previousOffsetDelta = offsetDelta;
    const timestampDelta = r.timestampDelta ?? 0;
    if (!Number.isSafeInteger(timestampDelta)) invalid(`record ${i} has timestampDelta ${timestampDelta}; use a safe integer`);
    if (timestampDelta > maxTimestampDelta || i === 0) maxTimestampDelta = timestampDelta;
    const keySize = r.key === null ? 1 : varintSize(r.key.length) + r.key.length;
    const valueSize = r.value === null ? 1 : varintSize(r.value.length) + r.value.length;
    const body = 1 + varlongSize(timestampDelta) + varintSize(offsetDelta) + keySize + valueSize + headersSize(r);
    bodySizes[i] = body;
    recordsSize += varintSize(body) + body;
  }

  let out: Buffer;
  let size: number;
  if (codec === CompressionCodec.none) {
    size = BATCH_HEADER_SIZE + recordsSize;
    out = Buffer.allocUnsafe(size);
    const end = writeRecords(out, BATCH_HEADER_SIZE, records, bodySizes);
    if (end !== size) throw new Error(`record sizing mismatch: wrote ${end} of ${size} bytes`); // a bug, not input
  } else {
    const plain = Buffer.allocUnsafe(recordsSize);
    writeRecords(plain, 0, records, bodySizes);
    const packed = compress(codec, plain, input);
    size = BATCH_HEADER_SIZE + packed.length;
    out = Buffer.allocUnsafe(size);
    out.set(packed, BATCH_HEADER_SIZE);
  }
  if (size - BATCH_LENGTH_PREFIX > INT32_MAX) invalid(`batch of ${size} bytes exceeds the int32 length field`);

  const baseTimestamp = BigInt(input.baseTimestamp ?? Date.now());
  const maxTimestamp = input.maxTimestamp !== undefined ? BigInt(input.maxTimestamp) : baseTimestamp + BigInt(count === 0 ? 0 : maxTimestampDelta);
  const lastOffsetDelta = input.lastOffsetDelta ?? (count === 0 ? 0 : previousOffsetDelta);
  if (lastOffsetDelta < previousOffsetDelta) invalid(`lastOffsetDelta ${lastOffsetDelta} is below the last record's ${previousOffsetDelta}`);

  out.writeBigInt64BE(BigInt(input.baseOffset ?? 0n), BATCH_OFFSET.baseOffset);
  out.writeInt32BE(size - BATCH_LENGTH_PREFIX, BATCH_OFFSET.batchLength);
  out.writeInt32BE(input.partitionLeaderEpoch ?? -1, BATCH_OFFSET.partitionLeaderEpoch);
  out.writeInt8(MAGIC, BATCH_OFFSET.magic);
  out.writeInt16BE((attributes << 16) >> 16, BATCH_OFFSET.attributes);
  out.writeInt32BE(lastOffsetDelta, BATCH_OFFSET.lastOffsetDelta);
  out.writeBigInt64BE(baseTimestamp, BATCH_OFFSET.baseTimestamp);
  out.writeBigInt64BE(maxTimestamp, BATCH_OFFSET.maxTimestamp);
  out.writeBigInt64BE(BigInt(input.producerId ?? -1n), BATCH_OFFSET.producerId);
  out.writeInt16BE(input.producerEpoch ?? -1, BATCH_OFFSET.producerEpoch);
  out.writeInt32BE(input.baseSequence ?? -1, BATCH_OFFSET.baseSequence);
  out.writeInt32BE(count, BATCH_OFFSET.recordCount);
  writeBatchCrc(out, 0, size);
  return out;
}
