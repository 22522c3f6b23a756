/**
 * Helpers for the transaction tests: a read_committed (or read_uncommitted) reader over raw Fetch requests
 * that applies the aborted-transactions list as a Kafka consumer does, so the tests check what the broker
 * sends, not only what one client makes of it.
 */
import { Fetch, type FetchResponse } from '../../../src/protocol/messages/fetch.js';
import { decodeRecordBatches } from '../../../src/protocol/records.js';
import { fetchRequest, RawClient } from '../helpers.js';

export interface IsolatedRead {
  values: string[];
  /** Control records a client would have handed out as data had it not filtered them (always 0 when correct). */
  controlRecordsSeen: number;
  /** Control batches present in what the broker sent. */
  markers: { offset: bigint; commit: boolean; producerId: bigint }[];
  lastStableOffset: bigint;
  highWatermark: bigint;
}

/**
 * Reads a partition from 0 up to what Fetch returns (read_committed: the LSO), dropping batches of aborted
 * transactions by the response's aborted_transactions list and skipping control batches, as a consumer.
 */
export async function readIsolated(broker: { host: string; port: number }, topic: string, partition: number, committed: boolean): Promise<IsolatedRead> {
  const c = await RawClient.connect(broker);
  const out: IsolatedRead = { values: [], controlRecordsSeen: 0, markers: [], lastStableOffset: -1n, highWatermark: -1n };
  try {
    let offset = 0n;
    const aborting = new Set<bigint>();
    for (;;) {
      const res: FetchResponse = await c.request(Fetch, 11, fetchRequest(topic, partition, offset, { isolationLevel: committed ? 1 : 0 }));
      const p = res.responses[0]!.partitions[0]!;
      if (p.errorCode !== 0) throw new Error(`fetch error ${p.errorCode}`);
      out.lastStableOffset = p.lastStableOffset;
      out.highWatermark = p.highWatermark;
      const aborted = [...(p.abortedTransactions ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
      const records = p.records ?? Buffer.alloc(0);
      if (records.length === 0) break;
      for (const batch of decodeRecordBatches(records)) {
        const h = batch.header;
        while (aborted.length > 0 && aborted[0]!.firstOffset <= h.baseOffset + BigInt(h.lastOffsetDelta)) aborting.add(aborted.shift()!.producerId);
        if (h.control) {
          const type = batch.records[0]!.key!.readInt16BE(2);
          out.markers.push({ offset: h.baseOffset, commit: type === 1, producerId: h.producerId });
          if (type === 0) aborting.delete(h.producerId);
        } else if (!(committed && h.transactional && aborting.has(h.producerId))) {
          for (const r of batch.records) out.values.push(r.value?.toString() ?? '');
        }
        offset = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
      }
    }
  } finally {
    c.close();
  }
  return out;
}
