/**
 * Reading a read_committed fetch as Kafka's consumers do (KIP-98): the broker returns data up to the last
 * stable offset with the aborted transactions of that range; a batch of an aborted transaction (its
 * producer id listed with a first offset at or below the batch) is skipped until that producer's ABORT
 * marker. Used only when a fetch reports aborted transactions or one is still being skipped, so replay of a
 * topic without aborts walks batches exactly as before.
 */
import { BATCH_HEADER_SIZE, BATCH_LENGTH_PREFIX, BATCH_OFFSET, ATTRIBUTE } from '../protocol/batch-header.js';
import { forEachRecord } from './event-batch.js';

export interface AbortedTxnRange {
  producerId: bigint;
  firstOffset: bigint;
}

/** The control record type of an ABORT marker (key: version int16, type int16; 0 = ABORT, 1 = COMMIT). */
const ABORT = 0;

export class AbortedFilter {
  /** Aborted transactions not reached yet, by first offset. */
  private upcoming: AbortedTxnRange[] = [];
  /** Producers whose batches are being skipped until their ABORT marker. */
  private readonly skipping = new Set<bigint>();

  /** Whether `forEach` must run instead of the plain walk. */
  get active(): boolean {
    return this.upcoming.length > 0 || this.skipping.size > 0;
  }

  add(aborted: readonly AbortedTxnRange[]): void {
    for (const a of aborted) if (!this.upcoming.some((u) => u.producerId === a.producerId && u.firstOffset === a.firstOffset)) this.upcoming.push(a);
    this.upcoming.sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  }

  /** As `forEachRecord`, skipping the records of aborted transactions; returns the next offset to fetch. */
  forEach(records: Buffer, fromOffset: bigint, onRecord: (offset: bigint, value: Buffer | null) => void, checkCrc = false): bigint {
    let pos = 0;
    let next = fromOffset;
    while (records.length - pos >= BATCH_HEADER_SIZE) {
      const size = records.readInt32BE(pos + BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
      if (size < BATCH_HEADER_SIZE || pos + size > records.length) break;
      const batch = records.subarray(pos, pos + size);
      pos += size;
      const base = batch.readBigInt64BE(BATCH_OFFSET.baseOffset);
      const last = base + BigInt(batch.readInt32BE(BATCH_OFFSET.lastOffsetDelta));
      while (this.upcoming.length > 0 && (this.upcoming[0] as AbortedTxnRange).firstOffset <= last) this.skipping.add((this.upcoming.shift() as AbortedTxnRange).producerId);
      const attributes = batch.readInt16BE(BATCH_OFFSET.attributes);
      const producerId = batch.readBigInt64BE(BATCH_OFFSET.producerId);
      if ((attributes & ATTRIBUTE.control) !== 0) {
        if (this.skipping.has(producerId) && controlType(batch) === ABORT) this.skipping.delete(producerId);
      } else if ((attributes & ATTRIBUTE.transactional) !== 0 && this.skipping.has(producerId)) {
        // an aborted transaction's batch: never delivered
      } else if (last >= next) {
        forEachRecord(batch, next, onRecord, checkCrc);
      }
      if (last >= next) next = last + 1n;
    }
    return next;
  }
}

/** The type of the control record in a control batch (uncompressed: markers are written that way). */
function controlType(batch: Buffer): number {
  // First record: length varint, attributes (1), timestamp delta varint, offset delta varint, key length varint, key.
  let p = BATCH_HEADER_SIZE;
  const skipVarint = (): number => {
    let u = 0;
    let shift = 0;
    for (;;) {
      const byte = batch[p++] ?? 0;
      u |= (byte & 0x7f) << shift;
      if (byte < 0x80) return u;
      shift += 7;
    }
  };
  skipVarint(); // record length
  p++; // attributes
  skipVarint(); // timestamp delta
  skipVarint(); // offset delta
  skipVarint(); // key length
  return batch.length >= p + 4 ? batch.readInt16BE(p + 2) : -1;
}
