/**
 * AddOffsetsToTxn (key 25), v0–4: a consumer group's offsets will be part of the transaction
 * (TxnOffsetCommit then sends them; they become visible when it commits).
 */
import { AddOffsetsToTxn, type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponse } from '../../protocol/messages/add-offsets-to-txn.js';
import { defineHandler } from './handler.js';
import { fencedAs, transactionsOf } from './txn-support.js';

export const addOffsetsToTxnHandler = defineHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>({
  codec: AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req, version) {
    const code = await transactionsOf(ctx).addOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId);
    return { throttleTimeMs: 0, errorCode: fencedAs(code, version, 2) };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
});
