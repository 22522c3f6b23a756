/**
 * A transactional producer's control requests (KIP-98), independent of how requests travel: InitProducerId
 * with a transactional id (which fences the previous incarnation and aborts its open transaction),
 * AddPartitionsToTxn, AddOffsetsToTxn + TxnOffsetCommit, EndTxn, and OffsetFetch with require_stable to read
 * offsets committed that way. Record batches themselves are produced by the caller with the id and epoch
 * from `init()`. Retriable answers (markers of the previous transaction still being written, a coordinator
 * loading) are retried with a short backoff, up to `retryTimeoutMs`.
 */
import type { ApiCodec } from '../protocol/codec.js';
import { ErrorCode, KafkaError, errorInfo } from '../protocol/errors.js';
import { AddOffsetsToTxn } from '../protocol/messages/add-offsets-to-txn.js';
import { AddPartitionsToTxn } from '../protocol/messages/add-partitions-to-txn.js';
import { EndTxn } from '../protocol/messages/end-txn.js';
import { InitProducerId } from '../protocol/messages/init-producer-id.js';
import { OffsetFetch } from '../protocol/messages/offset-fetch.js';
import { TxnOffsetCommit } from '../protocol/messages/txn-offset-commit.js';

/** Sends one request and resolves with its decoded response (a broker connection, or the in-process link). */
export interface KafkaRequester {
  request<Req, Res>(codec: ApiCodec<Req, Res>, body: Req): Promise<Res>;
}

/** A newer producer with the same transactional id took over: this one may not write or commit any more. */
export class ProducerFencedError extends KafkaError {
  constructor(readonly transactionalId: string, code: number, what: string) {
    super(code, `producer of transactional id "${transactionalId}" was fenced during ${what}: a newer producer with the same transactional id started`);
    this.name = 'ProducerFencedError';
  }
}

export function isFencedCode(code: number): boolean {
  return code === ErrorCode.PRODUCER_FENCED || code === ErrorCode.INVALID_PRODUCER_EPOCH || code === ErrorCode.INVALID_PRODUCER_ID_MAPPING;
}

export interface TransactionOptions {
  /** transaction.timeout.ms sent with InitProducerId (default 60,000, Kafka's producer default). */
  transactionTimeoutMs?: number;
  /** How long retriable answers are retried before failing (default 30,000 ms). */
  retryTimeoutMs?: number;
}

/** A committed offset with its metadata, as OffsetFetch returns it (-1 when none). */
export interface CommittedOffset {
  offset: bigint;
  metadata: string | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Retriable answers of the transactional requests: markers in progress, a coordinator loading or moving. */
const RETRIABLE = new Set<number>([
  ErrorCode.CONCURRENT_TRANSACTIONS,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.UNSTABLE_OFFSET_COMMIT,
]);

export class TransactionalSession {
  producerId = -1n;
  producerEpoch = -1;
  private readonly timeoutMs: number;
  private readonly retryTimeoutMs: number;

  constructor(private readonly requester: KafkaRequester, readonly transactionalId: string, options: TransactionOptions = {}) {
    this.timeoutMs = options.transactionTimeoutMs ?? 60_000;
    this.retryTimeoutMs = options.retryTimeoutMs ?? 30_000;
  }

  /** Retries `attempt` while it answers a retriable code; throws a typed error for anything else. */
  private async retrying(what: string, attempt: () => Promise<number>): Promise<void> {
    const deadline = Date.now() + this.retryTimeoutMs;
    let backoff = 2;
    for (;;) {
      const code = await attempt();
      if (code === ErrorCode.NONE) return;
      if (isFencedCode(code)) throw new ProducerFencedError(this.transactionalId, code, what);
      if (!RETRIABLE.has(code) || Date.now() > deadline) {
        throw new KafkaError(code, `${what} for transactional id "${this.transactionalId}"${RETRIABLE.has(code) ? ` still failing after ${this.retryTimeoutMs} ms` : ''}`);
      }
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 100);
    }
  }

  /** Gets the producer id and a new epoch, fencing any earlier producer of this transactional id. */
  async init(): Promise<void> {
    await this.retrying('InitProducerId', async () => {
      const r = await this.requester.request(InitProducerId, { transactionalId: this.transactionalId, transactionTimeoutMs: this.timeoutMs, producerId: -1n, producerEpoch: -1 });
      if (r.errorCode === ErrorCode.NONE) {
        this.producerId = r.producerId;
        this.producerEpoch = r.producerEpoch;
      }
      return r.errorCode;
    });
  }

  /** Adds a partition to the ongoing transaction (starting it); needed before its first batch is produced. */
  async addPartition(topic: string, partition: number): Promise<void> {
    await this.retrying(`AddPartitionsToTxn(${topic}-${partition})`, async () => {
      const r = await this.requester.request(AddPartitionsToTxn, {
        transactions: [],
        v3AndBelowTransactionalId: this.transactionalId,
        v3AndBelowProducerId: this.producerId,
        v3AndBelowProducerEpoch: this.producerEpoch,
        v3AndBelowTopics: [{ name: topic, partitions: [partition] }],
      });
      const p = r.resultsByTopicV3AndBelow[0]?.resultsByPartition[0];
      return p ? p.partitionErrorCode : ErrorCode.UNKNOWN_SERVER_ERROR;
    });
  }

  /** Commits `offset` (with `metadata`) for `groupId` inside the transaction: visible once it commits. */
  async commitOffset(groupId: string, topic: string, partition: number, offset: bigint, metadata: string | null): Promise<void> {
    await this.retrying(`AddOffsetsToTxn(${groupId})`, async () => {
      const r = await this.requester.request(AddOffsetsToTxn, { transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, groupId });
      return r.errorCode;
    });
    await this.retrying(`TxnOffsetCommit(${groupId})`, async () => {
      const r = await this.requester.request(TxnOffsetCommit, {
        transactionalId: this.transactionalId,
        groupId,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ name: topic, partitions: [{ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: metadata }] }],
      });
      return r.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    });
  }

  /** Commits (or aborts) the ongoing transaction. */
  async end(commit: boolean): Promise<void> {
    await this.retrying(commit ? 'EndTxn(commit)' : 'EndTxn(abort)', async () => {
      const r = await this.requester.request(EndTxn, { transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, committed: commit });
      return r.errorCode;
    });
  }
}

/** The offset committed for `groupId` on a partition, waiting out pending transactional commits (require_stable). */
export async function fetchCommittedOffset(requester: KafkaRequester, groupId: string, topic: string, partition: number, retryTimeoutMs = 30_000): Promise<CommittedOffset> {
  const deadline = Date.now() + retryTimeoutMs;
  let backoff = 5;
  for (;;) {
    const r = await requester.request(OffsetFetch, { groupId, topics: [{ name: topic, partitionIndexes: [partition] }], groups: [], requireStable: true });
    const p = r.topics[0]?.partitions[0];
    const code = r.errorCode !== ErrorCode.NONE ? r.errorCode : (p?.errorCode ?? ErrorCode.NONE);
    if (code === ErrorCode.NONE) return { offset: p ? p.committedOffset : -1n, metadata: p ? p.metadata : null };
    if (!RETRIABLE.has(code) || Date.now() > deadline) throw new KafkaError(code, `reading the offset of group "${groupId}" for ${topic}-${partition}`);
    if (!errorInfo(code).retriable && code !== ErrorCode.UNSTABLE_OFFSET_COMMIT) throw new KafkaError(code);
    await sleep(backoff);
    backoff = Math.min(backoff * 2, 200);
  }
}
