/** DescribeTransactions (key 65), v0: the state of transactional ids, for admin tools (KIP-664). */
import { DescribeTransactions, type DescribeTransactionsRequest, type DescribeTransactionsResponse } from '../../protocol/messages/describe-transactions.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, allowedOnTopic, allowedOnTransactionalId } from '../acl/check.js';
import { defineHandler } from './handler.js';
import { transactionsOf } from './txn-support.js';

function refusedState(transactionalId: string): DescribeTransactionsResponse['transactionStates'][number] {
  return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
}

export const describeTransactionsHandler = defineHandler<DescribeTransactionsRequest, DescribeTransactionsResponse>({
  codec: DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    const txns = transactionsOf(ctx);
    // ACLs (none without --authorizer): DESCRIBE on each transactional id; its topics only those the
    // principal may describe (as Kafka).
    return {
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((id) => {
        if (!allowedOnTransactionalId(ctx, AclOperation.DESCRIBE, id)) return refusedState(id);
        const state = txns.describe(id);
        return ctx.broker.services.authorizer ? { ...state, topics: state.topics.filter((t) => allowedOnTopic(ctx, AclOperation.DESCRIBE, t.topic)) } : state;
      }),
    };
  },
  errorResponse(req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((transactionalId) => ({
        errorCode,
        transactionalId,
        transactionState: '',
        transactionTimeoutMs: 0,
        transactionStartTimeMs: -1n,
        producerId: -1n,
        producerEpoch: -1,
        topics: [],
      })),
    };
  },
});
