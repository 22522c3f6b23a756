/**
 * FindCoordinator (key 10), v0–6: this broker coordinates every group and every transactional id.
 * v4+ looks up a batch of keys at once.
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  FindCoordinator,
  createFindCoordinatorResponse,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
} from '../../protocol/messages/find-coordinator.js';
import { AclOperation, allowedOnGroup, allowedOnTransactionalId } from '../acl/check.js';
import { defineHandler } from './handler.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;
/** Where no coordinator is named: node -1, no host, port -1 (as Kafka answers). */
const NO_NODE = { nodeId: -1, host: '', port: -1 } as const;

export const findCoordinatorHandler = defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  codec: FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  handle(ctx, req, version) {
    const b = ctx.broker;
    const validType = req.keyType === KEY_TYPE_GROUP || req.keyType === KEY_TYPE_TRANSACTION;
    const answer = (key: string) => {
      if (!validType) {
        return { key, ...NO_NODE, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unknown coordinator key type ${req.keyType}` };
      }
      if (key === '' && req.keyType === KEY_TYPE_GROUP) {
        return { key, ...NO_NODE, errorCode: ErrorCode.INVALID_GROUP_ID, errorMessage: 'the group id is empty' };
      }
      // ACLs (none without --authorizer): DESCRIBE on the group or transactional id.
      if (req.keyType === KEY_TYPE_GROUP ? !allowedOnGroup(ctx, AclOperation.DESCRIBE, key) : !allowedOnTransactionalId(ctx, AclOperation.DESCRIBE, key)) {
        const errorCode = req.keyType === KEY_TYPE_GROUP ? ErrorCode.GROUP_AUTHORIZATION_FAILED : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
        return { key, ...NO_NODE, errorCode, errorMessage: `${ctx.principal} may not DESCRIBE ${req.keyType === KEY_TYPE_GROUP ? 'group' : 'transactional id'} "${key}"` };
      }
      return { key, nodeId: b.nodeId, host: b.advertisedHost, port: b.advertisedPort, errorCode: ErrorCode.NONE, errorMessage: null };
    };
    if (version >= 4) {
      return createFindCoordinatorResponse({ errorMessage: null, ...NO_NODE, coordinators: req.coordinatorKeys.map(answer) });
    }
    const { errorCode, errorMessage, nodeId, host, port } = answer(req.key);
    return createFindCoordinatorResponse({ errorCode, errorMessage, nodeId, host, port });
  },
  errorResponse(req, version, errorCode, message) {
    return createFindCoordinatorResponse({
      errorCode: version >= 4 ? ErrorCode.NONE : errorCode,
      errorMessage: message,
      ...NO_NODE,
      coordinators: version >= 4 ? req.coordinatorKeys.map((key) => ({ key, ...NO_NODE, errorCode, errorMessage: message })) : [],
    });
  },
});
