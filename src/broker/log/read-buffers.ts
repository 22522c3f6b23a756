/**
 * Reusable memory for Fetch reads.
 *
 * A catching-up consumer is served megabytes per fetch; reading each range into a fresh buffer costs page
 * faults and kernel zeroing on every read (profile: a third of the thread pool's time on fetch) and leaves
 * the garbage collector to reclaim it. Reads instead borrow power-of-two buffers here; the connection gives
 * a buffer back once the socket has written the response that carries it. A buffer that is never given
 * back (a response never written, a read result dropped) is simply collected: lending is tracked weakly.
 */
const MIN_POOLED = 64 * 1024;

export interface ReadBuffers {
  /** A buffer of exactly `n` bytes (contents undefined). */
  acquire(n: number): Buffer;
  /** Gives back the buffer `bytes` lies in; ignored unless it was lent by this pool and not yet returned. */
  release(bytes: Uint8Array): void;
}

export class ReadBufferPool implements ReadBuffers {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private readonly lent = new WeakSet<ArrayBufferLike>();
  private pooledBytes = 0;

  /**
   * @param maxPooledBytes memory kept on the free lists at most (beyond it, returned buffers go to GC)
   * @param maxBuffer reads larger than this are allocated plainly
   */
  constructor(
    private readonly maxPooledBytes = 48 * 1024 * 1024,
    private readonly maxBuffer = 16 * 1024 * 1024,
  ) {}

  acquire(n: number): Buffer {
    if (n < MIN_POOLED || n > this.maxBuffer) return Buffer.allocUnsafe(n);
    const size = 2 ** Math.ceil(Math.log2(n));
    const reused = this.free.get(size)?.pop();
    let buf: Buffer;
    if (reused) {
      this.pooledBytes -= size;
      buf = Buffer.from(reused, 0, n);
    } else {
      buf = Buffer.allocUnsafeSlow(size).subarray(0, n);
    }
    this.lent.add(buf.buffer);
    return buf;
  }

  /** Whether `bytes` lies in a buffer lent out by this pool and not yet returned. */
  isLent(bytes: Uint8Array): boolean {
    return this.lent.has(bytes.buffer);
  }

  release(bytes: Uint8Array): void {
    const ab = bytes.buffer as ArrayBuffer;
    if (!this.lent.has(ab)) return;
    this.lent.delete(ab);
    const size = ab.byteLength;
    if (this.pooledBytes + size > this.maxPooledBytes) return;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(ab);
    this.pooledBytes += size;
  }

  get bytesPooled(): number {
    return this.pooledBytes;
  }
}

/** The broker's pool for Fetch responses (fetch.ts borrows, connection.ts returns after the write). */
export const fetchReadBuffers = new ReadBufferPool();
