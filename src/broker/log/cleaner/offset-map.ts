/**
 * The cleaner's key → latest offset map in fixed memory, the way Kafka's SkimpyOffsetMap keeps it: each slot
 * is the key's 16-byte digest (key-hash.ts; Kafka's is MD5) and an 8-byte offset (24 bytes), with open addressing, never larger than
 * log.cleaner.dedupe.buffer.size. Unlike Kafka's, which takes the whole buffer up front, the table starts at
 * 1.5 MiB and doubles as keys arrive, so a small partition's clean costs little; memory never grows past the
 * bound however many keys the log has; the cleaner stops adding keys at log.cleaner.io.buffer.load.factor
 * of the slots and cleans only up to the last offset it mapped (the next pass continues from there).
 *
 * Digests are kept as four 32-bit words and offsets as doubles (exact below 2^53, far beyond any partition's
 * offsets), in typed arrays, so a probe compares numbers and allocates nothing.
 *
 * Two keys with the same digest would share a slot, so the older one's latest record could be removed: Kafka
 * accepts the same (astronomically unlikely, for keys not crafted to collide) risk with MD5.
 */
import { randomInt } from 'node:crypto';
import { hashKey } from './key-hash.js';

export const DIGEST_BYTES = 16;
export const OFFSET_MAP_ENTRY_BYTES = DIGEST_BYTES + 8;
/** The offset stored in an empty slot (real offsets are >= 0). */
const EMPTY = -1;
/** Slots of a fresh map (1.5 MiB), so a small partition's clean does not touch the whole bound. */
const INITIAL_SLOTS = 65_536;
/** A table below the bound doubles when this full, keeping probe chains short. */
const GROW_AT = 0.75;

export class OffsetMap {
  /** Slots the bound allows: the table never grows past them. */
  readonly slots: number;
  private capacity: number;
  /** Four words of digest per slot. */
  private digests: Int32Array;
  private offsets: Float64Array;
  private entries = 0;
  /** Random per map: see key-hash.ts. */
  private readonly seed = randomInt(0x7fffffff);
  private readonly scratch = new Int32Array(4);

  constructor(memoryBytes: number) {
    this.slots = Math.floor(memoryBytes / OFFSET_MAP_ENTRY_BYTES);
    if (this.slots < 1) throw new RangeError(`an offset map of ${memoryBytes} bytes holds no entry; give it at least ${OFFSET_MAP_ENTRY_BYTES}`);
    this.capacity = Math.min(this.slots, INITIAL_SLOTS);
    this.digests = new Int32Array(this.capacity * 4);
    this.offsets = new Float64Array(this.capacity).fill(EMPTY);
  }

  /** Keys stored. */
  get size(): number {
    return this.entries;
  }

  /** Bytes the table occupies now (at most `slots` entries' worth). */
  get bytes(): number {
    return this.capacity * OFFSET_MAP_ENTRY_BYTES;
  }

  /** The key's digest, as four words at `out[at..at + 4)` (for keys put later with `putDigest`). */
  digest(key: Uint8Array, out: Int32Array, at: number): void {
    hashKey(key, this.seed, out, at);
  }

  /** Stores `offset` as the key's latest unless it already has a higher one. */
  put(key: Uint8Array, offset: number): void {
    this.digest(key, this.scratch, 0);
    this.putDigest(this.scratch, 0, offset);
  }

  /** Like `put` with a digest already computed by `digest` (`words[at..at + 4)`). */
  putDigest(words: Int32Array, at: number, offset: number): void {
    if (this.entries >= this.capacity * GROW_AT && this.capacity < this.slots) this.grow();
    const w0 = words[at]!;
    const w1 = words[at + 1]!;
    const w2 = words[at + 2]!;
    const w3 = words[at + 3]!;
    const slot = this.find(w0, w1, w2, w3);
    if (slot < 0) throw new RangeError('offset map is full');
    const known = this.offsets[slot]!;
    if (known === EMPTY) {
      this.digests[slot * 4] = w0;
      this.digests[slot * 4 + 1] = w1;
      this.digests[slot * 4 + 2] = w2;
      this.digests[slot * 4 + 3] = w3;
      this.entries++;
    }
    if (offset > known) this.offsets[slot] = offset;
  }

  /** The latest offset of the key, or -1 when it is not in the map. */
  get(key: Uint8Array): number {
    const d = this.scratch;
    this.digest(key, d, 0);
    const slot = this.find(d[0]!, d[1]!, d[2]!, d[3]!);
    return slot < 0 ? EMPTY : this.offsets[slot]!;
  }

  /** Doubles the table (up to the bound) and re-inserts every entry. */
  private grow(): void {
    const { digests, offsets, capacity } = this;
    this.capacity = Math.min(this.slots, capacity * 2);
    this.digests = new Int32Array(this.capacity * 4);
    this.offsets = new Float64Array(this.capacity).fill(EMPTY);
    for (let s = 0; s < capacity; s++) {
      if (offsets[s] === EMPTY) continue;
      const slot = this.find(digests[s * 4]!, digests[s * 4 + 1]!, digests[s * 4 + 2]!, digests[s * 4 + 3]!);
      this.digests.set(digests.subarray(s * 4, s * 4 + 4), slot * 4);
      this.offsets[slot] = offsets[s]!;
    }
  }

  /** The slot holding the digest, or the empty slot where it would go (linear probing); -1 if neither. */
  private find(w0: number, w1: number, w2: number, w3: number): number {
    let slot = (w0 >>> 0) % this.capacity;
    for (let tries = 0; tries < this.capacity; tries++) {
      if (this.offsets[slot] === EMPTY) return slot;
      const i = slot * 4;
      if (this.digests[i] === w0 && this.digests[i + 1] === w1 && this.digests[i + 2] === w2 && this.digests[i + 3] === w3) return slot;
      slot = slot + 1 === this.capacity ? 0 : slot + 1;
    }
    // Only when every slot holds another key: the cleaner stops well before (load factor).
    return -1;
  }
}
