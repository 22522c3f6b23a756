/**
 * AlterClientQuotas (key 49), v0–1: sets or removes producer_byte_rate, consumer_byte_rate,
 * request_percentage and controller_mutation_rate for entities of a user and/or client id (a null name is
 * the default entity). Each entry is checked on its own (INVALID_REQUEST for an unknown entity type or key, a
 * repeated entity or key, a non-positive value); the valid ones are applied together and persisted, unless
 * validateOnly. See src/broker/quotas.
 *
 * ACLs (none without --authorizer): ALTER_CONFIGS on the cluster, checked first, else every entry gets
 * CLUSTER_AUTHORIZATION_FAILED, as in Kafka.
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  AlterClientQuotas,
  createAlterClientQuotasResponse,
  type AlterClientQuotasRequest,
  type AlterClientQuotasResponse,
} from '../../protocol/messages/alter-client-quotas.js';
import { entityKey, parseEntity, quotaValueProblem, QuotaRefused, type QuotaEntity, type QuotaKey } from '../quotas/client-quotas.js';
import '../quotas/throttle.js';
import { AclOperation, allowedOnCluster } from '../acl/check.js';
import { defineHandler } from './handler.js';

type Change = { entity: QuotaEntity; set: Partial<Record<QuotaKey, number>>; remove: QuotaKey[]; source?: unknown };

function plan(entry: AlterClientQuotasRequest['entries'][number]): Change {
  const entity = parseEntity(entry.entity);
  const set: Change['set'] = {};
  const remove: QuotaKey[] = [];
  const seen = new Set<string>();
  for (const op of entry.ops) {
    if (seen.has(op.key)) throw new QuotaRefused(`quota key ${op.key} appears twice for one entity`);
    seen.add(op.key);
    const problem = quotaValueProblem(op.key, op.remove ? 1 : op.value);
    if (problem) throw new QuotaRefused(problem);
    if (op.remove) remove.push(op.key as QuotaKey);
    else set[op.key as QuotaKey] = op.value;
  }
  return { entity, set, remove, source: entry.entity };
}

export const alterClientQuotasHandler = defineHandler<AlterClientQuotasRequest, AlterClientQuotasResponse>({
  codec: AlterClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    if (!allowedOnCluster(ctx, AclOperation.ALTER_CONFIGS)) {
      return errorResponse(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${ctx.principal} may not ALTER_CONFIGS of the cluster, which changing client quotas needs`);
    }
    const quotas = ctx.broker.services.quotas;
    if (!quotas) return errorResponse(req, ErrorCode.UNKNOWN_SERVER_ERROR, 'client quotas are not running on this broker');
    const keys = req.entries.map((e) => {
      try {
        return entityKey(parseEntity(e.entity));
      } catch {
        return null;
      }
    });
    const changes: Change[] = [];
    const results = req.entries.map((e, i) => {
      const result: { entity: typeof e.entity; errorCode: number; errorMessage: string | null } = { entity: e.entity, errorCode: ErrorCode.NONE, errorMessage: null };
      try {
        if (keys[i] !== null && keys.indexOf(keys[i]!) !== i) throw new QuotaRefused('this entity appears more than once in the request');
        changes.push(plan(e));
      } catch (err) {
        if (!(err instanceof QuotaRefused)) throw err;
        result.errorCode = ErrorCode.INVALID_REQUEST;
        result.errorMessage = err.message;
      }
      return result;
    });
    // --max-quota-entities: entries that would add entities past the limit are refused, one by one.
    let count = quotas.quotas.size;
    const accepted: Change[] = [];
    for (const ch of changes) {
      const adds = !quotas.quotas.get(ch.entity) && Object.keys(ch.set).length > 0;
      if (adds && count >= ctx.config.maxQuotaEntities) {
        const r = results.find((x) => x.entity === ch.source)!;
        r.errorCode = ErrorCode.POLICY_VIOLATION;
        r.errorMessage = `the broker already holds ${count} quota entities, its limit (--max-quota-entities); remove some first`;
        continue;
      }
      if (adds) count++;
      accepted.push(ch);
    }
    changes.length = 0;
    changes.push(...accepted);
    if (!req.validateOnly && changes.length > 0) {
      await quotas.quotas.apply(changes);
      ctx.logger.info({ changes: changes.length }, 'client quotas changed');
    }
    return createAlterClientQuotasResponse({ entries: results });
  },
  errorResponse(req, _version, errorCode, message) {
    return errorResponse(req, errorCode, message);
  },
});

function errorResponse(req: AlterClientQuotasRequest, errorCode: number, message: string): AlterClientQuotasResponse {
  return createAlterClientQuotasResponse({ entries: req.entries.map((e) => ({ entity: e.entity, errorCode, errorMessage: message })) });
}
