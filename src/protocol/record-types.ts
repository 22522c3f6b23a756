/** The shapes of RecordBatch v2 and its records, as encoded and decoded by records.ts. */
import type { BatchHeader } from './batch-header.js';
import type { CompressionCodecId, CompressionName, CompressOptions } from './compression/types.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
  /** Milliseconds after the batch's baseTimestamp; defaults to 0. */
  timestampDelta?: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: readonly RecordHeader[];
}

export interface DecodedRecord {
  /** Unused by Kafka so far (always 0), kept as read. */
  attributes: number;
  offsetDelta: number;
  timestampDelta: number;
  /** Subarrays of the batch (or of its decompressed records): no copies. */
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export const TimestampType = { createTime: 0, logAppendTime: 1 } as const;
export type TimestampTypeId = (typeof TimestampType)[keyof typeof TimestampType];

export interface RecordBatchInput extends CompressOptions {
  baseOffset?: bigint | number;
  /** -1 (no epoch) as producers send it, unless given. */
  partitionLeaderEpoch?: number;
  /** Raw attribute bits; the explicit fields below override the bits they name. */
  attributes?: number;
  compression?: CompressionCodecId | CompressionName;
  timestampType?: TimestampTypeId | 'create' | 'log-append';
  transactional?: boolean;
  control?: boolean;
  /** Defaults to now. */
  baseTimestamp?: bigint | number;
  /** Defaults to baseTimestamp + the largest timestampDelta. */
  maxTimestamp?: bigint | number;
  /** -1 (no idempotence) unless given. */
  producerId?: bigint | number;
  producerEpoch?: number;
  baseSequence?: number;
  /** Defaults to the last record's offsetDelta (0 for an empty batch). */
  lastOffsetDelta?: number;
  records: readonly RecordInput[];
}

export interface DecodedBatchHeader extends BatchHeader {
  compression: CompressionCodecId;
  timestampType: TimestampTypeId;
  transactional: boolean;
  control: boolean;
}

export interface DecodedRecordBatch {
  header: DecodedBatchHeader;
  records: DecodedRecord[];
}
