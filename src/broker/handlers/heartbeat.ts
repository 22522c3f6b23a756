/**
 * Heartbeat (key 12), v0–4: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
 */
import { Heartbeat, createHeartbeatResponse, type HeartbeatRequest, type HeartbeatResponse } from '../../protocol/messages/heartbeat.js';
import { coordinatorOf } from '../groups/handler-support.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, allowedOnGroup } from '../acl/check.js';
import { defineHandler } from './handler.js';

export const heartbeatHandler = defineHandler<HeartbeatRequest, HeartbeatResponse>({
  codec: Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, req, version) {
    if (!allowedOnGroup(ctx, AclOperation.READ, req.groupId)) return createHeartbeatResponse({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
    const errorCode = coordinatorOf(ctx).heartbeat({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: version >= 3 ? req.groupInstanceId : null,
    });
    return createHeartbeatResponse({ errorCode });
  },
  errorResponse(_req, _version, errorCode) {
    return createHeartbeatResponse({ errorCode });
  },
});
