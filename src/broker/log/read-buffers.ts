/**
 * Where a log read puts its bytes, when the caller lends the memory (src/broker/buffer-pool.ts): the log
 * asks for a buffer of the size it reads and gives back one it did not use; the caller gives back the rest.
 */
export interface ReadBuffers {
  /** A buffer of exactly `n` bytes (contents undefined). */
  acquire(n: number): Buffer;
  /** Gives back the buffer `bytes` lies in; ignored unless it was lent and not yet given back. */
  release(bytes: Uint8Array): void;
}
