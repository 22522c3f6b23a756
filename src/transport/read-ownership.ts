/**
 * When a read buffer may be reused, now that replay decodes aligned typed arrays as views of it
 * (EventDecoder with `views`).
 *
 * The protocol: a reader that recycles its read buffers (the embedded link's pooled read blocks, the wire
 * client's pooled response frames) hands a buffer back right after decoding it only if no decoded event
 * refers to it (`ReadOwnership.refersTo`). A buffer that any event views is never handed back: it is left
 * to the garbage collector, which frees it once the last view is gone. So a kept event never sees its
 * bytes change, whatever the application does with it, and recycling needs no bookkeeping per event.
 *
 * Why neither of the two protocols issue 17 proposed (measured on the 5-stream, 800 MB round trip, one run
 * each at load ~22, embedded replay CPU-seconds / mark-compacts of the whole run):
 * - a slab or pool whose slots come back through a FinalizationRegistry on the views: V8 clears weak
 *   targets only in full collections and keeps them alive through scavenges, so every view is promoted and
 *   a block comes back only after the next mark-compact. The broker then reads into fresh blocks most of
 *   the time: 2.39 CPU-s and 114 mark-compacts, against 1.91 and 66 for copying into arenas;
 * - an explicit release() in the replay pipeline: replay hands events to RxJS subscribers, i.e. to code that
 *   may keep them; the pipeline cannot see that, so it would have to copy every event it hands out, which
 *   is the arena copy this replaces;
 * - leaving buffers with views to the collector (this file): 1.63 CPU-s and 50 mark-compacts. A fresh read
 *   block costs one allocation per read (a megabyte), not one copy per event.
 */
import type { Event } from '../dataflow/event.js';

/** Tracks, while one read buffer is decoded, whether any of its events refers to it. */
export class ReadOwnership {
  private referenced = false;

  /** Starts over for the next read buffer. */
  reset(): void {
    this.referenced = false;
  }

  /** Notes whether `event`, decoded from `records`, may refer to its memory. */
  note(event: Event<unknown, unknown>, records: Uint8Array): void {
    if (!this.referenced && refersTo(event, records)) this.referenced = true;
  }

  /** No event decoded since `reset` refers to the buffer: it may take the next read. */
  get free(): boolean {
    return !this.referenced;
  }
}

/**
 * Whether `event` may point into `records`: a typed array viewing it does, and msgpack binary values decode
 * as views of their input, so only typed arrays elsewhere (copied by the decoder), arrays of plain values
 * and progress with plain times are known free.
 */
export function refersTo(event: Event<unknown, unknown>, records: Uint8Array): boolean {
  if (event.kind === 'messages') {
    const data = event.data;
    if (ArrayBuffer.isView(data)) return data.buffer === records.buffer;
    return !(Array.isArray(data) && data.every(plainTime));
  }
  return !event.updates.every(([time]) => plainTime(time));
}

function plainTime(time: unknown): boolean {
  return typeof time !== 'object' || time === null || (Array.isArray(time) && time.every(plainTime));
}
