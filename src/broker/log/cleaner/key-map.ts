/**
 * Pass 1 of a clean (Kafka's LogCleaner "offset map"): the offset of the latest record of every key in the
 * cleanable range, and which transactional batches belong to aborted transactions. Keys are decoded here,
 * in the cleaner only; produce and fetch never decode records.
 *
 * The latest record of a key is the one with the highest offset outside aborted transactions. Keys of a
 * transactional batch wait for its transaction's marker: a COMMIT adds them (keeping the higher offset per
 * key, since later records may already be in the map), an ABORT drops them and marks the batches aborted.
 */
import { BATCH_OFFSET, BATCH_LENGTH_PREFIX } from '../../../protocol/batch-header.js';
import { decodeRecordBatch } from '../../../protocol/record-batch-decode.js';
import { CONTROL_TYPE } from '../../txn/control-batch.js';
import { YieldBudget } from './throttle.js';

interface PendingBatch {
  base: bigint;
  keys: [string, bigint][];
}

/** What the dedupe pass learned, fed segment by segment in offset order. */
export class CleanPlan {
  /** key (latin1 of its bytes) → offset of its latest record. */
  readonly latest = new Map<string, bigint>();
  /** Base offsets of transactional data batches whose transaction was aborted. */
  readonly abortedBatches = new Set<bigint>();
  /** Data batches of transactions with no marker in the range: kept whole, their keys shadow nothing. */
  readonly undecided = new Set<bigint>();
  /** Producer id → its data batches whose transaction has no marker yet. */
  private readonly open = new Map<bigint, PendingBatch[]>();

  /** Adds the whole batches of one segment's bytes, yielding to the event loop as it goes. */
  async addSegment(buf: Buffer): Promise<void> {
    const budget = new YieldBudget();
    for (let pos = 0; pos + BATCH_LENGTH_PREFIX <= buf.length; ) {
      const size = buf.readInt32BE(pos + BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
      const { header, records } = decodeRecordBatch(buf.subarray(pos, pos + size));
      pos += size;
      await budget.spend(size, records.length);
      if (header.control) {
        const key = records[0]?.key;
        const aborted = key !== undefined && key !== null && key.length >= 4 && key.readInt16BE(2) === CONTROL_TYPE.abort;
        const pending = this.open.get(header.producerId) ?? [];
        this.open.delete(header.producerId);
        for (const b of pending) {
          if (aborted) this.abortedBatches.add(b.base);
          else for (const [k, off] of b.keys) this.note(k, off);
        }
        continue;
      }
      if (header.transactional) {
        const keys: [string, bigint][] = [];
        for (const r of records) if (r.key !== null) keys.push([r.key.toString('latin1'), header.baseOffset + BigInt(r.offsetDelta)]);
        const list = this.open.get(header.producerId) ?? [];
        list.push({ base: header.baseOffset, keys });
        this.open.set(header.producerId, list);
        continue;
      }
      for (const r of records) if (r.key !== null) this.note(r.key.toString('latin1'), header.baseOffset + BigInt(r.offsetDelta));
    }
  }

  /** Call once every segment was added: transactions still open are undecided. */
  finish(): void {
    for (const list of this.open.values()) for (const b of list) this.undecided.add(b.base);
    this.open.clear();
  }

  private note(key: string, offset: bigint): void {
    const known = this.latest.get(key);
    if (known === undefined || offset > known) this.latest.set(key, offset);
  }
}
