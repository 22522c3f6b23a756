/**
 * Pass 2 of a clean: one segment's batches rewritten to keep only what compaction keeps (Kafka 3.x's
 * LogCleaner.cleanInto and its record filter).
 * - a keyed record survives if no later record of its key is in the map; a record past the map's range
 *   (`plan.end`) always survives; a record without key is kept as is;
 * - tombstones (KIP-534): the first clean that keeps a tombstone stamps its batch with a delete horizon,
 *   now + delete.retention.ms, in the base timestamp field with attribute bit 6 (record timestamp deltas are
 *   re-based so every record keeps its timestamp); a clean after the horizon drops the tombstone;
 * - batches of aborted transactions go; a COMMIT marker whose transaction has no data left in the log gets a
 *   delete horizon the same way and goes at a clean after it (Kafka's CleanedTransactionMetadata). ABORT
 *   markers stay: the transaction index (.txnindex) still names them, and Kafka drops one only while
 *   rewriting that index, which this cleaner does not do;
 * - a batch that keeps every record unchanged is copied byte for byte; one that changes is re-encoded with
 *   its header fields, codec and offsets (offsets never move: compaction leaves gaps) and a fresh CRC32C
 *   (native, through encodeRecordBatch); one that keeps none is dropped.
 */
import { ATTRIBUTE, readBatchHeader } from '../../../protocol/batch-header.js';
import { decodeRecordBatch } from '../../../protocol/record-batch-decode.js';
import { encodeRecordBatch } from '../../../protocol/record-batch-encode.js';
import type { DecodedRecord, DecodedRecordBatch } from '../../../protocol/record-types.js';
import { CONTROL_TYPE } from '../../txn/control-batch.js';
import type { CleanPlan } from './key-map.js';

export interface RewriteOptions {
  nowMs: number;
  deleteRetentionMs: number;
}

/** Carried across the segments of one clean, in offset order from the start of the log. */
export class RewriteState {
  /** Producers whose current transaction still has data in the log (so its marker must stay). */
  private readonly txnHasData = new Set<bigint>();
  /** The latest delete horizon this clean stamped, if any (for the log's next tombstone-only clean). */
  latestHorizon: number | undefined;

  constructor(
    readonly plan: CleanPlan,
    readonly opts: RewriteOptions,
  ) {}

  /**
   * What to write for one batch: the same buffer (kept as is), a new one, or null (dropped). Decodes only
   * what it must: batches past the map's range and undecided ones are copied without decoding.
   */
  filter(raw: Buffer): Buffer | null {
    const h = readBatchHeader(raw);
    const transactional = (h.attributes & ATTRIBUTE.transactional) !== 0;
    const control = (h.attributes & ATTRIBUTE.control) !== 0;
    if (h.baseOffset >= this.plan.end || (!control && this.plan.undecided.has(h.baseOffset))) {
      if (transactional && !control) this.txnHasData.add(h.producerId);
      if (control) this.txnHasData.delete(h.producerId);
      return raw;
    }
    if (!control && this.plan.abortedBatches.has(h.baseOffset)) return null;
    const batch = decodeRecordBatch(raw);
    return control ? this.filterMarker(raw, batch) : this.filterData(raw, batch, transactional);
  }

  private filterMarker(raw: Buffer, { header, records }: DecodedRecordBatch): Buffer | null {
    const hadData = this.txnHasData.delete(header.producerId);
    const key = records[0]?.key;
    const commit = key !== undefined && key !== null && key.length >= 4 && key.readInt16BE(2) === CONTROL_TYPE.commit;
    if (!commit || hadData) return raw;
    const horizon = deleteHorizon(header.attributes, header.baseTimestamp);
    if (horizon !== undefined) return horizon <= this.opts.nowMs ? null : raw;
    return this.stamp(header, records);
  }

  private filterData(raw: Buffer, { header, records }: DecodedRecordBatch, transactional: boolean): Buffer | null {
    const plan = this.plan;
    const horizon = deleteHorizon(header.attributes, header.baseTimestamp);
    const keepTombstones = horizon === undefined || this.opts.nowMs < horizon;
    let tombstones = 0;
    const base = Number(header.baseOffset);
    const end = Number(plan.end);
    const kept: DecodedRecord[] = records.filter((r) => {
      if (r.key === null) return true;
      const offset = base + r.offsetDelta;
      if (offset >= end) return true;
      if (offset < plan.map.get(r.key)) return false;
      if (r.value !== null) return true;
      if (keepTombstones) tombstones++;
      return keepTombstones;
    });
    if (kept.length === 0) return null;
    if (transactional) this.txnHasData.add(header.producerId);
    const stampNow = tombstones > 0 && horizon === undefined;
    if (kept.length === records.length && !stampNow) return raw;
    return stampNow ? this.stamp(header, kept) : reencode(header, kept, header.attributes, header.baseTimestamp);
  }

  /** The batch with a delete horizon of now + delete.retention.ms. */
  private stamp(header: DecodedRecordBatch['header'], records: readonly DecodedRecord[]): Buffer {
    const horizon = this.opts.nowMs + Math.max(0, this.opts.deleteRetentionMs);
    if (this.latestHorizon === undefined || horizon > this.latestHorizon) this.latestHorizon = horizon;
    return reencode(header, records, header.attributes | ATTRIBUTE.deleteHorizon, BigInt(horizon));
  }
}

/** KIP-534: the batch's delete horizon, when its attributes carry one (then it is the base timestamp). */
export function deleteHorizon(attributes: number, baseTimestamp: bigint): number | undefined {
  return (attributes & ATTRIBUTE.deleteHorizon) !== 0 ? Number(baseTimestamp) : undefined;
}

/** The batch re-encoded with `records`, its header kept but for attributes and base timestamp. */
function reencode(header: DecodedRecordBatch['header'], records: readonly DecodedRecord[], attributes: number, baseTimestamp: bigint): Buffer {
  // Each record keeps its absolute timestamp: deltas are re-based on the (possibly new) base timestamp.
  const shift = Number(header.baseTimestamp - baseTimestamp);
  return encodeRecordBatch({
    baseOffset: header.baseOffset,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    attributes,
    baseTimestamp,
    maxTimestamp: header.maxTimestamp,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    lastOffsetDelta: header.lastOffsetDelta,
    records: records.map((r) => ({ offsetDelta: r.offsetDelta, timestampDelta: r.timestampDelta + shift, key: r.key, value: r.value, headers: r.headers })),
  });
}
