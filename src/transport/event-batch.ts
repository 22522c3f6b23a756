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
import { markSealed } from '../link/sealed-batches.js';

/** The producer fields of a transactional batch: id, epoch and the sequence of its first record. */
export interface BatchProducer {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
}

/** Typed-array bodies start at a multiple of this within their batch, and every batch's size is one. */
export const EVENT_ALIGNMENT = 8;

/** Bytes a varint write may take at most beyond its minimal form (Kafka's readers take int32 varints of up to 5 bytes). */
const MAX_VARINT_BYTES = 5;
/** The header key of the padding header that ends a batch on a multiple of EVENT_ALIGNMENT (see `padEnd`). */
const PAD_HEADER_KEY = Buffer.from('kafkaesque.pad');
/** The most `padEnd` adds after the last record's value: a header of `PAD_HEADER_KEY` with three padded varints. */
const MAX_END_PADDING = 3 + PAD_HEADER_KEY.length + (EVENT_ALIGNMENT - 1) - 1;

/**
 * Writes `value` as a zig-zag varint in exactly `width` bytes (non-minimal: high groups of zero with the
 * continuation bit set). Kafka's varint readers accept it; it is how a record is padded without changing
 * its key, value or headers.
 */
function writeVarintWidth(buf: Buffer, pos: number, value: number, width: number): number {
  let u = ((value << 1) ^ (value >> 31)) >>> 0;
  for (let i = 1; i < width; i++) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[pos++] = u;
  return pos;
}

/**
 * Accumulates events into one uncompressed RecordBatch.
 *
 * Alignment by construction: a typed-array event's element bytes start at a multiple of EVENT_ALIGNMENT
 * (8) from the start of the batch, and `finish` makes the batch's size a multiple of 8 too. A log read
 * starts at a batch, so in a reader's buffer that starts 8-aligned, every typed array of these batches is
 * aligned and can be viewed where it lies instead of copied (EventDecoder, views mode). The padding is
 * Kafka-legal and invisible to event readers: the record's timestamp delta (always 0) is written as a
 * non-minimal varlong of up to 8 bytes before the value, and the last record of a batch gets a non-minimal
 * header count, or one header `kafkaesque.pad` with an empty value, after it. The record key and value
 * bytes are exactly those of an unpadded record, so kcat, kafkajs and any msgpack reader see the same events.
 */
export class EventBatchBuilder {
  private buf: Buffer;
  private pos = BATCH_HEADER_SIZE;
  private count = 0;
  private valueBytes = 0;
  /** Where the last record starts, the width of its length varint, its length, and where its value ends. */
  private lastStart = 0;
  private lastLengthWidth = 0;
  private lastLength = 0;
  private lastValueEnd = 0;

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
    const fixed = 1 + varintSize(delta) + 1 + varintSize(event.size) + event.size + 1; // all but the timestamp delta
    // The length varint is written wide enough for the most padding `finish` may add, so that padding
    // never moves the value.
    const lengthWidth = varintSize(fixed + (EVENT_ALIGNMENT - 1) + 1 + MAX_END_PADDING);
    let timestampWidth = 1;
    if (event.body !== undefined) {
      const bodyAt = this.pos + lengthWidth + 1 + 1 + varintSize(delta) + 1 + varintSize(event.size) + event.head.length;
      timestampWidth += (EVENT_ALIGNMENT - (bodyAt % EVENT_ALIGNMENT)) % EVENT_ALIGNMENT;
    }
    const body = fixed + timestampWidth;
    const need = lengthWidth + body + MAX_END_PADDING;
    if (this.pos + need > this.buf.length) {
      if (this.count > 0) return false;
      const bigger = Buffer.allocUnsafe(BATCH_HEADER_SIZE + need);
      this.buf = bigger;
    }
    const b = this.buf;
    this.lastStart = this.pos;
    this.lastLengthWidth = lengthWidth;
    this.lastLength = body;
    let p = writeVarintWidth(b, this.pos, body, lengthWidth);
    b[p++] = 0; // attributes
    p = writeVarintWidth(b, p, 0, timestampWidth); // timestampDelta 0 (zig-zag varlong), padded to align the body
    p = writeVarint(b, p, delta);
    b[p++] = 1; // key length -1 (null), zig-zag
    p = writeVarint(b, p, event.size);
    p = writeEncodedEvent(event, b, p);
    this.lastValueEnd = p;
    b[p++] = 0; // no headers
    this.pos = p;
    this.count++;
    this.valueBytes += event.size;
    return true;
  }

  /**
   * Pads the last record so the batch ends on a multiple of EVENT_ALIGNMENT: up to 4 extra bytes as a
   * non-minimal header count of 0; 5 to 7 as one header `kafkaesque.pad` (empty value) whose varints take
   * the rest. Rewrites the last record's length in the width `add` reserved for it.
   */
  private padEnd(): void {
    const missing = (EVENT_ALIGNMENT - (this.pos % EVENT_ALIGNMENT)) % EVENT_ALIGNMENT;
    if (missing === 0 || this.count === 0) return;
    const b = this.buf;
    let p = this.lastValueEnd;
    if (missing < MAX_VARINT_BYTES) {
      p = writeVarintWidth(b, p, 0, 1 + missing);
    } else {
      // 1 + 1 + key + 1 bytes at least, i.e. 16 more than a bare header count: spread `missing` over the varints.
      let spread = missing;
      const take = (): number => {
        const extra = Math.min(spread, MAX_VARINT_BYTES - 1);
        spread -= extra;
        return 1 + extra;
      };
      p = writeVarintWidth(b, p, 1, take()); // one header
      p = writeVarintWidth(b, p, PAD_HEADER_KEY.length, take());
      p += PAD_HEADER_KEY.copy(b, p);
      p = writeVarintWidth(b, p, 0, take()); // an empty value
    }
    const added = p - this.pos;
    this.lastLength += added;
    writeVarintWidth(b, this.lastStart, this.lastLength, this.lastLengthWidth);
    this.pos = p;
  }

  /**
   * Writes the header and CRC and returns the batch; the builder starts over with a fresh buffer. With
   * `producer` the batch is a transactional one of that producer (exactly-once capture).
   */
  finish(timestamp = Date.now(), producer?: BatchProducer): Buffer {
    this.padEnd();
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
    markSealed(batch); // the embedded broker may trust this CRC (link/sealed-batches.ts)
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
