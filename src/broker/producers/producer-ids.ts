/**
 * Producer id allocation (InitProducerId), persisted so an id is never handed out twice, even across a
 * killed broker: ids are reserved in blocks, and a block is written to `producer-ids.log` (a framed
 * append-only log) and fsynced before any id in it is used. After a restart allocation resumes past the
 * last reserved block, skipping whatever of it was unused — the same trade Kafka's block-based
 * ProducerIdManager makes.
 *
 * Transactional ids map to a producer id and an epoch that is bumped on every InitProducerId, fencing the
 * previous incarnation of that producer. Each registration appends the id's new state; the log is compacted
 * to one entry per live id at start-up and, while running, whenever its dead entries pass a threshold, so
 * re-registering one id costs one entry however often it happens. An id not registered again for
 * `transactional.id.expiration.ms` is forgotten (Kafka: 7 days). Nothing here blocks the event loop: writes
 * go through the framed log's queue, and concurrent appends share a write.
 */
import path from 'node:path';
import { ErrorCode } from '../../protocol/errors.js';
import { FramedLog } from '../framed-log.js';
import { PayloadReader, PayloadWriter } from '../groups/payload.js';

export const PRODUCER_IDS_FILE = 'producer-ids.log';
const FORMAT = 1;
const KIND_BLOCK = 1;
/** Format 1 entry without a timestamp (read only: counted as registered at load time). */
const KIND_TRANSACTIONAL_V1 = 2;
const KIND_TRANSACTIONAL = 3;
/** Ids reserved per write. */
export const PRODUCER_ID_BLOCK = 1000n;
const MAX_EPOCH = 32767;
/** transaction.max.timeout.ms */
const MAX_TRANSACTION_TIMEOUT_MS = 900_000;
/** transactional.id.expiration.ms default (7 days). */
export const TRANSACTIONAL_ID_EXPIRATION_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * Compact while running once dead entries exceed both this many bytes and the live entries' size: the file
 * stays within about twice its live size plus 1 MiB, and a compaction (one rewrite) is amortized over at
 * least 1 MiB of appends.
 */
export const COMPACT_MIN_GARBAGE_BYTES = 1024 * 1024;
/** Look for expired transactional ids once per this many registrations (besides start-up). */
const EXPIRY_SWEEP_EVERY = 1024;
const FRAME_OVERHEAD = 8;
const BLOCK_ENTRY_BYTES = 10 + FRAME_OVERHEAD;

export interface ProducerIdAndEpoch {
  producerId: bigint;
  producerEpoch: number;
}

interface TransactionalEntry extends ProducerIdAndEpoch {
  timeoutMs: number;
  /** Wall-clock ms of the last InitProducerId (expiry counts from it). */
  lastUsed: number;
  /** Encoded size in the log, frame header included. */
  bytes: number;
}

export interface ProducerIdOptions {
  /** fsync every registration (--fsync always). Block reservations are always fsynced. */
  fsync?: boolean;
  /** transactional.id.expiration.ms */
  transactionalIdExpirationMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

export class ProducerIdManager {
  private next = 0n;
  private reservedEnd = 0n;
  private readonly transactional = new Map<string, TransactionalEntry>();
  /** Bytes of live entries (one block record plus each transactional id's latest). */
  private liveBytes = BLOCK_ENTRY_BYTES;
  /** The block reservation being written, shared by every caller that needs it. */
  private reserving: Promise<void> | undefined;
  /** Transactional registrations, one at a time (read, bump, write). */
  private chain: Promise<unknown> = Promise.resolve();
  private sinceSweep = 0;
  private readonly expirationMs: number;
  private readonly now: () => number;

  private constructor(
    private readonly log: FramedLog,
    options: ProducerIdOptions,
  ) {
    this.expirationMs = options.transactionalIdExpirationMs ?? TRANSACTIONAL_ID_EXPIRATION_MS;
    this.now = options.now ?? Date.now;
  }

  /** Loads (and compacts) `<dataDir>/producer-ids.log`; synchronous, for start-up. */
  static open(dataDir: string, options: ProducerIdOptions = {}): ProducerIdManager {
    const { log, payloads } = FramedLog.open(path.join(dataDir, PRODUCER_IDS_FILE), options);
    const m = new ProducerIdManager(log, options);
    const loadedAt = m.now();
    for (const payload of payloads) m.apply(payload, loadedAt);
    m.next = m.reservedEnd;
    m.dropExpired();
    log.rewriteSync(m.livePayloads());
    return m;
  }

  /** Size of `producer-ids.log` in bytes (tests, monitoring). */
  get fileBytes(): number {
    return this.log.sizeBytes;
  }

  /** Transactional ids known. */
  get transactionalIds(): number {
    return this.transactional.size;
  }

  /** A fresh producer id, never returned before by this data dir. */
  async nextProducerId(): Promise<bigint> {
    while (this.next >= this.reservedEnd) await this.reserveBlock();
    return this.next++;
  }

  /** Makes sure ids already present in the logs (e.g. a lost id file) are never handed out again. */
  observe(producerId: bigint): void {
    if (producerId < this.next) return;
    this.next = producerId + 1n;
    if (this.next > this.reservedEnd) {
      this.reservedEnd = this.next;
      this.log.append(blockPayload(this.reservedEnd)).catch(() => undefined); // the next reservation rewrites it
      this.maybeCompact();
    }
  }

  /**
   * InitProducerId. Without a transactional id: a new producer id at epoch 0 (also when the client asks to
   * bump an existing one, as Kafka does for idempotent producers). With one: the same producer id at the
   * next epoch (a new id once the epoch is exhausted), written before it is returned.
   */
  async initProducerId(
    transactionalId: string | null,
    transactionTimeoutMs: number,
    expected: ProducerIdAndEpoch | null = null,
  ): Promise<ProducerIdAndEpoch | { errorCode: number }> {
    if (transactionalId === null || transactionalId === '') return { producerId: await this.nextProducerId(), producerEpoch: 0 };
    if (transactionTimeoutMs <= 0 || transactionTimeoutMs > MAX_TRANSACTION_TIMEOUT_MS) {
      return { errorCode: ErrorCode.INVALID_TRANSACTION_TIMEOUT };
    }
    const run = this.chain.then(() => this.register(transactionalId, transactionTimeoutMs, expected));
    this.chain = run.catch(() => undefined);
    return run;
  }

  transactionalState(transactionalId: string): ProducerIdAndEpoch | undefined {
    const t = this.transactional.get(transactionalId);
    return t && { producerId: t.producerId, producerEpoch: t.producerEpoch };
  }

  /** Forgets transactional ids unused for transactional.id.expiration.ms; returns how many. */
  expire(): number {
    const dropped = this.dropExpired();
    if (dropped > 0) this.compact();
    return dropped;
  }

  /** Writes what is queued and closes the file. */
  async close(): Promise<void> {
    await this.chain.catch(() => undefined);
    await this.reserving?.catch(() => undefined);
    await this.log.close();
  }

  private async register(id: string, timeoutMs: number, expected: ProducerIdAndEpoch | null): Promise<ProducerIdAndEpoch | { errorCode: number }> {
    if (++this.sinceSweep >= EXPIRY_SWEEP_EVERY) {
      this.sinceSweep = 0;
      this.expire();
    }
    const current = this.transactional.get(id);
    if (current && expected && (expected.producerId !== current.producerId || expected.producerEpoch !== current.producerEpoch)) {
      return { errorCode: ErrorCode.PRODUCER_FENCED };
    }
    const fresh = !current || current.producerEpoch >= MAX_EPOCH - 1;
    const producerId = fresh ? await this.nextProducerId() : current.producerId;
    const producerEpoch = fresh ? 0 : current.producerEpoch + 1;
    const payload = encodeTransactional(id, producerId, producerEpoch, timeoutMs, this.now());
    const entry: TransactionalEntry = { producerId, producerEpoch, timeoutMs, lastUsed: this.now(), bytes: payload.length + FRAME_OVERHEAD };
    // The in-memory state leads the file, so a compaction queued behind this append still includes it.
    this.setEntry(id, entry);
    const written = this.log.append(payload);
    this.maybeCompact();
    await written;
    return { producerId, producerEpoch };
  }

  private reserveBlock(): Promise<void> {
    this.reserving ??= (async () => {
      const end = (this.next > this.reservedEnd ? this.next : this.reservedEnd) + PRODUCER_ID_BLOCK;
      // A reservation must outlive even a power loss before any id in it is used: one fsync per block.
      await this.log.append(blockPayload(end), true);
      if (end > this.reservedEnd) this.reservedEnd = end;
      this.maybeCompact();
    })().finally(() => {
      this.reserving = undefined;
    });
    return this.reserving;
  }

  private maybeCompact(): void {
    const garbage = this.log.sizeBytes - this.liveBytes;
    if (garbage > COMPACT_MIN_GARBAGE_BYTES && garbage > this.liveBytes) this.compact();
  }

  private compact(): void {
    // Evaluated when the rewrite runs, after the appends queued before it: the state then covers them all.
    this.log.rewrite(() => this.livePayloads()).catch(() => undefined); // a failed compaction leaves the old, whole file
  }

  private livePayloads(): Buffer[] {
    const payloads = [blockPayload(this.reservedEnd)];
    for (const [id, t] of this.transactional) payloads.push(encodeTransactional(id, t.producerId, t.producerEpoch, t.timeoutMs, t.lastUsed));
    return payloads;
  }

  private setEntry(id: string, entry: TransactionalEntry): void {
    const old = this.transactional.get(id);
    if (old) this.liveBytes -= old.bytes;
    // Re-inserted, so the map stays in last-used order and expiry stops at the first live entry.
    this.transactional.delete(id);
    this.transactional.set(id, entry);
    this.liveBytes += entry.bytes;
  }

  private dropExpired(): number {
    const cutoff = this.now() - this.expirationMs;
    let dropped = 0;
    for (const [id, t] of this.transactional) {
      if (t.lastUsed > cutoff) break;
      this.transactional.delete(id);
      this.liveBytes -= t.bytes;
      dropped++;
    }
    return dropped;
  }

  private apply(payload: Buffer, loadedAt: number): void {
    const r = new PayloadReader(payload);
    if (r.int8() !== FORMAT) return;
    switch (r.int8()) {
      case KIND_BLOCK: {
        const end = r.int64();
        if (end > this.reservedEnd) this.reservedEnd = end;
        break;
      }
      case KIND_TRANSACTIONAL_V1:
      case KIND_TRANSACTIONAL: {
        const kind = payload.readInt8(1);
        const id = r.string() ?? '';
        const producerId = r.int64();
        const producerEpoch = r.int16();
        const timeoutMs = r.int32();
        const lastUsed = kind === KIND_TRANSACTIONAL ? Number(r.int64()) : loadedAt;
        const bytes = encodeTransactional(id, producerId, producerEpoch, timeoutMs, lastUsed).length + FRAME_OVERHEAD;
        this.setEntry(id, { producerId, producerEpoch, timeoutMs, lastUsed, bytes });
        if (producerId >= this.reservedEnd) this.reservedEnd = producerId + 1n;
        break;
      }
      default:
        break;
    }
  }
}

function blockPayload(end: bigint): Buffer {
  return new PayloadWriter(16).int8(FORMAT).int8(KIND_BLOCK).int64(end).toBuffer();
}

function encodeTransactional(id: string, producerId: bigint, producerEpoch: number, timeoutMs: number, lastUsed: number): Buffer {
  return new PayloadWriter(64 + id.length * 3)
    .int8(FORMAT)
    .int8(KIND_TRANSACTIONAL)
    .string(id)
    .int64(producerId)
    .int16(producerEpoch)
    .int32(timeoutMs)
    .int64(BigInt(lastUsed))
    .toBuffer();
}
