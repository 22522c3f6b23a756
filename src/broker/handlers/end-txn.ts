/**
 * EndTxn (key 26), v0–4: commit or abort the ongoing transaction. Answered once PrepareCommit/PrepareAbort
 * is in the transaction log; the markers follow (src/broker/txn/coordinator.ts).
 */
import { EndTxn, type EndTxnRequest, type EndTxnResponse } from '../../protocol/messages/end-txn.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, allowedOnTransactionalId } from '../acl/check.js';
import { defineHandler } from './handler.js';
import { fencedAs, transactionsOf } from './txn-support.js';

export const endTxnHandler = defineHandler<EndTxnRequest, EndTxnResponse>({
  codec: EndTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req, version) {
    if (!allowedOnTransactionalId(ctx, AclOperation.WRITE, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    const code = await transactionsOf(ctx).endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
    return { throttleTimeMs: 0, errorCode: fencedAs(code, version, 2) };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
});
