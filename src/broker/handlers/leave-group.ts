/**
 * LeaveGroup (key 13), v0–5: members leave without waiting for their session to expire. v0–2 name one
 * member; v3+ a batch (each with its own error), possibly by group.instance.id alone.
 */
import { LeaveGroup, createLeaveGroupResponse, type LeaveGroupRequest, type LeaveGroupResponse } from '../../protocol/messages/leave-group.js';
import { coordinatorOf } from '../groups/handler-support.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, allowedOnGroup } from '../acl/check.js';
import { defineHandler } from './handler.js';

export const leaveGroupHandler = defineHandler<LeaveGroupRequest, LeaveGroupResponse>({
  codec: LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, req, version) {
    if (!allowedOnGroup(ctx, AclOperation.READ, req.groupId)) return createLeaveGroupResponse({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
    const leaving = version >= 3 ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId })) : [{ memberId: req.memberId, groupInstanceId: null }];
    const r = coordinatorOf(ctx).leave(req.groupId, leaving);
    if (version >= 3) return createLeaveGroupResponse({ errorCode: r.errorCode, members: r.members });
    // One member: its error is the response's.
    return createLeaveGroupResponse({ errorCode: r.errorCode || (r.members[0]?.errorCode ?? 0) });
  },
  errorResponse(_req, _version, errorCode) {
    return createLeaveGroupResponse({ errorCode });
  },
});
