/** DescribeTransactions (key 65), v0: the state of transactional ids, for admin tools (KIP-664). */
import { DescribeTransactions, type DescribeTransactionsRequest, type DescribeTransactionsResponse } from '../../protocol/messages/describe-transactions.js';
import { defineHandler } from './handler.js';
import { transactionsOf } from './txn-support.js';

export const describeTransactionsHandler = defineHandler<DescribeTransactionsRequest, DescribeTransactionsResponse>({
  codec: DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    const txns = transactionsOf(ctx);
    return { throttleTimeMs: 0, transactionStates: req.transactionalIds.map((id) => txns.describe(id)) };
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
