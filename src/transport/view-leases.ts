/**
 * Who may reuse a read buffer whose bytes decoded events view in place (EventDecoder with `views`).
 *
 * A reader that recycles its read buffers (the embedded link's pooled reads, the wire client's pooled
 * frames) must not hand a buffer back while any event still views it: the next read would overwrite the
 * bytes under an event the application kept. Each read opens a lease; every typed array decoded as a view
 * of it is lent out (registered in a FinalizationRegistry); the buffer goes back once the reader closed the
 * lease and every lent view was collected. An event that may reference the buffer in a way the lease
 * cannot track (a msgpack binary value decoded by msgpackr is a view too) pins it: a pinned buffer is never
 * recycled and is left to the garbage collector.
 *
 * Why the garbage collector decides, and not an explicit release() in the replay pipeline: replay hands
 * each event to an RxJS subscriber, i.e. to application code that may keep it (buffer it per time, put it
 * in a Map, send it on later). The pipeline cannot see that, so an explicit release would have to copy
 * every event it hands out, which is the arena copy this replaces. Only the collector knows when the last
 * view is gone. The price: V8 clears weak targets only in full (mark-compact) collections, so a buffer
 * comes back after the next one, and until then later reads take fresh memory. A few dozen mark-compacts
 * over a small heap cost far less than copying every byte into arenas that caused them (see the README's
 * replay notes for the figures). Per event this adds one FinalizationRegistry cell and a counter.
 */

import type { Event } from '../dataflow/event.js';

/** One read buffer lent to the views decoded from it. */
export class ViewLease {
  /** Views lent out and not yet collected. */
  views = 0;
  /** The reader still decodes from the buffer (more views may come). */
  open = true;
  /** Something the lease cannot track may reference the buffer: never recycle it. */
  pinned = false;
  /** Already handed back (guards against a second release). */
  released = false;

  constructor(readonly release: () => void) {}
}

export class ViewLeases {
  private readonly registry = new FinalizationRegistry<ViewLease>((lease) => {
    lease.views--;
    this.settle(lease);
  });

  /** Buffers handed back so far (tests and diagnostics). */
  recycled = 0;

  /** A lease for one read; `release` hands the buffer back for reuse, called at most once. */
  begin(release: () => void): ViewLease {
    return new ViewLease(release);
  }

  /** `view` reads the lease's buffer: the buffer stays out of reuse until `view` is collected. */
  lend(lease: ViewLease, view: object): void {
    lease.views++;
    this.registry.register(view, lease);
  }

  /** The reader decoded everything it will from the lease's buffer. */
  end(lease: ViewLease): void {
    lease.open = false;
    this.settle(lease);
  }

  private settle(lease: ViewLease): void {
    if (lease.open || lease.pinned || lease.views > 0 || lease.released) return;
    lease.released = true;
    this.recycled++;
    lease.release();
  }
}

/**
 * After decoding `event` from `records` (views mode): lends its typed array to `lease` if it views
 * `records`, and pins the lease if the event may reference `records` otherwise (msgpack binary values decode
 * as views of their input; only typed arrays elsewhere and progress with plain times are known free).
 */
export function lendOrPin(leases: ViewLeases, lease: ViewLease, event: Event<unknown, unknown>, records: Uint8Array): void {
  if (event.kind === 'messages') {
    const data = event.data;
    if (!ArrayBuffer.isView(data)) lease.pinned = true;
    else if (data.buffer === records.buffer) leases.lend(lease, data);
    return;
  }
  if (!lease.pinned && !event.updates.every(([time]) => plainTime(time))) lease.pinned = true;
}

function plainTime(time: unknown): boolean {
  return typeof time !== 'object' || time === null || (Array.isArray(time) && time.every(plainTime));
}
