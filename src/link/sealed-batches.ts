/**
 * Which record batches this thread's `EventBatchBuilder` sealed: their CRC32C was computed over exactly these
 * bytes a moment ago, in this process, and no socket lies between the builder and the embedded broker's log.
 * The in-process link tells the broker so, and the broker then skips recomputing the CRC on append (it was
 * 6.6% of capture's CPU to compute it twice). Headers, lengths and offsets are still checked; recovery still
 * verifies every CRC; a batch that came over a socket, or that in-process code built any other way, is
 * checked as always.
 *
 * A WeakSet of the exact Buffer objects the builder returned: a copy, a slice or a batch made by hand is not
 * in it. Over a MessagePort the mark travels as the append request's `sealed` flag, set only by the
 * transport's port client (src/transport/embedded), since a transferred buffer arrives as a new object.
 */
const sealed = new WeakSet<Uint8Array>();

/** Called by EventBatchBuilder.finish on the batch it returns. */
export function markSealed(batch: Uint8Array): void {
  sealed.add(batch);
}

/** Whether `batch` is a batch EventBatchBuilder sealed in this thread (the same object, not a copy). */
export function isSealed(batch: Uint8Array): boolean {
  return sealed.has(batch);
}
