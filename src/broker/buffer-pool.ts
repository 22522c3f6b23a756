/**
 * Reusable power-of-two buffers: the broker's one pool, for request frames, Fetch reads, merged produce
 * groups and the in-process link's reads.
 *
 * Allocating megabytes fresh for every request costs page faults and kernel zeroing each time (measured:
 * ~0.6 s of CPU per GB for frames; a third of the thread pool's time on fetch) and leaves the garbage
 * collector to reclaim them. Buffers are instead carved from power-of-two blocks kept on free lists and
 * lent out; a block comes back when its borrower gives back any view of it, once. Lending is tracked
 * weakly: a block never given back (a response never written, a read result dropped) is simply collected.
 *
 * `movable` pools serve memory that may move to another thread (a read transferred to a worker): every
 * buffer is then its own ArrayBuffer, even a small one (never a slice of Node's shared allocation slab),
 * `handOver` gives a block up for transfer and `adopt` takes one back from the other thread.
 */
import type { ReadBuffers } from './log/read-buffers.js';

export interface BufferPoolOptions {
  /** Requests below this are plain allocations, not pooled; a movable pool rounds them up instead. */
  minPooled?: number;
  /** Requests above this are plain allocations (rare; not worth holding). */
  maxPooled?: number;
  /** Bytes kept on the free lists at most; beyond it, given-back blocks go to the garbage collector. */
  maxFreeBytes?: number;
  /** Memory may move to another thread (see the file comment). */
  movable?: boolean;
}

/** A block given up to move to another thread, and where the bytes lie in it. */
export interface HandedOver {
  buffer: ArrayBuffer;
  byteOffset: number;
  length: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export class BufferPool implements ReadBuffers {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private readonly lent = new WeakSet<ArrayBufferLike>();
  private freeBytes = 0;
  private readonly minPooled: number;
  private readonly maxPooled: number;
  private readonly maxFreeBytes: number;
  readonly movable: boolean;

  constructor(options: BufferPoolOptions = {}) {
    this.minPooled = options.minPooled ?? 16 * KiB;
    this.maxPooled = options.maxPooled ?? 16 * MiB;
    this.maxFreeBytes = options.maxFreeBytes ?? 64 * MiB;
    this.movable = options.movable ?? false;
  }

  /** A buffer of exactly `n` bytes (contents undefined). */
  acquire(n: number): Buffer {
    if (n < this.minPooled && !this.movable) return Buffer.allocUnsafe(n);
    const size = 2 ** Math.ceil(Math.log2(Math.max(n, this.minPooled)));
    let block: ArrayBuffer;
    if (size > this.maxPooled) {
      if (!this.movable) return Buffer.allocUnsafe(n);
      block = Buffer.allocUnsafeSlow(n).buffer as ArrayBuffer; // its own memory, so it can move; not pooled
    } else {
      const reused = this.free.get(size)?.pop();
      if (reused) this.freeBytes -= size;
      block = reused ?? (Buffer.allocUnsafeSlow(size).buffer as ArrayBuffer);
    }
    this.lent.add(block);
    return Buffer.from(block, 0, n);
  }

  /** Whether `bytes` lies in a block lent out by this pool and not yet given back. */
  isLent(bytes: Uint8Array): boolean {
    return this.lent.has(bytes.buffer);
  }

  /** Gives back the block `bytes` lies in; ignored unless lent by this pool and not yet given back. */
  release(bytes: Uint8Array): void {
    const block = bytes.buffer as ArrayBuffer;
    if (!this.lent.has(block)) return;
    this.lent.delete(block);
    this.keep(block);
  }

  /**
   * `bytes` in a block this pool gives up, ready to move to another thread (movable pools only). Bytes this
   * pool did not lend (e.g. a cached tail the log returned) are copied into a block first, since moving
   * them would empty them for everyone else.
   */
  handOver(bytes: Buffer): { bytes: HandedOver; transfer: ArrayBuffer[] } {
    if (!this.movable) throw new Error('handOver needs a movable BufferPool');
    let owned = bytes;
    if (!this.lent.has(bytes.buffer)) {
      owned = this.acquire(bytes.length);
      bytes.copy(owned);
    }
    this.lent.delete(owned.buffer);
    const buffer = owned.buffer as ArrayBuffer;
    return { bytes: { buffer, byteOffset: owned.byteOffset, length: owned.length }, transfer: [buffer] };
  }

  /** Takes back a block that another thread handed back after a `handOver` (anything else is ignored). */
  adopt(block: ArrayBuffer): void {
    if (this.movable) this.keep(block);
  }

  /** Bytes on the free lists. */
  get bytesPooled(): number {
    return this.freeBytes;
  }

  private keep(block: ArrayBuffer): void {
    const size = block.byteLength;
    if (size < this.minPooled || size > this.maxPooled || (size & (size - 1)) !== 0) return;
    if (this.freeBytes + size > this.maxFreeBytes) return;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(block);
    this.freeBytes += size;
  }
}
