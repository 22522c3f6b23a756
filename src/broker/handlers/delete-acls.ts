/**
 * DeleteAcls (key 31), v0–3: removes every ACL matching each filter and lists them per filter, once the
 * removal is written. Needs ALTER on the cluster. Without --authorizer every filter gets SECURITY_DISABLED,
 * as in Kafka.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { DeleteAcls, type DeleteAclsRequest, type DeleteAclsResponse } from '../../protocol/messages/delete-acls.js';
import { filterProblem } from '../acl/acl-filter.js';
import type { AclBindingFilter } from '../acl/acl-types.js';
import { AclOperation, allowedOnCluster } from '../acl/check.js';
import { defineHandler } from './handler.js';

type FilterResult = DeleteAclsResponse['filterResults'][number];

function everyFilter(req: DeleteAclsRequest, errorCode: number, errorMessage: string): DeleteAclsResponse {
  return { throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) };
}

export const deleteAclsHandler = defineHandler<DeleteAclsRequest, DeleteAclsResponse>({
  codec: DeleteAcls,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req, version) {
    const authorizer = ctx.broker.services.authorizer;
    if (!authorizer) return everyFilter(req, ErrorCode.SECURITY_DISABLED, 'no authorizer is configured on this broker; start it with --authorizer acl');
    if (!allowedOnCluster(ctx, AclOperation.ALTER)) return everyFilter(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${ctx.principal} may not ALTER the cluster, which deleting ACLs needs`);
    const filters: AclBindingFilter[] = req.filters.map((f) => ({
      resourceType: f.resourceTypeFilter,
      resourceName: f.resourceNameFilter,
      // v0 knows literal ACLs only.
      patternType: version >= 1 ? f.patternTypeFilter : 3,
      principal: f.principalFilter,
      host: f.hostFilter,
      operation: f.operation,
      permissionType: f.permissionType,
    }));
    const problems = filters.map(filterProblem);
    let removed;
    try {
      removed = await authorizer.store.remove(filters.filter((_, i) => problems[i] === null));
    } catch (err) {
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `writing the ACL log failed: ${(err as Error).message}`);
    }
    let next = 0;
    const filterResults: FilterResult[] = problems.map((problem) => {
      if (problem !== null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, matchingAcls: [] };
      const hits = removed[next++]!;
      return {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        matchingAcls: hits.map((b) => ({ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType })),
      };
    });
    if (removed.some((r) => r.length > 0)) ctx.logger.info({ principal: ctx.principal, acls: removed.flat() }, 'deleted ACLs');
    return { throttleTimeMs: 0, filterResults };
  },
  errorResponse(req, _version, errorCode, message) {
    return everyFilter(req, errorCode, message);
  },
});
