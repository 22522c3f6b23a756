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
 * A single read larger than a budget proceeds once nothing else holds that budget, so nothing deadlocks.
 *
 * Fetches on one connection run one at a time (Kafka serves one request per connection at a time; responses
 * leave in request order anyway). Without that, a later fetch could hold the memory that an earlier one
 * waits for, while its own response waits behind the earlier one: a deadlock.
 */
import { ByteBudget } from './byte-budget.js';

/** The broker-wide budget, shared by every connection's `ConnectionReadMemory`. */
export class ReadMemory {
  readonly budget: ByteBudget;
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

export class ConnectionReadMemory {
  private readonly own: ByteBudget;
  /** Bytes this connection holds (of both budgets). */
  private held = 0;
  private closed = false;
  private fetching = false;
  private readonly fetchLine: Array<() => void> = [];
  private shedder: (() => void) | null = null;

  constructor(
    private readonly broker: ReadMemory,
    limit: number,
  ) {
    this.own = new ByteBudget(limit);
  }

  /** Bytes this connection holds: responses not yet written and read-ahead. */
  get bytesHeld(): number {
    return this.held;
  }

  /**
   * Reserves `bytes` for a read: null when reserved at once; else a promise of true once reserved, or of
   * false when the connection closed (or `signal` aborted) first, in which case nothing is held.
   */
  reserve(bytes: number, signal?: AbortSignal): Promise<boolean> | null {
    if (this.closed) return Promise.resolve(false);
    if (this.own.tryTake(bytes)) {
      if (this.broker.budget.tryTake(bytes)) {
        this.held += bytes;
        return null;
      }
      this.own.give(bytes);
    }
    return this.reserveSlowly(bytes, signal);
  }

  private async reserveSlowly(bytes: number, signal?: AbortSignal): Promise<boolean> {
    // This connection's read-ahead is given up before waiting for memory it may be holding.
    this.shed();
    const ownTurn = this.own.take(bytes, signal);
    if (ownTurn && !(await ownTurn)) return false;
    this.broker.shed();
    const brokerTurn = this.broker.budget.take(bytes, signal);
    if (brokerTurn && !(await brokerTurn)) {
      this.own.give(bytes);
      return false;
    }
    if (this.closed) {
      this.own.give(bytes);
      this.broker.budget.give(bytes);
      return false;
    }
    this.held += bytes;
    return true;
  }

  /** Reserves `bytes` only if that needs no waiting (read-ahead: never worth waiting for). */
  tryReserve(bytes: number): boolean {
    if (this.closed || !this.own.tryTake(bytes)) return false;
    if (!this.broker.budget.tryTake(bytes)) {
      this.own.give(bytes);
      return false;
    }
    this.held += bytes;
    return true;
  }

  /** Counts `bytes` already allocated beyond what was reserved (the first batch of a fetch, kept whole). */
  force(bytes: number): void {
    if (this.closed || bytes <= 0) return;
    this.own.force(bytes);
    this.broker.budget.force(bytes);
    this.held += bytes;
  }

  /** Gives back `bytes` (a response written, a read dropped). Ignored once the connection closed. */
  release(bytes: number): void {
    if (this.closed || bytes <= 0) return;
    const n = Math.min(bytes, this.held);
    this.held -= n;
    this.own.give(n);
    this.broker.budget.give(n);
  }

  /**
   * Waits for this connection's earlier fetches to finish: null when none is running. Pair with `endFetch`.
   */
  startFetch(): Promise<void> | null {
    if (!this.fetching) {
      this.fetching = true;
      return null;
    }
    return new Promise((resolve) => this.fetchLine.push(resolve));
  }

  endFetch(): void {
    const next = this.fetchLine.shift();
    if (next) next();
    else this.fetching = false;
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
    this.broker.markSheddable(this, false);
    for (const next of this.fetchLine.splice(0)) next();
  }
}

/** Marks a response as holding `bytes` of read memory until it is written (the connection releases them). */
const HELD = Symbol('heldReadMemory');

export function holdUntilWritten(response: object, bytes: number): void {
  (response as { [HELD]?: number })[HELD] = bytes;
}

/** The read memory a response holds until written (0 for most responses). */
export function heldUntilWritten(response: unknown): number {
  return (response as { [HELD]?: number } | null)?.[HELD] ?? 0;
}

/** Where a connection keeps its `ConnectionReadMemory` in its request contexts' `connectionState`. */
export const CONNECTION_READ_MEMORY = 'fetch.readMemory';
