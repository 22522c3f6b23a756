/**
 * DeleteGroups (key 42), v0–2: deletes empty groups and their committed offsets (NON_EMPTY_GROUP while
 * members remain, GROUP_ID_NOT_FOUND for unknown ones).
 */
import { DeleteGroups, createDeleteGroupsResponse, type DeleteGroupsRequest, type DeleteGroupsResponse } from '../../protocol/messages/delete-groups.js';
import { coordinatorOf } from '../groups/handler-support.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, allowedOnGroup } from '../acl/check.js';
import { defineHandler } from './handler.js';

export const deleteGroupsHandler = defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  codec: DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, req) {
    // ACLs (none without --authorizer): DELETE on each group.
    const permitted = req.groupsNames.filter((g) => allowedOnGroup(ctx, AclOperation.DELETE, g));
    if (permitted.length === req.groupsNames.length) return createDeleteGroupsResponse({ results: coordinatorOf(ctx).deleteGroups(req.groupsNames) });
    const deleted = new Map(coordinatorOf(ctx).deleteGroups(permitted).map((r) => [r.groupId, r]));
    return createDeleteGroupsResponse({ results: req.groupsNames.map((groupId) => deleted.get(groupId) ?? { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }) });
  },
  errorResponse(req, _version, errorCode) {
    return createDeleteGroupsResponse({ results: req.groupsNames.map((groupId) => ({ groupId, errorCode })) });
  },
});
