/**
 * Pass 1 of a clean (Kafka's buildOffsetMap): from the first dirty offset on, the offset of the latest record
 * of every key, in a bounded OffsetMap, and which transactional batches belong to aborted transactions.
 * Keys are decoded here, in the cleaner only; produce and fetch never decode records.
 *
 * The map takes keys until log.cleaner.io.buffer.load.factor of its slots are used; the record that does
 * not fit ends the pass (`end`), as in Kafka, where the cleanable range then ends at the map's latest
 * offset + 1 and the next clean continues from there.
 *
 * Keys of a transactional batch wait for its transaction's marker (Kafka learns aborted transactions from its
 * transaction index instead; this cleaner sees the markers): a COMMIT puts them (keeping the higher offset
 * per key, since later records may already be in the map), an ABORT drops them and marks the batches
 * aborted. Waiting keys are kept as digests and count against the map's bound, as do the batch offsets
 * remembered, so memory stays within what the map was given.
 */
import { decodeRecordBatch } from '../../../protocol/record-batch-decode.js';
import { CONTROL_TYPE } from '../../txn/control-batch.js';
import type { OffsetMap } from './offset-map.js';

interface PendingBatch {
  base: bigint;
  /** The keys' digests, four words each, and their offsets. */
  digests: Int32Array;
  offsets: number[];
}

export interface PlanLimits {
  /** Stop adding keys at this fraction of the map's slots (log.cleaner.io.buffer.load.factor). */
  loadFactor: number;
}

/** What the dedupe pass learned, fed batch by batch in offset order. */
export class CleanPlan {
  /** Base offsets of transactional data batches whose transaction was aborted. */
  readonly abortedBatches = new Set<bigint>();
  /** Data batches of transactions with no marker before `end`: kept whole, their keys shadow nothing. */
  readonly undecided = new Set<bigint>();
  /**
   * Where the mapped range ends (exclusive): every record below it that the map covers was seen. Records at or
   * past it are kept as they are by the rewrite.
   */
  end: bigint;
  /** The map filled before the cleanable range did. */
  full = false;
  /** Producer id → its data batches whose transaction has no marker yet. */
  private readonly open = new Map<bigint, PendingBatch[]>();
  private pendingKeys = 0;
  private readonly maxEntries: number;

  constructor(
    readonly map: OffsetMap,
    /** The first dirty offset: keys below it are not mapped (the clean part holds them once already). */
    readonly start: bigint,
    limits: PlanLimits,
  ) {
    this.end = start;
    this.maxEntries = Math.max(1, Math.floor(map.slots * limits.loadFactor));
  }

  /** Map slots and remembered batches in use, against `maxEntries`. */
  private get used(): number {
    return this.map.size + this.pendingKeys + this.abortedBatches.size;
  }

  /** Adds one batch; false when the map is full (`end` then says how far it got). Records below `start` are skipped. */
  addBatch(raw: Buffer): boolean {
    const { header, records } = decodeRecordBatch(raw);
    const last = header.baseOffset + BigInt(header.lastOffsetDelta);
    if (last < this.start) return true;
    if (header.control) {
      const key = records[0]?.key;
      const aborted = key !== undefined && key !== null && key.length >= 4 && key.readInt16BE(2) === CONTROL_TYPE.abort;
      const pending = this.open.get(header.producerId) ?? [];
      this.open.delete(header.producerId);
      for (const b of pending) {
        this.pendingKeys -= b.offsets.length;
        if (aborted) this.abortedBatches.add(b.base);
        // A full table (only when one transaction outgrew a tiny map) leaves keys out: they then shadow
        // nothing, which keeps an older duplicate but never loses a latest record.
        else for (let i = 0; i < b.offsets.length && this.map.size < this.map.slots; i++) this.map.putDigest(b.digests, i * 4, b.offsets[i]!);
      }
      this.end = last + 1n;
      return true;
    }
    if (header.transactional) {
      const keyed = records.filter((r) => r.key !== null);
      // A transaction's batch is decided as a whole: it fits entirely or ends the pass before it.
      if (this.used + keyed.length + 1 > this.maxEntries && this.end > this.start) return this.stop(header.baseOffset);
      const digests = new Int32Array(keyed.length * 4);
      keyed.forEach((r, i) => this.map.digest(r.key!, digests, i * 4));
      const list = this.open.get(header.producerId) ?? [];
      list.push({ base: header.baseOffset, digests, offsets: keyed.map((r) => Number(header.baseOffset) + r.offsetDelta) });
      this.open.set(header.producerId, list);
      this.pendingKeys += keyed.length;
      this.end = last + 1n;
      return true;
    }
    // Offsets as numbers from here: exact below 2^53, and no BigInt per record.
    const base = Number(header.baseOffset);
    const start = Number(this.start);
    for (const r of records) {
      const offset = base + r.offsetDelta;
      if (r.key === null || offset < start) continue;
      if (this.used >= this.maxEntries) return this.stop(BigInt(offset));
      this.map.put(r.key, offset);
    }
    this.end = last + 1n;
    return true;
  }

  /** The segment ended at `nextOffset` (its batches may have left a gap before it). */
  endSegment(nextOffset: bigint): void {
    if (!this.full && nextOffset > this.end) this.end = nextOffset;
  }

  /** Call once every batch was added: transactions still open are undecided. */
  finish(): void {
    for (const list of this.open.values()) for (const b of list) this.undecided.add(b.base);
    this.open.clear();
    this.pendingKeys = 0;
  }

  /** The first undecided batch, if any: the next clean must see it again, with its marker. */
  firstUndecided(): bigint | undefined {
    let first: bigint | undefined;
    for (const b of this.undecided) if (first === undefined || b < first) first = b;
    return first;
  }

  private stop(at: bigint): false {
    this.full = true;
    if (at > this.end) this.end = at;
    return false;
  }
}
