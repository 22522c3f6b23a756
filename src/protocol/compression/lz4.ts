/**
 * lz4 (codec 3): the standard LZ4 frame format (magic 0x184D2204) for RecordBatch v2. Kafka's Java client
 * writes frames with independent blocks and no content size; lz4-napi (lz4_flex) writes the same shape
 * (FLG 0x60: version 1, independent blocks) and reads any standard frame. The pre-0.10 header-checksum bug
 * only concerns magic 0/1 message sets, which this library does not handle.
 */
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { CompressionError } from './types.js';

const LZ4_FRAME_MAGIC = 0x184d2204;

export function lz4Compress(data: Buffer): Buffer {
  return compressFrameSync(data);
}

export function lz4Decompress(data: Buffer, maxBytes: number): Buffer {
  if (data.length < 7 || data.readUInt32LE(0) !== LZ4_FRAME_MAGIC) {
    throw new CompressionError('lz4', 'not an LZ4 frame (bad magic)');
  }
  let out: Buffer;
  try {
    out = decompressFrameSync(data);
  } catch (e) {
    throw new CompressionError('lz4', (e as Error).message, false, { cause: e });
  }
  // lz4-napi has no output limit; check afterwards so callers still get a consistent error.
  if (out.length > maxBytes) throw new CompressionError('lz4', `inflates to ${out.length} bytes, over the ${maxBytes} limit`, true);
  return out;
}
