/**
 * The bookkeeping every batching EventPusher shares, whatever carries its batches (our wire client, kafkajs,
 * an in-process log): events gather in an open batch, a full batch is sealed and sent at once, a partial one
 * goes out on the next turn of the event loop when nothing is in flight (or when someone flushes), up to
 * `maxInFlight` sends run concurrently, and `push` asks the caller to wait while too many bytes are buffered.
 *
 * Delivery is all or nothing from the first failure on: the first failed send (or a base offset other than the
 * expected one) fails the pusher once with a DeliveryError naming the topic and the offset of the first event
 * that did not make it; every later `push`, `flush` and `close` rejects with that same error. Nothing is ever
 * counted as acknowledged unless the broker stored it where it belongs, so a captured topic never holds
 * reordered or duplicated events unnoticed.
 *
 * Offsets: the pusher numbers events from 0 in the order they were pushed, and expects the topic to be empty
 * when it starts (transports check that), so event number n must land at offset n.
 */
import type { Event } from '../dataflow/event.js';
import { DeliveryError, type EventPusher } from './event-pusher.js';
import { Signal } from '../util/signal.js';
import { errorCodeOf } from '../protocol/errors.js';

export interface BatchingPusherOptions {
  /** Bytes of events (as `append` counts them) after which the open batch is sealed and sent. */
  batchBytes: number;
  /** Sends in flight at once. Sends start in pushing order; keeping them in order on the way is the subclass's job. */
  maxInFlight: number;
  /**
   * Bytes pushed but not yet acknowledged above which `push` returns a promise; it resolves once the buffered
   * bytes fell to `maxBufferedBytes - batchBytes`. Usually (maxInFlight + 2) × batchBytes.
   */
  maxBufferedBytes: number;
}

/** Why a send failed, as it appears in the DeliveryError. */
export interface SendFailure {
  reason: string;
  /** The Kafka error code, when the broker returned one. */
  code?: number;
}

/** What a `send` throws when the broker refused a batch: the reason and Kafka code go into the DeliveryError as they are. */
export class BatchRejectedError extends Error {
  override readonly name = 'BatchRejectedError';
  constructor(reason: string, readonly code?: number) {
    super(reason);
  }
}

interface Sealed<B> {
  batch: B;
  /** Offset the batch's first event must get. */
  first: number;
  count: number;
  bytes: number;
}

/**
 * Subclass contract (all three are called synchronously by the base class, never concurrently with each other):
 * - `append(event)` adds one event to the open batch and returns its size in bytes. If the event does not fit
 *   the open batch, call `this.sealOpenBatch()` first; the event then starts the next batch.
 * - `seal()` closes the open batch (called only when it holds at least one event) and returns it; the next
 *   `append` starts a new one.
 * - `send(batch, firstOffset)` starts delivering a sealed batch and resolves with the offset the broker stored
 *   its first event at (a number, bigint or decimal string), or rejects. Sends are started in order; the batch
 *   is not used by the base class afterwards (a subclass may recycle its buffer once the send settled).
 * Optional overrides: `describeFailure` (turns a send's rejection into reason and code) and `release` (frees
 * connections after the final flush of `close`). `failUndelivered` lets a subclass fail the pusher from outside
 * a send, e.g. when its connection drops.
 */
export abstract class BatchingPusher<T, D, B> implements EventPusher<T, D> {
  private readonly sealed: Sealed<B>[] = [];
  private openCount = 0;
  private openBytes = 0;
  private inFlight = 0;
  private pushed = 0;
  private acked = 0;
  private ackedBytes = 0;
  private bufferedBytes = 0;
  private failure: Error | undefined;
  /**
   * Commit points (exactly-once pushers): event numbers after which sends wait until the commit ran. Empty
   * for at-least-once pushers, where `holdFrom` stays Infinity and costs one comparison per batch.
   */
  private readonly commits: { point: number; run: () => Promise<void>; done: () => void; failed: (e: Error) => void }[] = [];
  private holdFrom = Infinity;
  private committing = false;
  private flushing = false;
  private scheduled = false;
  private readonly progress = new Signal();

  constructor(readonly name: string, private readonly limits: BatchingPusherOptions) {}

  protected abstract append(event: Event<T, D>): number;
  protected abstract seal(): B;
  protected abstract send(batch: B, firstOffset: number): Promise<bigint | number | string>;

  /** Reason and Kafka code of a failed send; by default the error's message and its numeric `code`, if any. */
  protected describeFailure(error: unknown): SendFailure {
    const message = (error as { message?: unknown } | null | undefined)?.message;
    return { reason: typeof message === 'string' ? message : String(error), code: errorCodeOf(error, undefined) };
  }

  /** Frees what the pusher holds (connections); called by `close` after the final flush, even if it failed. */
  protected release(): Promise<void> {
    return Promise.resolve();
  }

  /** Bytes of events acknowledged so far (as `append` counted them). */
  get bytesAcknowledged(): number {
    return this.ackedBytes;
  }

  push(event: Event<T, D>): void | Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const size = this.append(event);
    this.pushed++;
    this.openCount++;
    this.openBytes += size;
    this.bufferedBytes += size;
    if (this.openBytes >= this.limits.batchBytes) this.sealOpenBatch();
    // Full batches go out at once (a producer looping on microtasks would otherwise starve the send path);
    // a partial batch waits for the next turn of the event loop to gather more events.
    if (this.sealed.length > 0) this.pump();
    this.schedule();
    // Backpressure as soon as the window is full and a batch waits: the caller yields, acks get processed,
    // and producing overlaps with sending instead of alternating with it.
    const limit = this.limits.maxBufferedBytes;
    if (this.bufferedBytes > limit) return this.until(() => this.bufferedBytes <= limit - this.limits.batchBytes);
    return undefined;
  }

  /** Resolves once every event pushed so far is acknowledged; rejects with the pusher's DeliveryError. */
  async flush(): Promise<void> {
    this.flushing = true;
    try {
      this.pump();
      await this.until(() => this.acked === this.pushed);
    } finally {
      this.flushing = false;
    }
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.release().catch(() => {});
    }
  }

  /** Seals the open batch now (nothing happens if it is empty); for `append` when an event does not fit. */
  protected sealOpenBatch(): void {
    if (this.openCount === 0) return;
    const batch = this.seal();
    this.sealed.push({ batch, first: this.pushed - this.openCount, count: this.openCount, bytes: this.openBytes });
    this.openCount = 0;
    this.openBytes = 0;
  }

  /** Stops sending for good (an aborted capture): nothing pushed but not yet sent goes out any more. */
  protected stopSending(reason: string): void {
    this.fail(this.acked, reason);
  }

  /** Fails the pusher at the first unacknowledged event, if any event is still unacknowledged. */
  protected failUndelivered(reason: string, code?: number, cause?: unknown): void {
    if (this.acked < this.pushed) this.fail(this.acked, reason, code, cause);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (!this.failure && this.inFlight < this.limits.maxInFlight) {
      if (this.sealed.length === 0) {
        // A partial batch goes out when the pipe is idle or someone waits for it; otherwise it keeps filling.
        if (this.openCount > 0 && (this.inFlight === 0 || this.flushing)) this.sealOpenBatch();
        else break;
      }
      if ((this.sealed[0] as Sealed<B>).first >= this.holdFrom) break; // after a commit point still running
      this.start(this.sealed.shift() as Sealed<B>);
    }
    if (this.commits.length > 0) this.runCommit();
  }

  /**
   * Marks a commit point after every event pushed so far: `run` (e.g. commit the transaction) is called
   * once all of them are acknowledged, and later events are sent only after it resolved. Resolves when
   * `run` did; a failed `run` fails the pusher.
   */
  protected commitPoint(run: () => Promise<void>): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    this.sealOpenBatch();
    return new Promise<void>((done, failed) => {
      this.commits.push({ point: this.pushed, run, done, failed });
      if (this.commits.length === 1) this.holdFrom = this.pushed;
      this.pump();
    });
  }

  /** Runs the first commit once everything before its point is acknowledged. */
  private runCommit(): void {
    const next = this.commits[0];
    if (!next || this.committing || this.failure || this.acked < next.point) return;
    this.committing = true;
    next.run().then(
      () => {
        this.committing = false;
        this.commits.shift();
        this.holdFrom = this.commits[0]?.point ?? Infinity;
        next.done();
        this.pump();
      },
      (error: Error) => {
        this.committing = false;
        const { reason, code } = this.describeFailure(error);
        this.fail(next.point, reason, code, error);
      },
    );
  }

  /** Whether the broker's offset for a batch is the expected one; exactly-once pushers accept any later offset (markers sit between). */
  protected acceptsOffset(base: bigint | number | string, first: number): boolean {
    return sameOffset(base, first);
  }

  /** The error the pusher fails with; subclasses may return a more specific one (e.g. fenced). */
  protected failureFor(offset: number, reason: string, code: number | undefined, cause: unknown): Error {
    return new DeliveryError(this.name, offset, reason, code, { cause });
  }

  private start(item: Sealed<B>): void {
    this.inFlight++;
    let sending: Promise<bigint | number | string>;
    try {
      sending = this.send(item.batch, item.first);
    } catch (error) {
      sending = Promise.reject(error);
    }
    sending.then(
      (base) => {
        this.inFlight--;
        if (!this.acceptsOffset(base, item.first)) {
          return this.fail(item.first, `the broker stored the batch at offset ${String(base)}, not ${item.first}: another producer writes to this topic, or the client reordered concurrent sends`);
        }
        this.acked += item.count;
        this.ackedBytes += item.bytes;
        this.bufferedBytes -= item.bytes;
        this.progress.fire();
        this.pump();
      },
      (error: unknown) => {
        this.inFlight--;
        const { reason, code } = this.describeFailure(error);
        this.fail(item.first, reason, code, error);
      },
    );
  }

  private fail(offset: number, reason: string, code?: number, cause?: unknown): void {
    if (this.failure) return;
    this.failure = this.failureFor(offset, reason, code, cause);
    for (const c of this.commits.splice(0)) c.failed(this.failure);
    this.progress.fire();
  }

  private async until(condition: () => boolean): Promise<void> {
    while (!condition()) {
      if (this.failure) throw this.failure;
      await this.progress.wait();
    }
    if (this.failure) throw this.failure;
  }
}

function sameOffset(base: bigint | number | string, expected: number): boolean {
  if (typeof base === 'number') return base === expected;
  if (typeof base === 'bigint') return base === BigInt(expected);
  return base === String(expected);
}
