/**
 * Splits a socket's bytes into Kafka request frames (`[int32 size][size bytes]`) while choosing where each
 * read lands (net's `onread`): small frames are read into a reusable staging buffer and copied out, and
 * the body of a large frame (a produce request) is read straight into its own pooled buffer, so it is
 * neither allocated per read by Node nor copied once more to be made contiguous.
 *
 * Protocol: the socket asks `readTarget()` where its next read goes, reports `landed(n, target)`, and the
 * owner takes frames with `next()` whenever it is ready to dispatch (not necessarily after every read).
 * A target handed out stays valid until the read lands: staged bytes are only moved (or the staging
 * positions reset) when a new target is chosen, and a frame is only given up once complete. The size prefix
 * is checked against the limit before anything is allocated for the frame.
 *
 * Memory for a frame grows as its bytes arrive, never on the word of its size prefix alone: a frame gets at
 * most `UPFRONT_FRAME_BYTES` at first, and its buffer doubles (one copy of what has arrived) each time it
 * fills. So a prefix claiming 100 MiB followed by a trickle holds 2 MiB or twice the trickle, while a
 * typical produce request is read straight into one buffer.
 */
import type { FrameProblem } from './frame-reader.js';

/** Bytes of the reusable staging buffer (one socket read's worth; Node's own read size). */
const STAGING_BYTES = 64 * 1024;
/** Frames at least this large are read into their own buffer; smaller ones wait in staging. */
const DIRECT_MIN_BYTES = 16 * 1024;
/** A staging target smaller than this is compacted first (a tiny read buffer means more syscalls). */
const MIN_FREE_BYTES = 8 * 1024;
/**
 * Memory a frame gets before its bytes arrive. A produce request carrying one batch at the default
 * max.message.bytes (1 MiB + 12) is just above 1 MiB, and the pool rounds it up to a 2 MiB block anyway:
 * such requests never grow (no extra copy on the produce path); larger ones double as they fill.
 */
export const UPFRONT_FRAME_BYTES = 2 * 1024 * 1024;

/** Where frames get their memory; `release` takes back a buffer outgrown before its frame completed. */
export interface FrameMemory {
  acquire(n: number): Buffer;
  release(buffer: Buffer): void;
}

const PLAIN: FrameMemory = { acquire: (n) => Buffer.allocUnsafe(n), release: () => {} };

export class SocketFramer {
  private staging = Buffer.allocUnsafe(STAGING_BYTES);
  /** Unconsumed staged bytes are staging[start, end). */
  private start = 0;
  private end = 0;
  /** A large frame being read into its own buffer (grown as it fills), its size, and how much has arrived. */
  private frame: Buffer | undefined;
  private frameSize = 0;
  private filled = 0;
  /** Frames handed out by `next()` so far (tells one incomplete frame from the next). */
  framesTaken = 0;
  /** The last target handed out when it was the frame's tail (reads there count toward `filled`). */
  private frameTarget: Uint8Array | undefined;

  private readonly memory: FrameMemory;

  /** `memory`: where frames get their buffers (pooled for large ones); used only after the size passed the limit. */
  constructor(
    /** Checked against every size prefix; may be raised later (a SASL connection once it has authenticated). */
    public maxFrameSize: number,
    memory: FrameMemory | ((n: number) => Buffer) = PLAIN,
  ) {
    this.memory = typeof memory === 'function' ? { acquire: memory, release: () => {} } : memory;
  }

  /** Bytes received and not yet taken as frames. */
  get pendingBytes(): number {
    return this.end - this.start + (this.frame ? this.filled : 0);
  }

  /** Whether a frame has started arriving but is not complete (what a stalled peer leaves behind). */
  get midFrame(): boolean {
    if (this.frame) return this.filled < this.frameSize || this.end > this.start;
    const staged = this.end - this.start;
    if (staged === 0) return false;
    return staged < 4 || staged < 4 + this.staging.readInt32BE(this.start);
  }

  /** Where the next socket read should land. */
  readTarget(): Uint8Array {
    if (this.frame !== undefined && this.start === this.end && this.filled < this.frameSize) {
      this.frameTarget = this.frameRoom().subarray(this.filled);
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

  /** The frame's buffer, doubled (up to the frame's size) if what has arrived fills it. */
  private frameRoom(): Buffer {
    const frame = this.frame!;
    if (this.filled < frame.length) return frame;
    const bigger = this.memory.acquire(Math.min(this.frameSize, frame.length * 2));
    frame.copy(bigger, 0, 0, this.filled);
    this.memory.release(frame);
    this.frame = bigger;
    return bigger;
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
    if (this.frame) this.memory.release(this.frame);
    this.frame = undefined;
    this.frameTarget = undefined;
    this.filled = 0;
  }

  /**
   * The next complete frame body (without its size prefix), null when none is complete yet, or a problem
   * when a size prefix is negative or above the limit (the caller closes the connection).
   */
  next(): Buffer | FrameProblem | null {
    let frame = this.frame;
    if (frame !== undefined) {
      // Bytes that landed in staging while the frame was being read (a target chosen before it started).
      while (this.end > this.start && this.filled < this.frameSize) {
        frame = this.frameRoom();
        const n = Math.min(frame.length - this.filled, this.end - this.start);
        this.staging.copy(frame, this.filled, this.start, this.start + n);
        this.filled += n;
        this.start += n;
      }
      if (this.filled < this.frameSize) return null;
      this.frame = undefined;
      this.frameTarget = undefined;
      this.filled = 0;
      this.framesTaken++;
      return frame;
    }
    const staged = this.end - this.start;
    if (staged < 4) return null;
    const size = this.staging.readInt32BE(this.start);
    if (size < 0) return { kind: 'negative-size', size };
    if (size > this.maxFrameSize) return { kind: 'too-large', size, limit: this.maxFrameSize };
    if (staged - 4 >= size) {
      const out = this.memory.acquire(size);
      this.staging.copy(out, 0, this.start + 4, this.start + 4 + size);
      this.start += 4 + size;
      this.framesTaken++;
      return out;
    }
    if (size < DIRECT_MIN_BYTES) return null; // small: the rest arrives in staging
    // Large: give it its own buffer now, so the rest of it is read there directly; at most
    // UPFRONT_FRAME_BYTES before more of it has arrived.
    const have = staged - 4;
    const body = this.memory.acquire(Math.min(size, Math.max(UPFRONT_FRAME_BYTES, have)));
    this.staging.copy(body, 0, this.start + 4, this.end);
    this.start = this.end;
    this.frame = body;
    this.frameSize = size;
    this.filled = have;
    this.frameTarget = undefined;
    return null;
  }
}
