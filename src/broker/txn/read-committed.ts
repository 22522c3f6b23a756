/**
 * Fetch with isolation_level = read_committed (1): data only below the last stable offset, and the aborted
 * transactions of the range returned, which consumers use to drop aborted batches. Batch headers only.
 * read_uncommitted fetches never come here.
 */
import { BATCH_LENGTH_PREFIX, BATCH_OFFSET } from '../../protocol/batch-header.js';
import type { PartitionLog } from '../log/partition-log.js';
import type { PartitionTxns } from './partition-txns.js';

export const READ_COMMITTED = 1;

/** `records` cut before the first batch at or above `lastStable` (batches are whole; markers sit between). */
export function trimToStable(records: Buffer, lastStable: bigint): Buffer {
  let pos = 0;
  while (pos + BATCH_OFFSET.batchLength + 4 <= records.length) {
    if (records.readBigInt64BE(pos + BATCH_OFFSET.baseOffset) >= lastStable) break;
    const size = records.readInt32BE(pos + BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
    if (size <= BATCH_LENGTH_PREFIX) break;
    pos += size;
  }
  return pos >= records.length ? records : records.subarray(0, pos);
}

/** The offset after the last whole batch of `records`, or `fallback` when there is none. */
function endOffset(records: Buffer, fallback: bigint): bigint {
  let pos = 0;
  let end = fallback;
  while (pos + BATCH_OFFSET.lastOffsetDelta + 4 <= records.length) {
    const size = records.readInt32BE(pos + BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
    if (size <= BATCH_LENGTH_PREFIX || pos + size > records.length) break;
    end = records.readBigInt64BE(pos) + BigInt(records.readInt32BE(pos + BATCH_OFFSET.lastOffsetDelta)) + 1n;
    pos += size;
  }
  return end;
}

/** Aborted transactions that overlap the returned records, in the Fetch response's shape. */
export function abortedTransactionsFor(txns: PartitionTxns, log: PartitionLog, fetchOffset: bigint, records: Buffer): { producerId: bigint; firstOffset: bigint }[] {
  if (records.length === 0 || !txns.hasAborted(log)) return [];
  return txns.abortedIn(log, fetchOffset, endOffset(records, fetchOffset)).map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }));
}
