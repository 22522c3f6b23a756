/**
 * lz4 (codec 3): the standard LZ4 frame format (magic 0x184D2204) for RecordBatch v2. Kafka's Java client
 * writes frames with independent blocks and no content size; lz4-napi (lz4_flex) writes the same shape
 * (FLG 0x60: version 1, independent blocks) and reads any standard frame. The pre-0.10 header-checksum bug
 * only concerns magic 0/1 message sets, which this library does not handle.
 *
 * lz4-napi has no output limit, so the inflated size is measured first from the frame's block and sequence
 * headers (lz4-frame-size.ts) and nothing is inflated unless it is within the limit.
 */
import { compressFrameSync, decompressFrame, decompressFrameSync } from 'lz4-napi';
import { lz4InflatedSize } from './lz4-frame-size.js';
import { CompressionError } from './types.js';

export function lz4Compress(data: Buffer): Buffer {
  return compressFrameSync(data);
}

function checked(out: Buffer, expected: number): Buffer {
  // Never more than measured (a decoder that disagreed with the walk must not slip past the limit).
  if (out.length > expected) throw new CompressionError('lz4', `inflated to ${out.length} bytes, its blocks declare ${expected}`);
  return out;
}

export function lz4Decompress(data: Buffer, maxBytes: number): Buffer {
  const size = lz4InflatedSize(data, maxBytes);
  let out: Buffer;
  try {
    out = decompressFrameSync(data);
  } catch (e) {
    throw new CompressionError('lz4', (e as Error).message, false, { cause: e });
  }
  return checked(out, size);
}

/** As lz4Decompress, inflating on the libuv thread pool. */
export async function lz4DecompressAsync(data: Buffer, maxBytes: number): Promise<Buffer> {
  const size = lz4InflatedSize(data, maxBytes);
  let out: Buffer;
  try {
    out = await decompressFrame(data);
  } catch (e) {
    throw new CompressionError('lz4', (e as Error).message, false, { cause: e });
  }
  return checked(out, size);
}
