/**
 * CreateAcls (key 30), v0–3: adds ACLs to the store (src/broker/acl) and answers once they are written.
 * Needs ALTER on the cluster. Each creation is checked on its own (INVALID_REQUEST says what is wrong);
 * creations past --max-acls get POLICY_VIOLATION. Without --authorizer every creation gets SECURITY_DISABLED,
 * as in Kafka.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { CreateAcls, type CreateAclsRequest, type CreateAclsResponse } from '../../protocol/messages/create-acls.js';
import { bindingProblem } from '../acl/acl-filter.js';
import type { AclBinding } from '../acl/acl-types.js';
import { AclOperation, allowedOnCluster } from '../acl/check.js';
import { defineHandler } from './handler.js';

type Result = CreateAclsResponse['results'][number];

const ok: Result = { errorCode: ErrorCode.NONE, errorMessage: null };

function everyCreation(req: CreateAclsRequest, errorCode: number, errorMessage: string): CreateAclsResponse {
  return { throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage })) };
}

export const createAclsHandler = defineHandler<CreateAclsRequest, CreateAclsResponse>({
  codec: CreateAcls,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req, version) {
    const authorizer = ctx.broker.services.authorizer;
    if (!authorizer) return everyCreation(req, ErrorCode.SECURITY_DISABLED, 'no authorizer is configured on this broker; start it with --authorizer acl');
    if (!allowedOnCluster(ctx, AclOperation.ALTER)) return everyCreation(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${ctx.principal} may not ALTER the cluster, which creating ACLs needs`);
    const results: Result[] = [];
    const valid: AclBinding[] = [];
    let room = ctx.config.maxAcls - authorizer.store.size;
    for (const c of req.creations) {
      // v0 has no pattern type: its ACLs are literal.
      const binding: AclBinding = {
        resourceType: c.resourceType,
        resourceName: c.resourceName,
        patternType: version >= 1 ? c.resourcePatternType : 3,
        principal: c.principal,
        host: c.host,
        operation: c.operation,
        permissionType: c.permissionType,
      };
      const problem = bindingProblem(binding);
      if (problem) results.push({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem });
      else if (room <= 0) results.push({ errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: `the broker already stores ${ctx.config.maxAcls} ACLs (--max-acls)` });
      else {
        room--;
        valid.push(binding);
        results.push(ok);
      }
    }
    try {
      await authorizer.store.add(valid);
    } catch (err) {
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `writing the ACL log failed: ${(err as Error).message}`);
    }
    if (valid.length > 0) ctx.logger.info({ principal: ctx.principal, acls: valid }, 'created ACLs');
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req, _version, errorCode, message) {
    return everyCreation(req, errorCode, message);
  },
});
