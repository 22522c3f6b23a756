/**
 * Reusable buffers for large request frames.
 *
 * A 1 MiB produce frame assembled from 64 KiB socket reads needs contiguous memory; allocating it fresh
 * each time costs page faults and kernel zeroing on every request (measured: ~0.6 s of CPU per GB, more
 * than the copy itself). Frames are instead carved from power-of-two buffers kept on free lists, and given
 * back once the request is done. Only buffers this pool allocated are ever taken back, and only when the
 * handler promised to keep no reference to its request's bytes (`Handler.recyclesRequest`).
 */
const MIN_POOLED = 16 * 1024;

export class FramePool {
  private readonly free = new Map<number, Buffer[]>();
  private readonly owned = new WeakSet<ArrayBuffer>();
  private pooledBytes = 0;

  /**
   * @param maxPooledBytes memory kept on the free lists at most (beyond it, released buffers go to GC)
   * @param maxFrame frames larger than this are allocated plainly (rare; not worth holding)
   */
  constructor(
    private readonly maxPooledBytes = 64 * 1024 * 1024,
    private readonly maxFrame = 16 * 1024 * 1024,
  ) {}

  /** A buffer of exactly `n` bytes (contents undefined). */
  acquire(n: number): Buffer {
    if (n < MIN_POOLED || n > this.maxFrame) return Buffer.allocUnsafe(n);
    const size = 2 ** Math.ceil(Math.log2(n));
    const list = this.free.get(size);
    let backing = list?.pop();
    if (backing) this.pooledBytes -= size;
    else {
      backing = Buffer.allocUnsafeSlow(size);
      this.owned.add(backing.buffer as ArrayBuffer);
    }
    return backing.subarray(0, n);
  }

  /** Gives a frame back; ignored unless this pool allocated it. The caller must hold no other reference. */
  release(frame: Buffer): void {
    const ab = frame.buffer as ArrayBuffer;
    if (!this.owned.has(ab)) return;
    const size = ab.byteLength;
    if (this.pooledBytes + size > this.maxPooledBytes) return;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(Buffer.from(ab, 0, size));
    this.pooledBytes += size;
  }

  get bytesPooled(): number {
    return this.pooledBytes;
  }
}
