/**
 * Small helpers shared by the transaction handlers (add-partitions-to-txn, add-offsets-to-txn, end-txn,
 * txn-offset-commit, describe-transactions, list-transactions).
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { RequestContext } from '../context.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';
import '../txn/service.js';

/** The running transaction coordinator, or COORDINATOR_NOT_AVAILABLE (retriable) while it is not started. */
export function transactionsOf(ctx: RequestContext): TransactionCoordinator {
  const txns = ctx.broker.services.transactions;
  if (!txns) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the transaction coordinator is not running on this broker');
  return txns;
}

/**
 * PRODUCER_FENCED exists for clients from the request version that KIP-588 introduced (`fencedFrom`);
 * older ones know the same condition as INVALID_PRODUCER_EPOCH, which Kafka sends them instead.
 */
export function fencedAs(errorCode: number, version: number, fencedFrom: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && version < fencedFrom ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode;
}
