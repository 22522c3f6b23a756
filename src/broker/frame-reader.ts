/**
 * Splits a TCP byte stream into Kafka request frames (`[int32 size][size bytes]`).
 *
 * Chunks are kept as a list and joined once per frame, so a 100 MiB request arriving in 64 KiB pieces costs
 * one copy, not a quadratic series of them; a frame inside a single chunk is a zero-copy subarray. The size
 * is checked against the limit before anything is allocated for it.
 */

export type FrameProblem = { kind: 'too-large'; size: number; limit: number } | { kind: 'negative-size'; size: number };

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame being assembled, or -1 while its 4-byte prefix is incomplete. */
  private expected = -1;

  constructor(
    private readonly maxFrameSize: number,
    /** Where multi-chunk frames get their memory (default: a fresh allocation each). */
    private readonly allocate: (n: number) => Buffer = Buffer.allocUnsafe,
  ) {}

  /** Bytes received and not yet taken as frames. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Adds received bytes; frames are taken out with `next()`. */
  append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /**
   * The next complete frame body (without its size prefix), null when none is complete yet, or a problem
   * when a size prefix is negative or above the limit (the caller closes the connection).
   */
  next(): Buffer | FrameProblem | null {
    if (this.expected < 0) {
      if (this.buffered < 4) return null;
      const size = this.peekInt32();
      if (size < 0) return { kind: 'negative-size', size };
      if (size > this.maxFrameSize) return { kind: 'too-large', size, limit: this.maxFrameSize };
      this.take(4);
      this.expected = size;
    }
    if (this.buffered < this.expected) return null;
    const frame = this.take(this.expected);
    this.expected = -1;
    return frame;
  }

  /** Whether a frame has started arriving but is not complete (what a stalled peer leaves behind). */
  get midFrame(): boolean {
    if (this.expected >= 0) return this.buffered < this.expected;
    return this.buffered > 0 && (this.buffered < 4 || this.buffered < 4 + this.peekInt32());
  }

  /** Reads the big-endian int32 at the front, across chunk boundaries if needed. */
  private peekInt32(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    const head = Buffer.allocUnsafe(4);
    let filled = 0;
    for (const c of this.chunks) {
      const n = Math.min(4 - filled, c.length);
      c.copy(head, filled, 0, n);
      filled += n;
      if (filled === 4) break;
    }
    return head.readInt32BE(0);
  }

  /** Removes and returns the first `n` buffered bytes: a subarray when they sit in one chunk, else one copy. */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return out;
    }
    const out = this.allocate(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const want = n - filled;
      if (c.length <= want) {
        c.copy(out, filled);
        filled += c.length;
        this.chunks.shift();
      } else {
        c.copy(out, filled, 0, want);
        this.chunks[0] = c.subarray(want);
        filled += want;
      }
    }
    return out;
  }
}
