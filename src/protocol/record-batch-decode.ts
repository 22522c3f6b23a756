/**
 * Reads RecordBatch v2. Every length and count is checked against the bytes really present before it is
 * used, so corrupt or hostile input ends in a RecordBatchError (CORRUPT_MESSAGE), never a RangeError or a
 * huge allocation. Keys, values and header values are subarrays: nothing is copied.
 */
import {
  ATTRIBUTE,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH_PREFIX,
  BATCH_OFFSET,
  readBatchHeader,
  validateBatch,
  type BatchProblem,
} from './batch-header.js';
import { decompress } from './compression/index.js';
import { CompressionError, type CompressionCodecId, type DecompressOptions } from './compression/types.js';
import { ErrorCode } from './errors.js';
import { RecordBatchError } from './record-batch-error.js';
import type { DecodedBatchHeader, DecodedRecord, DecodedRecordBatch, RecordHeader, TimestampTypeId } from './record-types.js';
import { VarintReader, type VarintProblem } from './varint.js';

/** Smallest possible record: length, attributes, timestampDelta, offsetDelta, key, value, header count. */
const MIN_RECORD_SIZE = 7;
/** Smallest possible header: key length, value length. */
const MIN_HEADER_SIZE = 2;

export type DecodeOptions = DecompressOptions;

function problemError(problem: BatchProblem): RecordBatchError {
  switch (problem.kind) {
    case 'truncated':
      return new RecordBatchError('truncated', `need ${problem.need} bytes, have ${problem.have}`);
    case 'bad-length':
      return new RecordBatchError('bad-length', `batchLength ${problem.batchLength} is shorter than a batch header`);
    case 'bad-magic':
      return new RecordBatchError(
        'bad-magic',
        `magic ${problem.magic}; only magic 2 record batches are supported (upgrade the client or its message format)`,
        ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
      );
    case 'bad-crc':
      return new RecordBatchError('bad-crc', `CRC32C is ${problem.actual >>> 0}, header says ${problem.expected >>> 0}`);
    case 'bad-count':
      return new RecordBatchError('bad-count', `recordCount ${problem.recordCount} with lastOffsetDelta ${problem.lastOffsetDelta}`);
  }
}

function varintFailure(problem: VarintProblem, at: number): never {
  throw new RecordBatchError('bad-record', problem === 'truncated' ? `varint runs past the end at byte ${at}` : `varint too long at byte ${at}`);
}

function badRecord(index: number, detail: string): never {
  throw new RecordBatchError('bad-record', `record ${index}: ${detail}`);
}

/** Parses `count` records laid out in `buf` between `start` and `end`, which they must fill exactly. */
export function decodeRecords(buf: Buffer, start: number, end: number, count: number): DecodedRecord[] {
  if (count < 0 || count > (end - start) / MIN_RECORD_SIZE) {
    throw new RecordBatchError('bad-count', `${count} records cannot fit in ${end - start} bytes`);
  }
  const r = new VarintReader(buf, start, end, varintFailure);
  const records = new Array<DecodedRecord>(count);
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    const recordEnd = r.pos + length;
    if (length < MIN_RECORD_SIZE - 1 || recordEnd > end) badRecord(i, `length ${length} does not fit the ${end - r.pos} bytes left`);
    r.end = recordEnd;
    const attributes = (buf[r.pos++]! << 24) >> 24; // int8
    const timestampDelta = r.varlong();
    if (!Number.isSafeInteger(timestampDelta)) badRecord(i, `timestampDelta beyond ±2^53 is not supported`);
    const offsetDelta = r.varint();
    const key = readBytes(r, i, 'key');
    const value = readBytes(r, i, 'value');
    const headerCount = r.varint();
    if (headerCount < 0 || headerCount > (recordEnd - r.pos) / MIN_HEADER_SIZE) badRecord(i, `header count ${headerCount} does not fit`);
    const headers = new Array<RecordHeader>(headerCount);
    for (let h = 0; h < headerCount; h++) {
      const keyLength = r.varint();
      if (keyLength < 0 || keyLength > recordEnd - r.pos) badRecord(i, `header ${h} key length ${keyLength} is invalid`);
      const headerKey = buf.toString('utf8', r.pos, r.pos + keyLength);
      r.pos += keyLength;
      headers[h] = { key: headerKey, value: readBytes(r, i, `header ${h} value`) };
    }
    if (r.pos !== recordEnd) badRecord(i, `${recordEnd - r.pos} bytes left over inside the record`);
    r.end = end;
    records[i] = { attributes, offsetDelta, timestampDelta, key, value, headers };
  }
  if (r.pos !== end) throw new RecordBatchError('bad-record', `${end - r.pos} bytes left over after ${count} records`);
  return records;
}

function readBytes(r: VarintReader, index: number, what: string): Buffer | null {
  const length = r.varint();
  if (length === -1) return null;
  if (length < -1 || length > r.end - r.pos) badRecord(index, `${what} length ${length} does not fit the ${r.end - r.pos} bytes left`);
  const bytes = r.buf.subarray(r.pos, r.pos + length);
  r.pos += length;
  return bytes;
}

function describeHeader(buf: Buffer, pos: number): DecodedBatchHeader {
  const header = readBatchHeader(buf, pos);
  const attributes = header.attributes;
  return {
    ...header,
    compression: (attributes & ATTRIBUTE.compressionMask) as CompressionCodecId,
    timestampType: ((attributes & ATTRIBUTE.timestampTypeLogAppend) !== 0 ? 1 : 0) as TimestampTypeId,
    transactional: (attributes & ATTRIBUTE.transactional) !== 0,
    control: (attributes & ATTRIBUTE.control) !== 0,
  };
}

/** The absolute offset of a decoded record. */
export function recordOffset(header: DecodedBatchHeader, record: DecodedRecord): bigint {
  return header.baseOffset + BigInt(record.offsetDelta);
}

/** The record's timestamp: the batch's maxTimestamp under LogAppendTime (as Kafka defines), else base + delta. */
export function recordTimestamp(header: DecodedBatchHeader, record: DecodedRecord): bigint {
  return header.timestampType === 1 ? header.maxTimestamp : header.baseTimestamp + BigInt(record.timestampDelta);
}

/** Decodes the batch at `pos` after it has been validated (length, magic, count, CRC). */
function decodeValidated(buf: Buffer, pos: number, size: number, options: DecodeOptions): DecodedRecordBatch {
  const header = describeHeader(buf, pos);
  const start = pos + BATCH_HEADER_SIZE;
  const end = pos + size;
  if (header.compression === 0) return { header, records: decodeRecords(buf, start, end, header.recordCount) };
  if (header.compression > 4) {
    throw new RecordBatchError('bad-compression', `unknown compression codec ${header.compression}`, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  }
  let plain: Buffer;
  try {
    plain = decompress(header.compression, buf.subarray(start, end), options);
  } catch (e) {
    if (e instanceof CompressionError) {
      throw new RecordBatchError(e.tooLarge ? 'too-large' : 'bad-compression', e.message, ErrorCode.CORRUPT_MESSAGE, e);
    }
    throw e;
  }
  return { header, records: decodeRecords(plain, 0, plain.length, header.recordCount) };
}

/**
 * Decodes the one batch at the start of `buf` (bytes after it are ignored). Checks length, magic, record
 * count and CRC32C first; throws RecordBatchError on any problem.
 */
export function decodeRecordBatch(buf: Buffer, options: DecodeOptions = {}): DecodedRecordBatch {
  const checked = validateBatch(buf, 0, buf.length);
  if (!checked.ok) throw problemError(checked.problem);
  return decodeValidated(buf, 0, checked.size, options);
}

/**
 * Yields each batch of a concatenation (a Produce partition's records, a Fetch response, a log segment).
 * A partial batch at the end, as Fetch may return, ends the iteration quietly; a complete batch that is
 * corrupt throws.
 */
export function* iterateRecordBatches(buf: Buffer, options: DecodeOptions = {}): Generator<DecodedRecordBatch> {
  let pos = 0;
  while (pos < buf.length) {
    const have = buf.length - pos;
    if (have < BATCH_HEADER_SIZE) return;
    const batchLength = buf.readInt32BE(pos + BATCH_OFFSET.batchLength);
    if (batchLength >= BATCH_HEADER_SIZE - BATCH_LENGTH_PREFIX && batchLength + BATCH_LENGTH_PREFIX > have) return;
    const checked = validateBatch(buf, pos, buf.length);
    if (!checked.ok) throw problemError(checked.problem);
    yield decodeValidated(buf, pos, checked.size, options);
    pos += checked.size;
  }
}

/** All batches of a concatenation; see iterateRecordBatches. */
export function decodeRecordBatches(buf: Buffer, options: DecodeOptions = {}): DecodedRecordBatch[] {
  return [...iterateRecordBatches(buf, options)];
}
