/**
 * Record batches of captured events, built and read without intermediate objects: the producer writes each
 * event's msgpack bytes straight into one RecordBatch v2 buffer (no key, no headers, timestamp delta 0) and
 * seals it with a native CRC32C; the consumer walks fetched batches and hands out record values as
 * subarrays. Format: "Record Batch" and "Record" in https://kafka.apache.org/documentation/#recordbatch.
 */
import { crc32c } from '@node-rs/crc32';
import { BATCH_HEADER_SIZE, BATCH_LENGTH_PREFIX, BATCH_OFFSET, CRC_START, ATTRIBUTE } from '../protocol/batch-header.js';
import { decodeRecordBatch } from '../protocol/records.js';
import { varintSize, writeVarint } from '../protocol/varint.js';
import { writeEncodedEvent, type EncodedEvent } from './event-codec.js';

/** The producer fields of a transactional batch: id, epoch and the sequence of its first record. */
export interface BatchProducer {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
}

/** Accumulates events into one uncompressed RecordBatch. */
export class EventBatchBuilder {
  private buf: Buffer;
  private pos = BATCH_HEADER_SIZE;
  private count = 0;
  private valueBytes = 0;

  /** Buffers of acknowledged batches, reused instead of allocating (and collecting) a megabyte per batch. */
  private readonly spare: Buffer[] = [];

  constructor(private readonly capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Returns a finished batch's buffer once the broker acknowledged it (it is no longer referenced). */
  recycle(batch: Buffer): void {
    if (batch.buffer.byteLength === this.capacity && batch.byteOffset === 0 && this.spare.length < 8) {
      this.spare.push(Buffer.from(batch.buffer, 0, this.capacity));
    }
  }

  get records(): number {
    return this.count;
  }

  get bytes(): number {
    return this.pos;
  }

  /** Bytes of record values (encoded events) in the batch. */
  get eventBytes(): number {
    return this.valueBytes;
  }

  /** Adds an event; returns false (adding nothing) if it does not fit and the batch already holds events. */
  add(event: EncodedEvent): boolean {
    const delta = this.count;
    const body = 1 + 1 + varintSize(delta) + 1 + varintSize(event.size) + event.size + 1;
    const need = varintSize(body) + body;
    if (this.pos + need > this.buf.length) {
      if (this.count > 0) return false;
      const bigger = Buffer.allocUnsafe(BATCH_HEADER_SIZE + need);
      this.buf = bigger;
    }
    const b = this.buf;
    let p = writeVarint(b, this.pos, body);
    b[p++] = 0; // attributes
    b[p++] = 0; // timestampDelta 0 (zig-zag varlong)
    p = writeVarint(b, p, delta);
    b[p++] = 1; // key length -1 (null), zig-zag
    p = writeVarint(b, p, event.size);
    p = writeEncodedEvent(event, b, p);
    b[p++] = 0; // no headers
    this.pos = p;
    this.count++;
    this.valueBytes += event.size;
    return true;
  }

  /**
   * Writes the header and CRC and returns the batch; the builder starts over with a fresh buffer. With
   * `producer` the batch is a transactional one of that producer (exactly-once capture).
   */
  finish(timestamp = Date.now(), producer?: BatchProducer): Buffer {
    const b = this.buf;
    const size = this.pos;
    b.writeBigInt64BE(0n, BATCH_OFFSET.baseOffset);
    b.writeInt32BE(size - BATCH_LENGTH_PREFIX, BATCH_OFFSET.batchLength);
    b.writeInt32BE(-1, BATCH_OFFSET.partitionLeaderEpoch);
    b.writeInt8(2, BATCH_OFFSET.magic);
    b.writeInt16BE(producer ? ATTRIBUTE.transactional : 0, BATCH_OFFSET.attributes);
    b.writeInt32BE(this.count - 1, BATCH_OFFSET.lastOffsetDelta);
    b.writeBigInt64BE(BigInt(timestamp), BATCH_OFFSET.baseTimestamp);
    b.writeBigInt64BE(BigInt(timestamp), BATCH_OFFSET.maxTimestamp);
    b.writeBigInt64BE(producer ? producer.producerId : -1n, BATCH_OFFSET.producerId);
    b.writeInt16BE(producer ? producer.producerEpoch : -1, BATCH_OFFSET.producerEpoch);
    b.writeInt32BE(producer ? producer.baseSequence : -1, BATCH_OFFSET.baseSequence);
    b.writeInt32BE(this.count, BATCH_OFFSET.recordCount);
    b.writeUInt32BE(crc32c(b.subarray(CRC_START, size)) >>> 0, BATCH_OFFSET.crc);
    const batch = b.subarray(0, size);
    this.buf = this.spare.pop() ?? Buffer.allocUnsafe(this.capacity);
    this.pos = BATCH_HEADER_SIZE;
    this.count = 0;
    this.valueBytes = 0;
    return batch;
  }
}

/** A fetched batch failed its checks. */
export class CorruptBatchError extends Error {
  override readonly name = 'CorruptBatchError';
}

/** 2^(7i) for i = 0..9: a varint group's weight without calling Math.pow on every byte (it showed in replay profiles). */
const GROUP_WEIGHT = Array.from({ length: 10 }, (_, i) => 2 ** (7 * i));

let cursor = 0;
function readVarint(b: Buffer): number {
  let u = 0;
  let group = 0;
  for (;;) {
    const byte = b[cursor++];
    if (byte === undefined) throw new CorruptBatchError('a record varint runs past the end of its batch');
    u += (byte & 0x7f) * (GROUP_WEIGHT[group] as number);
    if (byte < 0x80) break;
    if (++group > 9) throw new CorruptBatchError('a record varint is too long');
  }
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

/**
 * Calls `onRecord(offset, value)` for every record at or after `fromOffset` in the whole batches of `records`
 * (a Fetch response's record set; a trailing partial batch is ignored). Returns the offset after the last
 * whole batch, i.e. where the next fetch starts. Control batches (transaction markers) are skipped.
 * `checkCrc` verifies each batch's CRC32C (off by default, as librdkafka's check.crcs: the broker verified it
 * on append and TCP checksums the transfer).
 */
export function forEachRecord(
  records: Buffer,
  fromOffset: bigint,
  onRecord: (offset: bigint, value: Buffer | null) => void,
  checkCrc = false,
): bigint {
  let pos = 0;
  let next = fromOffset;
  while (records.length - pos >= BATCH_HEADER_SIZE) {
    const size = records.readInt32BE(pos + BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
    if (size < BATCH_HEADER_SIZE) throw new CorruptBatchError(`a batch claims ${size} bytes, less than its header`);
    if (pos + size > records.length) break;
    const magic = records[pos + BATCH_OFFSET.magic];
    if (magic !== 2) throw new CorruptBatchError(`a batch has magic ${String(magic)}; only record batches v2 are supported`);
    const batch = records.subarray(pos, pos + size);
    const crc = batch.readUInt32BE(BATCH_OFFSET.crc);
    if (checkCrc && (crc32c(batch.subarray(CRC_START)) >>> 0) !== crc) throw new CorruptBatchError('a fetched batch failed its CRC32C check');
    const baseOffset = batch.readBigInt64BE(BATCH_OFFSET.baseOffset);
    const lastOffset = baseOffset + BigInt(batch.readInt32BE(BATCH_OFFSET.lastOffsetDelta));
    const attributes = batch.readInt16BE(BATCH_OFFSET.attributes);
    pos += size;
    if (lastOffset < next) continue;
    if ((attributes & ATTRIBUTE.control) === 0) {
      const base = Number(baseOffset);
      const from = Number(next);
      if ((attributes & ATTRIBUTE.compressionMask) !== 0) {
        for (const r of decodeRecordBatch(batch).records) {
          if (base + r.offsetDelta >= from) onRecord(BigInt(base + r.offsetDelta), r.value);
        }
      } else {
        const count = batch.readInt32BE(BATCH_OFFSET.recordCount);
        cursor = BATCH_HEADER_SIZE;
        for (let i = 0; i < count; i++) {
          const length = readVarint(batch);
          const end = cursor + length;
          cursor++; // attributes
          readVarint(batch); // timestamp delta
          const offsetDelta = readVarint(batch);
          const keyLength = readVarint(batch);
          if (keyLength > 0) cursor += keyLength;
          const valueLength = readVarint(batch);
          const value = valueLength < 0 ? null : batch.subarray(cursor, cursor + valueLength);
          if (end > size) throw new CorruptBatchError('a record runs past the end of its batch');
          cursor = end;
          if (base + offsetDelta >= from) onRecord(BigInt(base + offsetDelta), value);
        }
      }
    }
    next = lastOffset + 1n;
  }
  return next;
}

/** The offset after the last whole batch in `records` (headers only), or `fromOffset` if there is none. */
export function nextFetchOffset(records: Buffer, fromOffset: bigint): bigint {
  let pos = 0;
  let next = fromOffset;
  while (records.length - pos >= BATCH_HEADER_SIZE) {
    const size = records.readInt32BE(pos + BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
    if (size < BATCH_HEADER_SIZE || pos + size > records.length) break;
    const last = records.readBigInt64BE(pos + BATCH_OFFSET.baseOffset) + BigInt(records.readInt32BE(pos + BATCH_OFFSET.lastOffsetDelta));
    if (last >= next) next = last + 1n;
    pos += size;
  }
  return next;
}
