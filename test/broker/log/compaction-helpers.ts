/** Shared by the compaction tests: keyed batches in, (offset, key, value) records out. */
import { decodeRecordBatches, encodeRecordBatch } from '../../../src/protocol/records.js';
import { validateBatch } from '../../../src/protocol/batch-header.js';
import type { PartitionLog } from '../../../src/broker/log/partition-log.js';

export interface KeyedRecord {
  key: string;
  /** null = tombstone */
  value: string | null;
}

export interface ReadRecord extends KeyedRecord {
  offset: bigint;
}

export function keyedBatch(records: readonly KeyedRecord[], baseTimestamp: number, opts: { compression?: 'gzip' | 'lz4' | 'zstd' } = {}): Buffer {
  return encodeRecordBatch({
    baseTimestamp: BigInt(baseTimestamp),
    ...(opts.compression ? { compression: opts.compression } : {}),
    records: records.map((r) => ({ key: Buffer.from(r.key), value: r.value === null ? null : Buffer.from(r.value) })),
  });
}

/** Every data record of the partition from its start, following gaps, CRCs checked. */
export async function readRecords(log: PartitionLog, maxBytes = 4096): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  let next = log.logStartOffset;
  while (next < log.highWatermark) {
    const { records } = await log.read(next, maxBytes);
    if (records === null) throw new Error(`no records at ${next} below the high watermark ${log.highWatermark}`);
    for (let pos = 0; pos < records.length; ) {
      const v = validateBatch(records, pos);
      if (!v.ok) throw new Error(`bad batch at ${pos}`);
      pos += v.size;
    }
    for (const b of decodeRecordBatches(records)) {
      next = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
      if (b.header.control) continue;
      for (const r of b.records) {
        out.push({ offset: b.header.baseOffset + BigInt(r.offsetDelta), key: r.key?.toString() ?? '', value: r.value === null ? null : r.value.toString() });
      }
    }
  }
  return out;
}

/** The key → value map a consumer builds from `records` in order (a tombstone removes its key). */
export function latestMap(records: readonly KeyedRecord[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of records) {
    if (r.value === null) m.delete(r.key);
    else m.set(r.key, r.value);
  }
  return m;
}
