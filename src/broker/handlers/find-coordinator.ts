/**
 * FindCoordinator (key 10), v0–6: this broker coordinates every group and every transactional id.
 * v4+ looks up a batch of keys at once.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { FindCoordinator, type FindCoordinatorRequest, type FindCoordinatorResponse } from '../../protocol/messages/find-coordinator.js';
import { defineHandler } from './handler.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

export const findCoordinatorHandler = defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  codec: FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  handle(ctx, req, version) {
    const b = ctx.broker;
    const validType = req.keyType === KEY_TYPE_GROUP || req.keyType === KEY_TYPE_TRANSACTION;
    const answer = (key: string) => {
      if (!validType) {
        return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unknown coordinator key type ${req.keyType}` };
      }
      if (key === '' && req.keyType === KEY_TYPE_GROUP) {
        return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.INVALID_GROUP_ID, errorMessage: 'the group id is empty' };
      }
      return { key, nodeId: b.nodeId, host: b.advertisedHost, port: b.advertisedPort, errorCode: 0, errorMessage: null };
    };
    if (version >= 4) {
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: -1, host: '', port: -1, coordinators: req.coordinatorKeys.map(answer) };
    }
    const one = answer(req.key);
    return {
      throttleTimeMs: 0,
      errorCode: one.errorCode,
      errorMessage: one.errorMessage,
      nodeId: one.nodeId,
      host: one.host,
      port: one.port,
      coordinators: [],
    };
  },
  errorResponse(req, version, errorCode, message) {
    return {
      throttleTimeMs: 0,
      errorCode: version >= 4 ? 0 : errorCode,
      errorMessage: message,
      nodeId: -1,
      host: '',
      port: -1,
      coordinators: version >= 4 ? req.coordinatorKeys.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: message })) : [],
    };
  },
});
