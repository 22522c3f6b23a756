/**
 * InitProducerId (key 22), v0–5: a producer id and epoch for an idempotent producer (a fresh id every
 * time), or for a transactional id (same id, next epoch, fencing the previous incarnation). Ids are
 * persisted in blocks, so none is handed out twice, even after a killed broker.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { InitProducerId, createInitProducerIdResponse, type InitProducerIdRequest, type InitProducerIdResponse } from '../../protocol/messages/init-producer-id.js';
import '../producers/service.js';
import '../txn/service.js';
import { AclOperation, ResourceType, allowedOnCluster, allowedOnTransactionalId } from '../acl/check.js';
import { defineHandler } from './handler.js';

export const initProducerIdHandler = defineHandler<InitProducerIdRequest, InitProducerIdResponse>({
  codec: InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req, version) {
    // ACLs (none without --authorizer): WRITE on the transactional id; without one, IDEMPOTENT_WRITE on the
    // cluster or WRITE on some topic (Kafka 3.x, KIP-679).
    const authorizer = ctx.broker.services.authorizer;
    if (authorizer) {
      const txnId = req.transactionalId;
      if (txnId !== null && txnId !== '') {
        if (!allowedOnTransactionalId(ctx, AclOperation.WRITE, txnId)) return failed(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      } else if (!allowedOnCluster(ctx, AclOperation.IDEMPOTENT_WRITE) && !authorizer.authorizeByResourceType(ctx.principal, ctx.clientHost, AclOperation.WRITE, ResourceType.TOPIC)) {
        return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      }
    }
    const ids = ctx.broker.services.producerIds;
    if (!ids) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'producer ids are not available on this broker');
    const expected = version >= 3 && req.producerId >= 0n ? { producerId: req.producerId, producerEpoch: req.producerEpoch } : null;
    // A transactional id goes through its transaction coordinator, which also aborts a transaction left open.
    const txns = ctx.broker.services.transactions;
    const r =
      txns && req.transactionalId !== null && req.transactionalId !== ''
        ? await txns.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected)
        : await ids.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected);
    if ('errorCode' in r) {
      // PRODUCER_FENCED is only known to clients from v4 (KIP-588); older ones expect INVALID_PRODUCER_EPOCH.
      const errorCode = r.errorCode === ErrorCode.PRODUCER_FENCED && version < 4 ? ErrorCode.INVALID_PRODUCER_EPOCH : r.errorCode;
      return failed(errorCode);
    }
    return createInitProducerIdResponse({ producerId: r.producerId, producerEpoch: r.producerEpoch });
  },
  errorResponse(_req, _version, errorCode) {
    return failed(errorCode);
  },
});

/** No producer id: id -1 (the default) and epoch -1. */
function failed(errorCode: number): InitProducerIdResponse {
  return createInitProducerIdResponse({ errorCode, producerEpoch: -1 });
}
