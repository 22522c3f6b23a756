/**
 * Bytes and records in and out per partition, kept beside each partition log (a WeakMap, so a deleted
 * topic's counters go with it). Records are counted from batch headers (record count field), never decoded.
 */
import { BATCH_LENGTH_PREFIX, BATCH_OFFSET } from '../../protocol/batch-header.js';
import type { PartitionLog } from '../log/partition-log.js';

export interface PartitionCounters {
  bytesIn: number;
  recordsIn: number;
  bytesOut: number;
  recordsOut: number;
}

/** Record count of the whole batches in `records` (a partial batch at the end, as Fetch may return, is skipped). */
export function recordsInBatches(records: Uint8Array): number {
  const view = Buffer.isBuffer(records) ? records : Buffer.from(records.buffer, records.byteOffset, records.byteLength);
  let pos = 0;
  let count = 0;
  const headerEnd = BATCH_OFFSET.recordCount + 4;
  while (pos + headerEnd <= view.length) {
    const size = view.readInt32BE(pos + BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
    if (size < headerEnd || pos + size > view.length) break;
    count += view.readInt32BE(pos + BATCH_OFFSET.recordCount);
    pos += size;
  }
  return count;
}

export class PartitionCounterMap {
  private readonly map = new WeakMap<PartitionLog, PartitionCounters>();

  of(log: PartitionLog): PartitionCounters {
    let c = this.map.get(log);
    if (!c) this.map.set(log, (c = { bytesIn: 0, recordsIn: 0, bytesOut: 0, recordsOut: 0 }));
    return c;
  }

  peek(log: PartitionLog): PartitionCounters | undefined {
    return this.map.get(log);
  }
}
