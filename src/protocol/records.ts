/**
 * RecordBatch v2 — the unit Kafka producers send, brokers store and consumers fetch: the 61-byte header
 * (batch-header.ts), records with zig-zag varints and headers, CRC32C (native), the attribute bits
 * (compression, timestamp type, transactional, control) and the five compression codecs.
 *
 * zstd runs in wasm: `await initCompression()` once before encoding or decoding zstd batches.
 */
export * from './batch-header.js';
export * from './record-types.js';
export { RecordBatchError, type RecordBatchProblem } from './record-batch-error.js';
export { encodeRecordBatch, encodeRecordBatchChunks } from './record-batch-encode.js';
export {
  decodeRecordBatch,
  decodeRecordBatches,
  decodeRecords,
  iterateRecordBatches,
  recordOffset,
  recordTimestamp,
  type DecodeOptions,
} from './record-batch-decode.js';
export {
  CompressionCodec,
  CompressionError,
  compress,
  compressionName,
  decompress,
  initCompression,
  type CompressionCodecId,
  type CompressionName,
  type CompressOptions,
  type DecompressOptions,
} from './compression/index.js';
