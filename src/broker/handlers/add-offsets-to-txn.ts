/**
 * AddOffsetsToTxn (key 25), v0–4: a consumer group's offsets will be part of the transaction
 * (TxnOffsetCommit then sends them; they become visible when it commits).
 */
import { AddOffsetsToTxn, type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponse } from '../../protocol/messages/add-offsets-to-txn.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, allowedOnGroup, allowedOnTransactionalId } from '../acl/check.js';
import { defineHandler } from './handler.js';
import { fencedAs, transactionsOf } from './txn-support.js';

export const addOffsetsToTxnHandler = defineHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>({
  codec: AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req, version) {
    // ACLs (none without --authorizer): WRITE on the transactional id, then READ on the group.
    if (!allowedOnTransactionalId(ctx, AclOperation.WRITE, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    if (!allowedOnGroup(ctx, AclOperation.READ, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const code = await transactionsOf(ctx).addOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId);
    return { throttleTimeMs: 0, errorCode: fencedAs(code, version, 2) };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
});
