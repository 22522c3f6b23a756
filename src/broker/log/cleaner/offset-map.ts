/**
 * The cleaner's key → latest offset map in a fixed block of memory, the way Kafka's SkimpyOffsetMap keeps
 * it: each slot is the key's 16-byte MD5 digest and an 8-byte offset (24 bytes), in one Buffer with open
 * addressing, never larger than log.cleaner.dedupe.buffer.size. Unlike Kafka's, which takes the whole
 * buffer up front, the table starts at 1.5 MiB and doubles as keys arrive, so a small partition's clean
 * costs little; memory never grows past the bound however many keys the log has; the
 * cleaner stops adding keys at log.cleaner.io.buffer.load.factor of the slots and cleans only up to the
 * last offset it mapped (the next pass continues from there).
 *
 * Two keys with the same MD5 would share a slot, so the older one's latest record could be removed: Kafka
 * accepts the same (astronomically unlikely) risk.
 */
import { createHash } from 'node:crypto';

export const DIGEST_BYTES = 16;
export const OFFSET_MAP_ENTRY_BYTES = DIGEST_BYTES + 8;
/** The offset stored in an empty slot (real offsets are >= 0). */
const EMPTY = -1n;

/** Slots of a fresh map (1.5 MiB), so a small partition's clean does not touch the whole bound. */
const INITIAL_SLOTS = 65_536;
/** A table below the bound doubles when this full, keeping probe chains short. */
const GROW_AT = 0.75;

export class OffsetMap {
  /** Slots the bound allows: the table never grows past them. */
  readonly slots: number;
  private table: Buffer;
  private capacity: number;
  private entries = 0;
  /** The highest offset put (-1 when none). */
  latestOffset = -1n;
  /** Scratch digest reused by every lookup, so a probe allocates nothing beyond the hash itself. */
  private readonly probe = Buffer.alloc(DIGEST_BYTES);

  constructor(memoryBytes: number) {
    this.slots = Math.floor(memoryBytes / OFFSET_MAP_ENTRY_BYTES);
    if (this.slots < 1) throw new RangeError(`an offset map of ${memoryBytes} bytes holds no entry; give it at least ${OFFSET_MAP_ENTRY_BYTES}`);
    this.capacity = Math.min(this.slots, INITIAL_SLOTS);
    this.table = Buffer.alloc(this.capacity * OFFSET_MAP_ENTRY_BYTES, 0xff);
  }

  /** Keys stored. */
  get size(): number {
    return this.entries;
  }

  /** Bytes the table occupies now (at most `slots` entries' worth). */
  get bytes(): number {
    return this.table.length;
  }

  /** The key's digest, written into `out` (16 bytes). */
  static digest(key: Buffer, out: Buffer, at = 0): void {
    createHash('md5').update(key).digest().copy(out, at);
  }

  /** Stores `offset` as the key's latest (the caller feeds keys in offset order). */
  put(key: Buffer, offset: bigint): void {
    OffsetMap.digest(key, this.probe);
    this.putDigest(this.probe, 0, offset);
  }

  /** Like `put` with a digest already computed (`digest.subarray(at, at + 16)`). Keeps the higher offset. */
  putDigest(digest: Buffer, at: number, offset: bigint): void {
    if (this.entries >= this.capacity * GROW_AT && this.capacity < this.slots) this.grow();
    const slot = this.find(digest, at);
    if (slot < 0) throw new RangeError('offset map is full');
    const pos = slot * OFFSET_MAP_ENTRY_BYTES;
    const known = this.table.readBigInt64BE(pos + DIGEST_BYTES);
    if (known === EMPTY) {
      if (this.entries >= this.capacity) throw new RangeError('offset map is full');
      digest.copy(this.table, pos, at, at + DIGEST_BYTES);
      this.entries++;
    }
    if (offset > known) this.table.writeBigInt64BE(offset, pos + DIGEST_BYTES);
    if (offset > this.latestOffset) this.latestOffset = offset;
  }

  /** The latest offset of the key, or -1 when it is not in the map. */
  get(key: Buffer): bigint {
    OffsetMap.digest(key, this.probe);
    const slot = this.find(this.probe, 0);
    return slot < 0 ? EMPTY : this.table.readBigInt64BE(slot * OFFSET_MAP_ENTRY_BYTES + DIGEST_BYTES);
  }

  /** Doubles the table (up to the bound) and re-inserts every entry. */
  private grow(): void {
    const old = this.table;
    const oldCapacity = this.capacity;
    this.capacity = Math.min(this.slots, oldCapacity * 2);
    this.table = Buffer.alloc(this.capacity * OFFSET_MAP_ENTRY_BYTES, 0xff);
    for (let s = 0; s < oldCapacity; s++) {
      const pos = s * OFFSET_MAP_ENTRY_BYTES;
      if (old.readBigInt64BE(pos + DIGEST_BYTES) === EMPTY) continue;
      const slot = this.find(old, pos);
      old.copy(this.table, slot * OFFSET_MAP_ENTRY_BYTES, pos, pos + OFFSET_MAP_ENTRY_BYTES);
    }
  }

  /** The slot holding the digest, or the empty slot where it would go (linear probing); -1 if neither. */
  private find(digest: Buffer, at: number): number {
    let slot = digest.readUInt32BE(at) % this.capacity;
    for (let tries = 0; tries < this.capacity; tries++) {
      const pos = slot * OFFSET_MAP_ENTRY_BYTES;
      if (this.table.readBigInt64BE(pos + DIGEST_BYTES) === EMPTY) return slot;
      if (this.table.compare(digest, at, at + DIGEST_BYTES, pos, pos + DIGEST_BYTES) === 0) return slot;
      slot = slot + 1 === this.capacity ? 0 : slot + 1;
    }
    // Only when every slot holds another key: the cleaner stops well before (load factor).
    return -1;
  }
}
