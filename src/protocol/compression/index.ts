/** One entry point per direction over the five RecordBatch compression codecs. */
import { gzipCompress, gzipDecompress, gzipDecompressAsync } from './gzip.js';
import { lz4Compress, lz4Decompress, lz4DecompressAsync } from './lz4.js';
import { snappyCompress, snappyDecompress, snappyDecompressAsync } from './snappy.js';
import {
  CompressionCodec,
  CompressionError,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  compressionNames,
  type CompressOptions,
  type CompressionCodecId,
  type CompressionName,
  type DecompressOptions,
} from './types.js';
import { zstdCompress, zstdDecompress, zstdDecompressAsync, zstdReady } from './zstd.js';

export * from './types.js';
export { isXerialFramed, XERIAL_MAGIC } from './snappy.js';
export { zstdDeclaredSize } from './zstd.js';
export { lz4InflatedSize } from './lz4-frame-size.js';

/** Await once before compressing or decompressing zstd (the other codecs are ready at once). */
export function initCompression(): Promise<void> {
  return zstdReady();
}

export function compressionName(codec: number): CompressionName {
  const name = compressionNames[codec];
  if (name === undefined) throw new CompressionError('none', `unknown compression codec ${codec} (Kafka defines 0-4)`);
  return name;
}

export function toCodecId(codec: CompressionCodecId | CompressionName | undefined): CompressionCodecId {
  if (codec === undefined) return CompressionCodec.none;
  if (typeof codec === 'string') {
    const id = CompressionCodec[codec];
    if (id === undefined) throw new CompressionError('none', `unknown compression "${String(codec)}"`);
    return id;
  }
  compressionName(codec);
  return codec;
}

export function compress(codec: number, data: Buffer, options: CompressOptions = {}): Buffer {
  switch (codec) {
    case CompressionCodec.none:
      return data;
    case CompressionCodec.gzip:
      return gzipCompress(data, options);
    case CompressionCodec.snappy:
      return snappyCompress(data, options);
    case CompressionCodec.lz4:
      return lz4Compress(data);
    case CompressionCodec.zstd:
      return zstdCompress(data, options);
    default:
      throw new CompressionError('none', `unknown compression codec ${String(codec)}`);
  }
}

/**
 * Throws CompressionError for corrupt input, unknown codecs, or output beyond the limit. Every codec
 * enforces the limit before or while inflating (zlib's maxOutputLength, snappy's declared block lengths,
 * the LZ4 frame's measured size, zstd's bounded output buffer), never by inflating first.
 */
export function decompress(codec: number, data: Buffer, options: DecompressOptions = {}): Buffer {
  const max = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  switch (codec) {
    case CompressionCodec.none:
      return data;
    case CompressionCodec.gzip:
      return gzipDecompress(data, max);
    case CompressionCodec.snappy:
      return snappyDecompress(data, max);
    case CompressionCodec.lz4:
      return lz4Decompress(data, max);
    case CompressionCodec.zstd:
      return zstdDecompress(data, max);
    default:
      throw new CompressionError('none', `unknown compression codec ${codec} (Kafka defines 0-4)`);
  }
}

/**
 * As `decompress`, for servers: the same limits, but the inflating runs on the libuv thread pool (gzip,
 * snappy, lz4) or a worker thread (large zstd frames), so a large batch does not stall the event loop.
 */
export async function decompressAsync(codec: number, data: Buffer, options: DecompressOptions = {}): Promise<Buffer> {
  const max = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  switch (codec) {
    case CompressionCodec.none:
      return data;
    case CompressionCodec.gzip:
      return gzipDecompressAsync(data, max);
    case CompressionCodec.snappy:
      return snappyDecompressAsync(data, max);
    case CompressionCodec.lz4:
      return lz4DecompressAsync(data, max);
    case CompressionCodec.zstd:
      await zstdReady();
      return zstdDecompressAsync(data, max);
    default:
      throw new CompressionError('none', `unknown compression codec ${codec} (Kafka defines 0-4)`);
  }
}
