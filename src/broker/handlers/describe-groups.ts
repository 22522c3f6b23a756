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
import { defineHandler } from './handler.js';

export const describeGroupsHandler = defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>({
  codec: DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, req) {
    const groups = coordinatorOf(ctx);
    return createDescribeGroupsResponse({
      groups: req.groups.map((id) => {
        const d = groups.describe(id);
        // authorizedOperations stays at its default, "not provided" (no ACLs on this broker).
        return createDescribeGroupsResponseDescribedGroup({
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
