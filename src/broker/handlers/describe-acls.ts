/**
 * DescribeAcls (key 29), v0–3: the ACLs matching one filter, grouped by resource pattern. Needs DESCRIBE
 * on the cluster. Without --authorizer the answer is SECURITY_DISABLED, as in Kafka.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { DescribeAcls, type DescribeAclsRequest, type DescribeAclsResponse } from '../../protocol/messages/describe-acls.js';
import { filterProblem } from '../acl/acl-filter.js';
import { AclOperation, allowedOnCluster } from '../acl/check.js';
import { defineHandler } from './handler.js';

type ResourceOut = DescribeAclsResponse['resources'][number];

function failed(errorCode: number, errorMessage: string): DescribeAclsResponse {
  return { throttleTimeMs: 0, errorCode, errorMessage, resources: [] };
}

export const describeAclsHandler = defineHandler<DescribeAclsRequest, DescribeAclsResponse>({
  codec: DescribeAcls,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, req, version) {
    const authorizer = ctx.broker.services.authorizer;
    if (!authorizer) return failed(ErrorCode.SECURITY_DISABLED, 'no authorizer is configured on this broker; start it with --authorizer acl');
    if (!allowedOnCluster(ctx, AclOperation.DESCRIBE)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${ctx.principal} may not DESCRIBE the cluster, which listing ACLs needs`);
    const filter = {
      resourceType: req.resourceTypeFilter,
      resourceName: req.resourceNameFilter,
      // v0 knows literal ACLs only.
      patternType: version >= 1 ? req.patternTypeFilter : 3,
      principal: req.principalFilter,
      host: req.hostFilter,
      operation: req.operation,
      permissionType: req.permissionType,
    };
    const problem = filterProblem(filter);
    if (problem) return failed(ErrorCode.INVALID_REQUEST, problem);
    const byPattern = new Map<string, ResourceOut>();
    for (const b of authorizer.store.list(filter)) {
      const key = `${b.resourceType}:${b.patternType}:${b.resourceName}`;
      let out = byPattern.get(key);
      if (!out) byPattern.set(key, (out = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] }));
      out.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: [...byPattern.values()] };
  },
  errorResponse(_req, _version, errorCode, message) {
    return failed(errorCode, message);
  },
});
