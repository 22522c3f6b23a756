/**
 * A `BatchingPusher` whose batches are Kafka record batches built by an `EventBatchBuilder`: the pushers of
 * the transports that produce record batches themselves (embedded, wire) differ only in how they send one.
 *
 * With a `TransactionalSession` the pusher is exactly-once (KIP-98): batches carry the producer id, epoch and
 * sequence and the transactional flag, the partition joins a transaction before its first batch, and
 * `commit(position)` ends the transaction with the capture's position committed in it (TxnOffsetCommit), so
 * events and position become visible together or not at all. Without one nothing of this runs: the
 * at-least-once path pays one branch per sealed batch.
 */
import type { Event } from '../dataflow/event.js';
import { ErrorCode, KafkaError, errorCodeOf, errorInfo } from '../protocol/errors.js';
import { isFencedCode, type TransactionalSession } from '../client/transactions.js';
import { BatchingPusher, type BatchingPusherOptions } from './batching-pusher.js';
import { EventBatchBuilder } from './event-batch.js';
import { encodeEventParts } from './event-codec.js';
import { CommitCadence } from './commit-cadence.js';
import { CaptureFencedError, DeliveryError, captureGroupId, encodePosition, type CapturePosition } from './event-pusher.js';

/** What makes an EventBatchPusher exactly-once. */
export interface ExactlyOnceSetup {
  session: TransactionalSession;
  /** The position the previous capture committed (read when the pusher was made). */
  committed: CapturePosition | undefined;
  /** Event bytes after which capture should commit. */
  commitBytes: number;
  /** Milliseconds after the first uncommitted event after which capture should commit. */
  commitIntervalMs: number;
}

/**
 * Default commit cadence of exactly-once capture: every 64 MiB of events or 1 s, whichever comes first. A
 * commit drains the pipeline and costs a few round trips plus a marker per partition; at this size it stays
 * a few percent of the throughput (bench/roundtrip.ts measures it beside at-least-once), while a crashed
 * capture loses at most about a second of work.
 */
export const DEFAULT_COMMIT_BYTES = 64 << 20;
export const DEFAULT_COMMIT_INTERVAL_MS = 1000;
/** How long the first batch of an exactly-once pusher is retried on retriable errors (a broker restarting). */
const RETRY_FIRST_MS = 30_000;

export abstract class EventBatchPusher<T, D> extends BatchingPusher<T, D, Buffer> {
  /** Subclasses hand a sent batch back with `builder.recycle` once nothing references it. */
  protected readonly builder: EventBatchBuilder;
  private readonly eos: ExactlyOnceSetup | undefined;
  /** Exactly-once state: the sequence of the next record, the transaction's start, bytes and timer since the last commit. */
  private sequence = 0;
  private started: Promise<void> | undefined;
  private readonly cadence: CommitCadence | undefined;

  constructor(name: string, limits: BatchingPusherOptions, eos?: ExactlyOnceSetup) {
    super(name, limits);
    this.builder = new EventBatchBuilder(limits.batchBytes);
    this.eos = eos;
    if (eos) this.cadence = new CommitCadence(eos.commitBytes, eos.commitIntervalMs);
  }

  get onCommitDue(): (() => void) | undefined {
    return this.cadence?.onDue;
  }
  set onCommitDue(callback: (() => void) | undefined) {
    if (this.cadence) this.cadence.onDue = callback;
  }

  /** Sends one sealed batch; resolves with the offset the broker stored it at. */
  protected abstract sendBatch(batch: Buffer): Promise<bigint | number | string>;

  protected append(event: Event<T, D>): number {
    const parts = encodeEventParts(event);
    if (!this.builder.add(parts)) {
      this.sealOpenBatch();
      this.builder.add(parts);
    }
    return parts.size;
  }

  protected seal(): Buffer {
    const eos = this.eos;
    if (!eos) return this.builder.finish();
    const count = this.builder.records;
    this.cadence?.add(this.builder.eventBytes);
    const batch = this.builder.finish(Date.now(), { producerId: eos.session.producerId, producerEpoch: eos.session.producerEpoch, baseSequence: this.sequence });
    // Sequences wrap at 2^31 - 1, as Kafka's producer does.
    this.sequence = (this.sequence + count) % 0x80000000;
    return batch;
  }

  protected send(batch: Buffer): Promise<bigint | number | string> {
    const eos = this.eos;
    if (!eos) return this.sendBatch(batch);
    // The partition joins the transaction before its first batch; later sends wait for that (in order).
    this.started ??= eos.session.addPartition(this.name, 0);
    const started = this.started;
    if (!this.warm) {
      // The pusher's first batch goes alone and is retried while the broker answers a retriable error (a
      // restarted broker rebuilds its producer state first): the sequence number makes a retry safe.
      const first = started.then(() => this.sendRetrying(batch));
      this.warm = first.then(() => {}, () => {});
      return first;
    }
    return this.warm.then(() => started).then(() => this.sendBatch(batch));
  }
  private warm: Promise<void> | undefined;

  private async sendRetrying(batch: Buffer): Promise<bigint | number | string> {
    const master = Buffer.from(batch); // a send may recycle or move the buffer it was given
    const deadline = Date.now() + RETRY_FIRST_MS;
    for (let backoff = 20; ; backoff = Math.min(backoff * 2, 500)) {
      try {
        return await this.sendBatch(Buffer.from(master));
      } catch (error) {
        const code = errorCodeOf(error, undefined);
        if (code === undefined || !errorInfo(code).retriable || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, backoff));
      }
    }
  }

  // ---- exactly-once ------------------------------------------------------------------------------------

  get exactlyOnce(): true | undefined {
    return this.eos ? true : undefined;
  }

  get committed(): CapturePosition | undefined {
    return this.eos?.committed;
  }

  /** Due when the bytes bound is reached or the time bound passed (the open batch's bytes count too). */
  get commitDue(): boolean {
    return this.cadence ? this.cadence.due(this.builder.eventBytes) : false;
  }

  commit(position: CapturePosition<T>): Promise<void> {
    const eos = this.eos;
    if (!eos) return Promise.reject(new Error(`pusher "${this.name}" is not exactly-once`));
    this.cadence?.reset(-this.builder.eventBytes); // the open batch is sealed (and counted) by the commit point below
    return this.commitPoint(async () => {
      // Nothing sent in this transaction (the position a fresh topic starts with): it holds the offset alone.
      if (this.started) await this.started;
      const metadata = encodePosition(position);
      try {
        await eos.session.commitOffset(captureGroupId(this.name), this.name, 0, BigInt(position.events), metadata);
      } catch (error) {
        if (errorCodeOf(error, undefined) !== ErrorCode.OFFSET_METADATA_TOO_LARGE) throw error;
        throw new KafkaError(
          ErrorCode.OFFSET_METADATA_TOO_LARGE,
          `the capture position of "${this.name}" is ${Buffer.byteLength(metadata)} bytes of JSON (it lists the ${position.counts?.length ?? 0} times the stream holds), ` +
            `more than the broker's offset.metadata.max.bytes: hold fewer distinct times at once, or raise that broker setting`,
          { cause: error },
        );
      }
      await eos.session.end(true);
      this.started = undefined;
    });
  }

  async abort(): Promise<void> {
    this.cadence?.stop();
    const eos = this.eos;
    this.stopSending('the capture was aborted');
    try {
      if (eos && this.started) {
        await this.started.catch(() => {});
        await eos.session.end(false);
      }
    } catch {
      // already failing: the broker aborts the transaction when it times out or the stream is captured again
    } finally {
      await this.release().catch(() => {});
    }
  }

  override async close(): Promise<void> {
    this.cadence?.stop();
    await super.close();
  }

  /** Offsets of an exactly-once stream skip the markers between transactions: any later offset is right. */
  protected override acceptsOffset(base: bigint | number | string, first: number): boolean {
    if (!this.eos) return super.acceptsOffset(base, first);
    const at = BigInt(base);
    const ok = this.lastBase === undefined || at > this.lastBase;
    this.lastBase = at;
    return ok;
  }
  private lastBase: bigint | undefined;

  protected override failureFor(offset: number, reason: string, code: number | undefined, cause: unknown): Error {
    if (this.eos && ((code !== undefined && isFencedCode(code)) || (cause as { name?: string } | undefined)?.name === 'ProducerFencedError')) {
      return new CaptureFencedError(this.name, code ?? ErrorCode.PRODUCER_FENCED, { cause });
    }
    return new DeliveryError(this.name, offset, reason, code, { cause });
  }
}
