/**
 * ListTransactions (key 66), v0–1: transactional ids known to the coordinator, filtered by state and
 * producer id, and (v1) by how long the transaction has been running (KIP-664, KIP-994).
 */
import { ListTransactions, type ListTransactionsRequest, type ListTransactionsResponse } from '../../protocol/messages/list-transactions.js';
import { AclOperation, allowedOnTransactionalId } from '../acl/check.js';
import { defineHandler } from './handler.js';
import { transactionsOf } from './txn-support.js';

export const listTransactionsHandler = defineHandler<ListTransactionsRequest, ListTransactionsResponse>({
  codec: ListTransactions,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req, version) {
    const r = transactionsOf(ctx).list(req.stateFilters, req.producerIdFilters, version >= 1 ? req.durationFilter : -1n);
    // ACLs (none without --authorizer): only the transactional ids the principal may describe (as Kafka).
    const listed = ctx.broker.services.authorizer ? r.txns.filter((t) => allowedOnTransactionalId(ctx, AclOperation.DESCRIBE, t.transactionalId)) : r.txns;
    return { throttleTimeMs: 0, errorCode: 0, unknownStateFilters: r.unknownStates, transactionStates: listed };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, unknownStateFilters: [], transactionStates: [] };
  },
});
