/**
 * What every exactly-once pusher does before its first event, whatever carries its requests: become the
 * transactional producer of the stream (InitProducerId fences an older capture and aborts its open
 * transaction), read the position the stream committed (OffsetFetch with require_stable), and decide what to
 * do with the topic: continue it (`resume`), recreate it (`replace`), or refuse a committed prefix.
 */
import { TransactionalSession, fetchCommittedOffset, type KafkaRequester } from '../client/transactions.js';
import { CommittedPrefixError, TopicNotEmptyError, captureGroupId, captureTransactionalId, decodePosition, type CapturePosition } from './event-pusher.js';
import { DEFAULT_COMMIT_BYTES, DEFAULT_COMMIT_INTERVAL_MS, type ExactlyOnceSetup } from './event-batch-pusher.js';
import type { PusherOptions } from './transport.js';

export interface TopicOps {
  /** The topic's record count (high watermark) and partitions, creating it (one partition) if missing. */
  inspect(): Promise<{ records: bigint; partitions: number }>;
  /** Deletes and recreates the topic empty (committed offsets on it go too). */
  replace(): Promise<void>;
}

export async function setUpExactlyOnce(topic: string, options: PusherOptions, txnRequester: KafkaRequester, groupRequester: KafkaRequester, ops: TopicOps): Promise<ExactlyOnceSetup> {
  const session = new TransactionalSession(txnRequester, captureTransactionalId(topic), options.transactionTimeoutMs !== undefined ? { transactionTimeoutMs: options.transactionTimeoutMs } : {});
  await session.init();
  const found = await fetchCommittedOffset(groupRequester, captureGroupId(topic), topic, 0);
  return {
    session,
    committed: await startingPoint(topic, options, found.offset, found.metadata, ops),
    commitBytes: options.commitBytes ?? DEFAULT_COMMIT_BYTES,
    commitIntervalMs: options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS,
  };
}

/**
 * Once the producer is initialised (an older capture fenced, its open transaction aborted): the position to
 * resume from (undefined: start fresh), after replacing the topic if asked, or a refusal.
 */
export async function startingPoint(topic: string, options: PusherOptions, offset: bigint, metadata: string | null, ops: TopicOps): Promise<CapturePosition | undefined> {
  let committed: CapturePosition | undefined = offset >= 0n ? decodePosition(offset, metadata, topic) : undefined;
  const { records, partitions } = await ops.inspect();
  if (options.replace) {
    if (records > 0n || partitions !== 1 || committed) await ops.replace();
    return undefined;
  }
  if (partitions !== 1) throw new Error(`topic "${topic}" has ${partitions} partitions; a captured stream needs one (total order). Use a fresh name or { replace: true }`);
  if (committed) {
    if (!options.resume && (committed.events > 0 || records > 0n)) throw new CommittedPrefixError(topic, committed.events);
  } else if (records > 0n) {
    throw new TopicNotEmptyError(topic, records);
  }
  if (!options.resume) committed = undefined;
  return committed;
}

/** A fresh stream commits position 0 at once, so the topic is known as exactly-once from its first byte on. */
export async function commitStart(pusher: { committed: CapturePosition | undefined; commit(p: CapturePosition): Promise<void> }): Promise<void> {
  if (!pusher.committed) await pusher.commit({ events: 0 });
}
