/**
 * Producer id allocation (InitProducerId), persisted so an id is never handed out twice, even across a
 * killed broker: ids are reserved in blocks, and a block is written to `producer-ids.log` (a framed
 * append-only log) before any id in it is used. After a restart allocation resumes past the last reserved
 * block, skipping whatever of it was unused — the same trade Kafka's block-based ProducerIdManager makes.
 *
 * Transactional ids map to a producer id and an epoch that is bumped on every InitProducerId, fencing the
 * previous incarnation of that producer.
 */
import path from 'node:path';
import { ErrorCode } from '../../protocol/errors.js';
import { FramedLog } from '../framed-log.js';
import { PayloadReader, PayloadWriter } from '../groups/payload.js';

export const PRODUCER_IDS_FILE = 'producer-ids.log';
const FORMAT = 1;
const KIND_BLOCK = 1;
const KIND_TRANSACTIONAL = 2;
/** Ids reserved per write. */
export const PRODUCER_ID_BLOCK = 1000n;
const MAX_EPOCH = 32767;
/** transaction.max.timeout.ms */
const MAX_TRANSACTION_TIMEOUT_MS = 900_000;

export interface ProducerIdAndEpoch {
  producerId: bigint;
  producerEpoch: number;
}

interface TransactionalEntry extends ProducerIdAndEpoch {
  timeoutMs: number;
}

export class ProducerIdManager {
  private next = 0n;
  private reservedEnd = 0n;
  private readonly transactional = new Map<string, TransactionalEntry>();

  private constructor(private readonly log: FramedLog) {}

  static open(dataDir: string, options: { fsync?: boolean } = {}): ProducerIdManager {
    const { log, payloads } = FramedLog.open(path.join(dataDir, PRODUCER_IDS_FILE), options);
    const m = new ProducerIdManager(log);
    for (const payload of payloads) m.apply(payload);
    m.next = m.reservedEnd;
    m.compact();
    return m;
  }

  /** A fresh producer id, never returned before by this data dir. */
  nextProducerId(): bigint {
    if (this.next >= this.reservedEnd) {
      const end = this.next + PRODUCER_ID_BLOCK;
      this.log.append(new PayloadWriter(16).int8(FORMAT).int8(KIND_BLOCK).int64(end).toBuffer());
      // A reservation must outlive even a power loss before any id in it is used; it is one fsync per block.
      this.log.flush();
      this.reservedEnd = end;
    }
    return this.next++;
  }

  /** Makes sure ids already present in the logs (e.g. a lost id file) are never handed out again. */
  observe(producerId: bigint): void {
    if (producerId < this.next) return;
    this.next = producerId + 1n;
    if (this.next > this.reservedEnd) {
      this.reservedEnd = this.next;
      this.log.append(new PayloadWriter(16).int8(FORMAT).int8(KIND_BLOCK).int64(this.reservedEnd).toBuffer());
    }
  }

  /**
   * InitProducerId. Without a transactional id: a new producer id at epoch 0 (also when the client asks to
   * bump an existing one, as Kafka does for idempotent producers). With one: the same producer id at the
   * next epoch (a new id once the epoch is exhausted).
   */
  initProducerId(
    transactionalId: string | null,
    transactionTimeoutMs: number,
    expected: ProducerIdAndEpoch | null = null,
  ): ProducerIdAndEpoch | { errorCode: number } {
    if (transactionalId === null || transactionalId === '') return { producerId: this.nextProducerId(), producerEpoch: 0 };
    if (transactionTimeoutMs <= 0 || transactionTimeoutMs > MAX_TRANSACTION_TIMEOUT_MS) {
      return { errorCode: ErrorCode.INVALID_TRANSACTION_TIMEOUT };
    }
    const current = this.transactional.get(transactionalId);
    if (current && expected && (expected.producerId !== current.producerId || expected.producerEpoch !== current.producerEpoch)) {
      return { errorCode: ErrorCode.PRODUCER_FENCED };
    }
    let next: TransactionalEntry;
    if (!current || current.producerEpoch >= MAX_EPOCH - 1) {
      next = { producerId: this.nextProducerId(), producerEpoch: 0, timeoutMs: transactionTimeoutMs };
    } else {
      next = { producerId: current.producerId, producerEpoch: current.producerEpoch + 1, timeoutMs: transactionTimeoutMs };
    }
    this.log.append(this.encodeTransactional(transactionalId, next));
    this.transactional.set(transactionalId, next);
    return { producerId: next.producerId, producerEpoch: next.producerEpoch };
  }

  transactionalState(transactionalId: string): ProducerIdAndEpoch | undefined {
    const t = this.transactional.get(transactionalId);
    return t && { producerId: t.producerId, producerEpoch: t.producerEpoch };
  }

  close(): void {
    this.log.close();
  }

  private compact(): void {
    const payloads = [new PayloadWriter(16).int8(FORMAT).int8(KIND_BLOCK).int64(this.reservedEnd).toBuffer()];
    for (const [id, t] of this.transactional) payloads.push(this.encodeTransactional(id, t));
    this.log.rewrite(payloads);
  }

  private encodeTransactional(id: string, t: TransactionalEntry): Buffer {
    return new PayloadWriter(64)
      .int8(FORMAT)
      .int8(KIND_TRANSACTIONAL)
      .string(id)
      .int64(t.producerId)
      .int16(t.producerEpoch)
      .int32(t.timeoutMs)
      .toBuffer();
  }

  private apply(payload: Buffer): void {
    const r = new PayloadReader(payload);
    if (r.int8() !== FORMAT) return;
    switch (r.int8()) {
      case KIND_BLOCK: {
        const end = r.int64();
        if (end > this.reservedEnd) this.reservedEnd = end;
        break;
      }
      case KIND_TRANSACTIONAL: {
        const id = r.string() ?? '';
        const entry = { producerId: r.int64(), producerEpoch: r.int16(), timeoutMs: r.int32() };
        this.transactional.set(id, entry);
        if (entry.producerId >= this.reservedEnd) this.reservedEnd = entry.producerId + 1n;
        break;
      }
      default:
        break;
    }
  }
}
