/**
 * DescribeGroups (key 15), v0–5: state, protocol and members of each group; member metadata and
 * assignments (the bytes the clients sent) once the group is stable. An unknown group is reported Dead.
 */
import { DescribeGroups, type DescribeGroupsRequest, type DescribeGroupsResponse } from '../../protocol/messages/describe-groups.js';
import { coordinatorOf } from '../groups/handler-support.js';
import { defineHandler } from './handler.js';

/** "Not provided" for authorizedOperations (no ACLs on this broker). */
const NO_OPERATIONS = -2147483648;

export const describeGroupsHandler = defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>({
  codec: DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, req) {
    const groups = coordinatorOf(ctx);
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((id) => {
        const d = groups.describe(id);
        return {
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
          authorizedOperations: NO_OPERATIONS,
        };
      }),
    };
  },
  errorResponse(req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((groupId) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: NO_OPERATIONS })),
    };
  },
});
