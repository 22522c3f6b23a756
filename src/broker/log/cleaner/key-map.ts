/**
 * Pass 1 of a clean (Kafka's LogCleaner "offset map"): the offset of the latest record of every key in the
 * cleanable range, and which transactional batches belong to aborted transactions. Keys are decoded here,
 * in the cleaner only; produce and fetch never decode records.
 */
import { BATCH_OFFSET, BATCH_LENGTH_PREFIX } from '../../../protocol/batch-header.js';
import { decodeRecordBatch } from '../../../protocol/record-batch-decode.js';
import { CONTROL_TYPE } from '../../txn/control-batch.js';
import { yieldToLoop, YIELD_EVERY_BYTES } from './throttle.js';

/** What the dedupe pass learned, fed segment by segment in offset order. */
export class CleanPlan {
  /** key (latin1 of its bytes) → offset of its latest record. */
  readonly latest = new Map<string, bigint>();
  /** Base offsets of transactional data batches whose transaction was aborted. */
  readonly abortedBatches = new Set<bigint>();
  /** Producer id → base offsets of its data batches whose transaction has no marker yet. */
  private readonly open = new Map<bigint, bigint[]>();

  /** Adds the whole batches of one segment's bytes. Records of aborted transactions never enter the map. */
  async addSegment(buf: Buffer): Promise<void> {
    let sinceYield = 0;
    const dataBatches: { base: bigint; producerId: bigint; transactional: boolean; keys: [string, bigint][] }[] = [];
    for (let pos = 0; pos + BATCH_LENGTH_PREFIX <= buf.length; ) {
      const size = buf.readInt32BE(pos + BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
      const { header, records } = decodeRecordBatch(buf.subarray(pos, pos + size));
      pos += size;
      sinceYield += size;
      if (sinceYield >= YIELD_EVERY_BYTES) {
        sinceYield = 0;
        await yieldToLoop();
      }
      if (header.control) {
        const key = records[0]?.key;
        const aborted = key !== undefined && key !== null && key.length >= 4 && key.readInt16BE(2) === CONTROL_TYPE.abort;
        const pending = this.open.get(header.producerId) ?? [];
        this.open.delete(header.producerId);
        if (aborted) for (const b of pending) this.abortedBatches.add(b);
        continue;
      }
      if (header.transactional) {
        const list = this.open.get(header.producerId) ?? [];
        list.push(header.baseOffset);
        this.open.set(header.producerId, list);
      }
      const keys: [string, bigint][] = [];
      for (const r of records) if (r.key !== null) keys.push([r.key.toString('latin1'), header.baseOffset + BigInt(r.offsetDelta)]);
      dataBatches.push({ base: header.baseOffset, producerId: header.producerId, transactional: header.transactional, keys });
    }
    this.pendingKeys.push(...dataBatches);
  }

  private readonly pendingKeys: { base: bigint; transactional: boolean; keys: [string, bigint][] }[] = [];

  /**
   * Settles the map once every segment was added: keys of aborted batches are left out. Batches of
   * transactions still open at the end of the range stay (their outcome is unknown) but do not shadow keys.
   */
  finish(): void {
    const undecided = new Set<bigint>();
    for (const list of this.open.values()) for (const b of list) undecided.add(b);
    for (const b of this.pendingKeys) {
      if (this.abortedBatches.has(b.base) || undecided.has(b.base)) continue;
      for (const [k, off] of b.keys) this.latest.set(k, off);
    }
    this.pendingKeys.length = 0;
    this.undecided = undecided;
  }

  /** Data batches of transactions with no marker in the range: kept whole. */
  undecided = new Set<bigint>();
}
