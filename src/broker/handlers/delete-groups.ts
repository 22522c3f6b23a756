/**
 * DeleteGroups (key 42), v0–2: deletes empty groups and their committed offsets (NON_EMPTY_GROUP while
 * members remain, GROUP_ID_NOT_FOUND for unknown ones).
 */
import { DeleteGroups, createDeleteGroupsResponse, type DeleteGroupsRequest, type DeleteGroupsResponse } from '../../protocol/messages/delete-groups.js';
import { coordinatorOf } from '../groups/handler-support.js';
import { defineHandler } from './handler.js';

export const deleteGroupsHandler = defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  codec: DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, req) {
    return createDeleteGroupsResponse({ results: coordinatorOf(ctx).deleteGroups(req.groupsNames) });
  },
  errorResponse(req, _version, errorCode) {
    return createDeleteGroupsResponse({ results: req.groupsNames.map((groupId) => ({ groupId, errorCode })) });
  },
});
