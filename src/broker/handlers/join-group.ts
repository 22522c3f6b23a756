/**
 * JoinGroup (key 11), v0–9: join (or rejoin) a classic group. Parks until the rebalance completes; the
 * leader's answer carries every member's protocol metadata, untouched. v4+ new members first get
 * MEMBER_ID_REQUIRED; v5+ static members (group.instance.id); v9 tells a static leader to skip assignment.
 */
import { JoinGroup, createJoinGroupResponse, type JoinGroupRequest, type JoinGroupResponse } from '../../protocol/messages/join-group.js';
import type { JoinResult } from '../groups/group.js';
import { clientHostOf, coordinatorOf, ownBytes } from '../groups/handler-support.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, allowedOnGroup } from '../acl/check.js';
import { defineHandler } from './handler.js';

function toResponse(r: JoinResult, version: number): JoinGroupResponse {
  return createJoinGroupResponse({
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: r.protocolType,
    // Non-nullable before v7.
    protocolName: version >= 7 ? r.protocolName : (r.protocolName ?? ''),
    leader: r.leader,
    skipAssignment: r.skipAssignment,
    memberId: r.memberId,
    members: r.members,
  });
}

export const joinGroupHandler = defineHandler<JoinGroupRequest, JoinGroupResponse>({
  codec: JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, req, version) {
    if (!allowedOnGroup(ctx, AclOperation.READ, req.groupId)) {
      return toResponse({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId: req.memberId, members: [] }, version);
    }
    const result = await coordinatorOf(ctx).join({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: version >= 5 ? req.groupInstanceId : null,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: version >= 1 ? req.rebalanceTimeoutMs : -1,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: ownBytes(p.metadata) })),
      clientId: ctx.clientId ?? '',
      clientHost: clientHostOf(ctx),
      requireKnownMemberId: version >= 4,
    });
    return toResponse(result, version);
  },
  errorResponse(req, version, errorCode) {
    return toResponse(
      { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId: req.memberId, members: [] },
      version,
    );
  },
});
