/** One entry point per direction over the five RecordBatch compression codecs. */
import { gzipCompress, gzipDecompress } from './gzip.js';
import { lz4Compress, lz4Decompress } from './lz4.js';
import { snappyCompress, snappyDecompress } from './snappy.js';
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
import { zstdCompress, zstdDecompress, zstdReady } from './zstd.js';

export * from './types.js';
export { isXerialFramed, XERIAL_MAGIC } from './snappy.js';
export { zstdDeclaredSize } from './zstd.js';

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

/** Throws CompressionError for corrupt input, unknown codecs, or output beyond the limit. */
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
