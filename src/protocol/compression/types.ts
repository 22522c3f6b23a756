/** The compression codec in bits 0-2 of a RecordBatch's attributes (Kafka protocol, "Record Batch"). */
export const CompressionCodec = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof CompressionCodec;
export type CompressionCodecId = (typeof CompressionCodec)[CompressionName];

export const compressionNames: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export interface CompressOptions {
  /** Snappy only: raw snappy (what librdkafka writes) or the xerial framing Java clients write. */
  snappyFraming?: 'raw' | 'xerial';
  /** Codec-specific level (gzip 0-9, zstd 1-22); each codec's default otherwise. */
  level?: number;
}

export interface DecompressOptions {
  /** Refuse to inflate beyond this many bytes (decompression bombs). */
  maxDecompressedBytes?: number;
}

/** Default ceiling for one batch's decompressed records. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

/** Thrown by a codec for input it cannot decompress; the record decoder wraps it as CORRUPT_MESSAGE. */
export class CompressionError extends Error {
  constructor(
    readonly codec: CompressionName,
    message: string,
    readonly tooLarge = false,
    options?: { cause?: unknown },
  ) {
    super(`${codec}: ${message}`, options);
    this.name = 'CompressionError';
  }
}
