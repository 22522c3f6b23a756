/**
 * DescribeGroups (key 15), v0–5: state, protocol and members of each group; member metadata and
 * assignments (the bytes the clients sent) once the group is stable. An unknown group is reported Dead.
 */
import {
  DescribeGroups,
  createDescribeGroupsResponse,
  createDescribeGroupsResponseDescribedGroup,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
} from '../../protocol/messages/describe-groups.js';
import { coordinatorOf } from '../groups/handler-support.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType, allowedOnGroup, authorizedOperations } from '../acl/check.js';
import { defineHandler } from './handler.js';

export const describeGroupsHandler = defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>({
  codec: DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, req) {
    const groups = coordinatorOf(ctx);
    return createDescribeGroupsResponse({
      groups: req.groups.map((id) => {
        // ACLs (none without --authorizer): DESCRIBE on each group.
        if (!allowedOnGroup(ctx, AclOperation.DESCRIBE, id)) return createDescribeGroupsResponseDescribedGroup({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId: id });
        const d = groups.describe(id);
        // authorizedOperations (v3+, when asked): left at "not provided" without an authorizer.
        const operations = req.includeAuthorizedOperations ? authorizedOperations(ctx, ResourceType.GROUP, id) : undefined;
        return createDescribeGroupsResponseDescribedGroup({
          ...(operations === undefined ? {} : { authorizedOperations: operations }),
          errorCode: d.errorCode,
          groupId: d.groupId,
          groupState: d.state,
          protocolType: d.protocolType,
          protocolData: d.protocolName,
          members: d.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: m.metadata,
            memberAssignment: m.assignment,
          })),
        });
      }),
    });
  },
  errorResponse(req, _version, errorCode) {
    return createDescribeGroupsResponse({ groups: req.groups.map((groupId) => createDescribeGroupsResponseDescribedGroup({ errorCode, groupId })) });
  },
});
