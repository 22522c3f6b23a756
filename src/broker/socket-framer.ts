/**
 * Splits a socket's bytes into Kafka request frames (`[int32 size][size bytes]`) while choosing where each
 * read lands (net's `onread`): small frames are read into a reusable staging buffer and copied out, and
 * the body of a large frame (a produce request) is read straight into its own pooled buffer, so it is
 * neither allocated per read by Node nor copied once more to be made contiguous.
 *
 * Protocol: the socket asks `readTarget()` where its next read goes, reports `landed(n, target)`, and the
 * owner takes frames with `next()` whenever it is ready to dispatch (not necessarily after every read).
 * A target handed out stays valid until the read lands: staged bytes are only moved (or the staging
 * positions reset) when a new target is chosen, and a frame is only given up once complete. The size prefix is checked against the limit
 * before anything is allocated for the frame.
 */
import type { FrameProblem } from './frame-reader.js';

/** Bytes of the reusable staging buffer (one socket read's worth; Node's own read size). */
const STAGING_BYTES = 64 * 1024;
/** Frames at least this large are read into their own buffer; smaller ones wait in staging. */
const DIRECT_MIN_BYTES = 16 * 1024;
/** A staging target smaller than this is compacted first (a tiny read buffer means more syscalls). */
const MIN_FREE_BYTES = 8 * 1024;

export class SocketFramer {
  private staging = Buffer.allocUnsafe(STAGING_BYTES);
  /** Unconsumed staged bytes are staging[start, end). */
  private start = 0;
  private end = 0;
  /** A large frame being read into its own buffer, and how much of it has arrived. */
  private frame: Buffer | undefined;
  private filled = 0;
  /** The last target handed out when it was the frame's tail (reads there count toward `filled`). */
  private frameTarget: Uint8Array | undefined;

  constructor(
    private readonly maxFrameSize: number,
    /** Memory for frames (pooled for large ones); called only after the size passed the limit. */
    private readonly allocate: (n: number) => Buffer = Buffer.allocUnsafe,
  ) {}

  /** Bytes received and not yet taken as frames. */
  get pendingBytes(): number {
    return this.end - this.start + (this.frame ? this.filled : 0);
  }

  /** Whether a frame has started arriving but is not complete (what a stalled peer leaves behind). */
  get midFrame(): boolean {
    if (this.frame) return this.filled < this.frame.length || this.end > this.start;
    const staged = this.end - this.start;
    if (staged === 0) return false;
    return staged < 4 || staged < 4 + this.staging.readInt32BE(this.start);
  }

  /** Where the next socket read should land. */
  readTarget(): Uint8Array {
    const frame = this.frame;
    if (frame !== undefined && this.start === this.end && this.filled < frame.length) {
      this.frameTarget = frame.subarray(this.filled);
      return this.frameTarget;
    }
    this.frameTarget = undefined;
    if (this.start === this.end) this.start = this.end = 0;
    if (this.staging.length - this.end < MIN_FREE_BYTES) {
      if (this.start > 0) {
        this.staging.copyWithin(0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      // Still full: complete frames wait (dispatch is paused, so reading stops after this read). Grow once.
      if (this.staging.length - this.end < MIN_FREE_BYTES) {
        const bigger = Buffer.allocUnsafe(this.staging.length * 2);
        this.staging.copy(bigger, 0, 0, this.end);
        this.staging = bigger;
      }
    }
    return this.staging.subarray(this.end);
  }

  /** `n` bytes were read into `target` (the last value of `readTarget()`). */
  landed(n: number, target: Uint8Array): void {
    if (target === this.frameTarget && this.frameTarget !== undefined) this.filled += n;
    else this.end += n;
  }

  /** Copies `chunk` in as if it had been read (for sockets that cannot read into our buffers). */
  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      const target = this.readTarget();
      const n = Math.min(target.length, chunk.length - pos);
      chunk.copy(target, 0, pos, pos + n);
      this.landed(n, target);
      pos += n;
    }
  }

  /** Drops everything buffered (the connection is going away). */
  discard(): void {
    this.start = this.end = 0;
    this.frame = undefined;
    this.frameTarget = undefined;
    this.filled = 0;
  }

  /**
   * The next complete frame body (without its size prefix), null when none is complete yet, or a problem
   * when a size prefix is negative or above the limit (the caller closes the connection).
   */
  next(): Buffer | FrameProblem | null {
    const frame = this.frame;
    if (frame !== undefined) {
      // Bytes that landed in staging while the frame was being read (a target chosen before it started).
      if (this.end > this.start && this.filled < frame.length) {
        const n = Math.min(frame.length - this.filled, this.end - this.start);
        this.staging.copy(frame, this.filled, this.start, this.start + n);
        this.filled += n;
        this.start += n;
      }
      if (this.filled < frame.length) return null;
      this.frame = undefined;
      this.frameTarget = undefined;
      this.filled = 0;
      return frame;
    }
    const staged = this.end - this.start;
    if (staged < 4) return null;
    const size = this.staging.readInt32BE(this.start);
    if (size < 0) return { kind: 'negative-size', size };
    if (size > this.maxFrameSize) return { kind: 'too-large', size, limit: this.maxFrameSize };
    if (staged - 4 >= size) {
      const out = this.allocate(size);
      this.staging.copy(out, 0, this.start + 4, this.start + 4 + size);
      this.start += 4 + size;
      return out;
    }
    if (size < DIRECT_MIN_BYTES) return null; // small: the rest arrives in staging
    // Large: give it its own buffer now, so the rest of it is read there directly.
    const body = this.allocate(size);
    const have = staged - 4;
    this.staging.copy(body, 0, this.start + 4, this.end);
    this.start = this.end;
    this.frame = body;
    this.filled = have;
    this.frameTarget = undefined;
    return null;
  }
}
