/**
 * Pass 2 of a clean: one segment's batches rewritten to keep only what compaction keeps.
 * - a keyed record survives if it is its key's latest (per the plan); a record without key is kept as is;
 * - the latest record of a key with a null value (tombstone) goes once its batch is older than
 *   delete.retention.ms;
 * - batches of aborted transactions go; transaction markers stay (as Kafka keeps them until the data of
 *   their transaction is gone; see the README for the difference);
 * - a batch that keeps every record is copied byte for byte; one that keeps some is re-encoded with its
 *   header fields, codec and offsets (so offsets never move: compaction leaves gaps), and a fresh CRC32C
 *   (native, through encodeRecordBatch); one that keeps none is dropped.
 */
import { BATCH_OFFSET, BATCH_LENGTH_PREFIX } from '../../../protocol/batch-header.js';
import { decodeRecordBatch } from '../../../protocol/record-batch-decode.js';
import { encodeRecordBatch } from '../../../protocol/record-batch-encode.js';
import type { DecodedRecord } from '../../../protocol/record-types.js';
import type { CleanPlan } from './key-map.js';
import { YieldBudget } from './throttle.js';

export interface RewriteOptions {
  nowMs: number;
  deleteRetentionMs: number;
}

export async function rewriteSegment(buf: Buffer, plan: CleanPlan, opts: RewriteOptions): Promise<Buffer> {
  const out: Buffer[] = [];
  const budget = new YieldBudget();
  for (let pos = 0; pos + BATCH_LENGTH_PREFIX <= buf.length; ) {
    const size = buf.readInt32BE(pos + BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
    const raw = buf.subarray(pos, pos + size);
    pos += size;
    const { header, records } = decodeRecordBatch(raw);
    await budget.spend(size, records.length);
    if (header.control || plan.undecided.has(header.baseOffset)) {
      out.push(raw);
      continue;
    }
    if (plan.abortedBatches.has(header.baseOffset)) continue;
    const tombstonesExpired = opts.deleteRetentionMs >= 0 && opts.nowMs - Number(header.maxTimestamp) > opts.deleteRetentionMs;
    const kept: DecodedRecord[] = records.filter((r) => {
      if (r.key === null) return true;
      if (plan.latest.get(r.key.toString('latin1')) !== header.baseOffset + BigInt(r.offsetDelta)) return false;
      return !(r.value === null && tombstonesExpired);
    });
    if (kept.length === records.length) out.push(raw);
    else if (kept.length > 0) {
      out.push(
        encodeRecordBatch({
          baseOffset: header.baseOffset,
          partitionLeaderEpoch: header.partitionLeaderEpoch,
          attributes: header.attributes,
          baseTimestamp: header.baseTimestamp,
          maxTimestamp: header.maxTimestamp,
          producerId: header.producerId,
          producerEpoch: header.producerEpoch,
          baseSequence: header.baseSequence,
          lastOffsetDelta: header.lastOffsetDelta,
          records: kept.map((r) => ({ offsetDelta: r.offsetDelta, timestampDelta: r.timestampDelta, key: r.key, value: r.value, headers: r.headers })),
        }),
      );
    }
  }
  return Buffer.concat(out);
}
