/**
 * Writes a RecordBatch v2 (Kafka protocol, "Record Batch" / "Record"). The fast path for large values:
 * one sizing pass, one buffer allocated for the whole batch, values copied natively (`set`), CRC32C computed
 * natively once. With compression the records are written to their own buffer first and compressed.
 */
import { crc32c } from '@node-rs/crc32';
import { ATTRIBUTE, BATCH_HEADER_SIZE, BATCH_LENGTH_PREFIX, BATCH_OFFSET, CRC_START, writeBatchCrc } from './batch-header.js';
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

/** Values at least this long are referenced by encodeRecordBatchChunks instead of copied. */
const REFERENCE_THRESHOLD = 1024;

/**
 * Collects the output as chunks: `out` from `start` up to each referenced value, then the value itself.
 * Used by encodeRecordBatchChunks; absent for a single contiguous buffer.
 */
interface ChunkSink {
  chunks: Buffer[];
  start: number;
}

/**
 * Writes all records from `pos` using the body sizes computed beforehand; returns the end position in `out`.
 * With a sink, large values are referenced (not copied) and `out` holds only the bytes around them.
 */
function writeRecords(out: Buffer, pos: number, records: readonly RecordInput[], bodySizes: Int32Array, sink?: ChunkSink): number {
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
      if (sink !== undefined && value.length >= REFERENCE_THRESHOLD) {
        sink.chunks.push(out.subarray(sink.start, pos), value);
        sink.start = pos;
      } else {
        out.set(value, pos);
        pos += value.length;
      }
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

interface BatchPlan {
  attributes: number;
  codec: number;
  bodySizes: Int32Array;
  /** Bytes of all records, uncompressed. */
  recordsSize: number;
  maxTimestampDelta: number;
  lastRecordOffsetDelta: number;
}

/** The sizing pass: every record's body size, the records' total, and the deltas the header needs. */
function plan(input: RecordBatchInput): BatchPlan {
  const records = input.records;
  const count = records.length;
  const attributes = attributesOf(input);
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
  return {
    attributes,
    codec: attributes & ATTRIBUTE.compressionMask,
    bodySizes,
    recordsSize,
    maxTimestampDelta,
    lastRecordOffsetDelta: previousOffsetDelta,
  };
}

/** Writes the 61-byte header (CRC left for the caller) for a batch of `size` bytes. */
function writeHeader(out: Buffer, input: RecordBatchInput, p: BatchPlan, size: number): void {
  if (size - BATCH_LENGTH_PREFIX > INT32_MAX) invalid(`batch of ${size} bytes exceeds the int32 length field`);
  const count = input.records.length;
  const baseTimestamp = BigInt(input.baseTimestamp ?? Date.now());
  const maxTimestamp =
    input.maxTimestamp !== undefined ? BigInt(input.maxTimestamp) : baseTimestamp + BigInt(count === 0 ? 0 : p.maxTimestampDelta);
  const lastOffsetDelta = input.lastOffsetDelta ?? (count === 0 ? 0 : p.lastRecordOffsetDelta);
  if (lastOffsetDelta < p.lastRecordOffsetDelta) {
    invalid(`lastOffsetDelta ${lastOffsetDelta} is below the last record's ${p.lastRecordOffsetDelta}`);
  }
  out.writeBigInt64BE(BigInt(input.baseOffset ?? 0n), BATCH_OFFSET.baseOffset);
  out.writeInt32BE(size - BATCH_LENGTH_PREFIX, BATCH_OFFSET.batchLength);
  out.writeInt32BE(input.partitionLeaderEpoch ?? -1, BATCH_OFFSET.partitionLeaderEpoch);
  out.writeInt8(MAGIC, BATCH_OFFSET.magic);
  out.writeInt16BE((p.attributes << 16) >> 16, BATCH_OFFSET.attributes);
  out.writeInt32BE(lastOffsetDelta, BATCH_OFFSET.lastOffsetDelta);
  out.writeBigInt64BE(baseTimestamp, BATCH_OFFSET.baseTimestamp);
  out.writeBigInt64BE(maxTimestamp, BATCH_OFFSET.maxTimestamp);
  out.writeBigInt64BE(BigInt(input.producerId ?? -1n), BATCH_OFFSET.producerId);
  out.writeInt16BE(input.producerEpoch ?? -1, BATCH_OFFSET.producerEpoch);
  out.writeInt32BE(input.baseSequence ?? -1, BATCH_OFFSET.baseSequence);
  out.writeInt32BE(count, BATCH_OFFSET.recordCount);
}

/**
 * Encodes one RecordBatch v2. Throws RecordBatchError (INVALID_RECORD) for input Kafka would refuse.
 *
 * `output`, when given and large enough, receives an uncompressed batch and the returned Buffer is a
 * subarray of it. Reusing one output buffer between batches (once the previous batch has been written)
 * avoids touching fresh memory, whose page faults cost several times the copy itself on large batches.
 */
export function encodeRecordBatch(input: RecordBatchInput, output?: Buffer): Buffer {
  const p = plan(input);
  let out: Buffer;
  let size: number;
  if (p.codec === CompressionCodec.none) {
    size = BATCH_HEADER_SIZE + p.recordsSize;
    out = output !== undefined && output.length >= size ? output.subarray(0, size) : Buffer.allocUnsafe(size);
    const end = writeRecords(out, BATCH_HEADER_SIZE, input.records, p.bodySizes);
    if (end !== size) throw new Error(`record sizing mismatch: wrote ${end} of ${size} bytes`); // a bug, not input
  } else {
    const plain = Buffer.allocUnsafe(p.recordsSize);
    writeRecords(plain, 0, input.records, p.bodySizes);
    const packed = compress(p.codec, plain, input);
    size = BATCH_HEADER_SIZE + packed.length;
    out = Buffer.allocUnsafe(size);
    out.set(packed, BATCH_HEADER_SIZE);
  }
  writeHeader(out, input, p, size);
  writeBatchCrc(out, 0, size);
  return out;
}

/**
 * The same bytes as encodeRecordBatch, as a list of chunks for a vectored write (socket writev, file
 * writev, Writer.bytesRaw): values of 1 KiB or more are referenced, not copied, and the CRC32C is chained
 * natively over the chunks. The caller must not modify those values until the chunks are written.
 * Compressed batches come back as one chunk.
 */
export function encodeRecordBatchChunks(input: RecordBatchInput): Buffer[] {
  const p = plan(input);
  if (p.codec !== CompressionCodec.none) return [encodeRecordBatch(input)];
  let referenced = 0;
  for (const r of input.records) if (r.value !== null && r.value.length >= REFERENCE_THRESHOLD) referenced += r.value.length;
  const size = BATCH_HEADER_SIZE + p.recordsSize;
  const out = Buffer.allocUnsafe(size - referenced);
  const sink: ChunkSink = { chunks: [], start: 0 };
  const end = writeRecords(out, BATCH_HEADER_SIZE, input.records, p.bodySizes, sink);
  if (end !== out.length) throw new Error(`record sizing mismatch: wrote ${end} of ${out.length} bytes`);
  if (end > sink.start || sink.chunks.length === 0) sink.chunks.push(out.subarray(sink.start, end));
  writeHeader(out, input, p, size);
  let crc = crc32c(out.subarray(CRC_START, sink.chunks[0]!.length));
  for (let i = 1; i < sink.chunks.length; i++) crc = crc32c(sink.chunks[i]!, crc);
  out.writeUInt32BE(crc >>> 0, BATCH_OFFSET.crc);
  return sink.chunks;
}
