/**
 * SyncGroup (key 14), v0–5: the leader hands in every member's assignment; every member gets its own.
 * Assignment bytes are carried untouched. v5 checks the protocol type and name.
 */
import { SyncGroup, createSyncGroupResponse, type SyncGroupRequest, type SyncGroupResponse } from '../../protocol/messages/sync-group.js';
import { coordinatorOf, ownBytes } from '../groups/handler-support.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, allowedOnGroup } from '../acl/check.js';
import { defineHandler } from './handler.js';

export const syncGroupHandler = defineHandler<SyncGroupRequest, SyncGroupResponse>({
  codec: SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req, version) {
    if (!allowedOnGroup(ctx, AclOperation.READ, req.groupId)) return createSyncGroupResponse({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
    const r = await coordinatorOf(ctx).sync({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: version >= 3 ? req.groupInstanceId : null,
      protocolType: version >= 5 ? req.protocolType : null,
      protocolName: version >= 5 ? req.protocolName : null,
      assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: ownBytes(a.assignment) })),
    });
    return createSyncGroupResponse({ errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment });
  },
  errorResponse(_req, _version, errorCode) {
    return createSyncGroupResponse({ errorCode });
  },
});
