/**
 * ListGroups (key 16), v0–5: every group this broker coordinates (all of them), filtered by state (v4+,
 * e.g. "Stable", "Empty") and by type (v5+, all groups here are "classic").
 */
import { ListGroups, createListGroupsResponse, type ListGroupsRequest, type ListGroupsResponse } from '../../protocol/messages/list-groups.js';
import { coordinatorOf } from '../groups/handler-support.js';
import { AclOperation, allowedOnCluster, allowedOnGroup } from '../acl/check.js';
import { defineHandler } from './handler.js';

export const listGroupsHandler = defineHandler<ListGroupsRequest, ListGroupsResponse>({
  codec: ListGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, req, version) {
    // ACLs (none without --authorizer): DESCRIBE on the cluster lists all; else only the groups it may
    // describe, never an error (Kafka's behaviour).
    const all = allowedOnCluster(ctx, AclOperation.DESCRIBE);
    const listed = coordinatorOf(ctx)
      .list(version >= 4 ? req.statesFilter : [], version >= 5 ? req.typesFilter : [])
      .filter((g) => all || allowedOnGroup(ctx, AclOperation.DESCRIBE, g.groupId));
    return createListGroupsResponse({
      groups: listed.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: g.groupType })),
    });
  },
  errorResponse(_req, _version, errorCode) {
    return createListGroupsResponse({ errorCode });
  },
});
