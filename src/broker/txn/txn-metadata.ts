/**
 * The coordinator's record of one transactional id (Kafka's TransactionMetadata): its producer id and epoch,
 * timeout, state, and what the open transaction touched. States and transitions follow Kafka's
 * TransactionState: Empty → Ongoing → PrepareCommit|PrepareAbort → CompleteCommit|CompleteAbort → Ongoing ...
 */
import type { OffsetToCommit } from '../groups/offset-store.js';

export const TXN_STATES = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort'] as const;
export type TxnState = (typeof TXN_STATES)[number];

/** A partition in the transaction; `firstOffset` is its high watermark when it was added, a lower bound of the transaction's first offset there (see partition-txns.ts). */
export interface TxnPartition {
  topic: string;
  partition: number;
  firstOffset: bigint;
}

export interface TxnMetadata {
  readonly transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  /** Wall-clock ms the current transaction began (its first AddPartitions/AddOffsets); -1 when none. */
  startTimeMs: number;
  updateTimeMs: number;
  /** "partition:topic" → partition. */
  partitions: Map<string, TxnPartition>;
  /** Groups added with AddOffsetsToTxn → offsets sent with TxnOffsetCommit, applied on commit. */
  groups: Map<string, OffsetToCommit[]>;
}

export function partitionKey(topic: string, partition: number): string {
  return `${partition}:${topic}`;
}

export function isPrepare(s: TxnState): boolean {
  return s === 'PrepareCommit' || s === 'PrepareAbort';
}

/** States in which a transaction holds partitions open (its markers are not all written yet). */
export function isOpen(s: TxnState): boolean {
  return s === 'Ongoing' || isPrepare(s);
}

export function newMetadata(transactionalId: string, producerId: bigint, producerEpoch: number, timeoutMs: number, now: number): TxnMetadata {
  return { transactionalId, producerId, producerEpoch, timeoutMs, state: 'Empty', startTimeMs: -1, updateTimeMs: now, partitions: new Map(), groups: new Map() };
}
