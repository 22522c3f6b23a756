/**
 * How much memory Fetch reads may hold, counted from the moment a read is reserved until the socket has
 * written the response that carries it (or the read is dropped).
 *
 * Two budgets, both fixed by configuration and never by what a client asks for:
 * - per connection (`--max-pending-response-bytes`): fetched bytes in responses not yet written, plus the
 *   connection's read-ahead. When they are taken, the connection's next fetch waits for its earlier
 *   responses to drain; it does not allocate more.
 * - per broker (`--read-memory-bytes`): the same bytes summed over every connection. Reads queue, first come
 *   first served, when it is full.
 * A single read larger than a budget proceeds once nothing else holds that budget.
 *
 * No deadlock: responses leave in request order, so memory held by a later fetch on the same connection is
 * only given back after every earlier one has answered. A fetch therefore waits only while no later fetch on
 * its connection holds memory; otherwise it answers at once with what it has read so far (possibly nothing:
 * the client fetches again, as after any short response). Waiting thus depends only on earlier responses
 * and other connections' responses being written. Fetches on one connection still run concurrently (a
 * long-poll parked on one topic does not hold up a fetch of another).
 */
import { BufferPool } from './buffer-pool.js';
import { ByteBudget } from './byte-budget.js';

/** The broker-wide budget, shared by every connection's `ConnectionReadMemory`. */
export class ReadMemory {
  readonly budget: ByteBudget;
  /**
   * Where fetched bytes are read to, lent until the response carrying them is written. Reads of 64 KiB and
   * more (a catching-up consumer's) are pooled; 48 MiB of free blocks are kept at most.
   */
  readonly buffers = new BufferPool({ minPooled: 64 * 1024, maxPooled: 16 * 1024 * 1024, maxFreeBytes: 48 * 1024 * 1024 });
  /** Reads that had to wait for memory, by the limit that made them wait (read by the metrics at scrape). */
  readonly waits = { connection: 0, broker: 0 };
  /** Connections holding read-ahead, asked to give it up when a read has to wait. */
  private readonly sheddable = new Set<ConnectionReadMemory>();

  constructor(limit: number) {
    this.budget = new ByteBudget(limit);
  }

  /** A connection's share, holding at most `limit` bytes itself. */
  forConnection(limit: number): ConnectionReadMemory {
    return new ConnectionReadMemory(this, limit);
  }

  /** @internal */
  markSheddable(conn: ConnectionReadMemory, yes: boolean): void {
    if (yes) this.sheddable.add(conn);
    else this.sheddable.delete(conn);
  }

  /** A read is about to wait: read-ahead (memory for a fetch nobody has asked for yet) goes first. */
  shed(): void {
    for (const c of [...this.sheddable]) c.shed();
  }
}

/** What `reserve` answers: reserved now, not reserved and not worth waiting for, or wait for the promise. */
export type Reservation = true | false | Promise<boolean>;

export class ConnectionReadMemory {
  private readonly own: ByteBudget;
  /** Bytes this connection holds (of both budgets). */
  private held = 0;
  /** Of those, what each fetch (by its number on this connection) holds for its response. */
  private readonly heldByFetch = new Map<number, number>();
  private fetches = 0;
  private closed = false;
  private shedder: (() => void) | null = null;

  constructor(
    private readonly broker: ReadMemory,
    limit: number,
  ) {
    this.own = new ByteBudget(limit);
  }

  /** The broker's pool for fetched bytes (the connection gives a block back once its response is written). */
  get buffers(): BufferPool {
    return this.broker.buffers;
  }

  /** Bytes this connection holds: responses not yet written and read-ahead. */
  get bytesHeld(): number {
    return this.held;
  }

  /** A number for a new fetch on this connection, in request order (what it holds is counted under it). */
  startFetch(): number {
    return ++this.fetches;
  }

  /**
   * Reserves `bytes` for a read of fetch `fetch`: true when reserved at once; false when not, and waiting
   * could deadlock (a later fetch on this connection holds memory) or the connection closed; else a promise
   * of true once reserved, or of false when the connection closed (or `signal` aborted) first.
   */
  reserve(fetch: number, bytes: number, signal?: AbortSignal): Reservation {
    if (this.closed) return false;
    if (this.own.tryTake(bytes)) {
      if (this.broker.budget.tryTake(bytes)) {
        this.hold(fetch, bytes);
        return true;
      }
      this.own.give(bytes);
    }
    if (this.heldAfter(fetch) > 0) return false;
    return this.reserveSlowly(fetch, bytes, signal);
  }

  private async reserveSlowly(fetch: number, bytes: number, signal?: AbortSignal): Promise<boolean> {
    // This connection's read-ahead is given up before waiting for memory it may be holding.
    this.shed();
    const ownTurn = this.own.take(bytes, signal);
    if (ownTurn) this.broker.waits.connection++;
    if (ownTurn && !(await ownTurn)) return false;
    this.broker.shed();
    const brokerTurn = this.broker.budget.take(bytes, signal);
    if (brokerTurn) this.broker.waits.broker++;
    if (brokerTurn && !(await brokerTurn)) {
      this.own.give(bytes);
      return false;
    }
    if (this.closed) {
      this.own.give(bytes);
      this.broker.budget.give(bytes);
      return false;
    }
    this.hold(fetch, bytes);
    return true;
  }

  /** Reserves `bytes` of read-ahead (fetch 0: belongs to no response yet) only if that needs no waiting. */
  tryReserve(bytes: number): boolean {
    if (this.closed || !this.own.tryTake(bytes)) return false;
    if (!this.broker.budget.tryTake(bytes)) {
      this.own.give(bytes);
      return false;
    }
    this.held += bytes;
    return true;
  }

  /** Read-ahead bytes become part of fetch `fetch`'s response. */
  adopt(fetch: number, bytes: number): void {
    if (this.closed || bytes <= 0) return;
    this.heldByFetch.set(fetch, (this.heldByFetch.get(fetch) ?? 0) + bytes);
  }

  /** Counts `bytes` already allocated beyond what was reserved (the first batch of a fetch, kept whole). */
  force(fetch: number, bytes: number): void {
    if (this.closed || bytes <= 0) return;
    this.own.force(bytes);
    this.broker.budget.force(bytes);
    this.hold(fetch, bytes);
  }

  /**
   * Gives back `bytes` held by fetch `fetch` (0: read-ahead): a response written, a read dropped. Ignored
   * once the connection closed.
   */
  release(fetch: number, bytes: number): void {
    if (this.closed || bytes <= 0) return;
    const n = Math.min(bytes, this.held);
    this.held -= n;
    if (fetch !== 0) {
      const left = (this.heldByFetch.get(fetch) ?? 0) - n;
      if (left > 0) this.heldByFetch.set(fetch, left);
      else this.heldByFetch.delete(fetch);
    }
    this.own.give(n);
    this.broker.budget.give(n);
  }

  private hold(fetch: number, bytes: number): void {
    this.held += bytes;
    if (fetch !== 0) this.heldByFetch.set(fetch, (this.heldByFetch.get(fetch) ?? 0) + bytes);
  }

  /** Bytes held by fetches after `fetch` (a few entries: one per fetch in flight). */
  private heldAfter(fetch: number): number {
    let after = 0;
    for (const [f, bytes] of this.heldByFetch) if (f > fetch) after += bytes;
    return after;
  }

  /** `shed` is called when memory is short (read-ahead registers how to give itself up); null unregisters. */
  onShed(shed: (() => void) | null): void {
    this.shedder = shed;
    this.broker.markSheddable(this, shed !== null && !this.closed);
  }

  /** @internal */
  shed(): void {
    const s = this.shedder;
    if (!s) return;
    this.onShed(null);
    s();
  }

  /** The connection closed: everything it held goes back to the broker, and later calls hold nothing. */
  close(): void {
    if (this.closed) return;
    this.shed();
    this.closed = true;
    this.broker.budget.give(this.held);
    this.held = 0;
    this.heldByFetch.clear();
    this.broker.markSheddable(this, false);
  }
}

/** What a response holds until it is written: fetch `fetch`'s `bytes` (the connection releases them). */
export interface HeldMemory {
  fetch: number;
  bytes: number;
}

const HELD = Symbol('heldReadMemory');

/** Marks a response as holding read memory until it is written. */
export function holdUntilWritten(response: object, held: HeldMemory): void {
  (response as { [HELD]?: HeldMemory })[HELD] = held;
}

/** The read memory a response holds until written (undefined for most responses). */
export function heldUntilWritten(response: unknown): HeldMemory | undefined {
  return (response as { [HELD]?: HeldMemory } | null)?.[HELD];
}

/** Where a connection keeps its `ConnectionReadMemory` in its request contexts' `connectionState`. */
export const CONNECTION_READ_MEMORY = 'fetch.readMemory';
