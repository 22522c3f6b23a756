/**
 * DescribeClientQuotas (key 48), v0–1: the quota entities matching every filter component (match type 0: the
 * named entity, 1: the default entity, 2: any named entity of that type); with `strict`, entities with parts
 * the filter does not name are left out. An unknown entity type, a repeated one or a bad match type is
 * INVALID_REQUEST.
 *
 * ACLs (none without --authorizer): DESCRIBE_CONFIGS on the cluster, checked first, else
 * CLUSTER_AUTHORIZATION_FAILED and no entries, as in Kafka.
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  DescribeClientQuotas,
  createDescribeClientQuotasResponse,
  type DescribeClientQuotasRequest,
  type DescribeClientQuotasResponse,
} from '../../protocol/messages/describe-client-quotas.js';
import { entityParts, type QuotaEntity } from '../quotas/client-quotas.js';
import '../quotas/throttle.js';
import { AclOperation, allowedOnCluster } from '../acl/check.js';
import { defineHandler } from './handler.js';

const MATCH_EXACT = 0;
const MATCH_DEFAULT = 1;
const MATCH_ANY = 2;
const PART: Record<string, keyof QuotaEntity> = { user: 'user', 'client-id': 'clientId' };

type Filter = { part: keyof QuotaEntity; matchType: number; match: string | null }[];

function parseFilter(req: DescribeClientQuotasRequest): Filter | string {
  const filter: Filter = [];
  for (const c of req.components) {
    const part = PART[c.entityType];
    if (!part) return `entity type "${c.entityType}" is not supported here; use user or client-id`;
    if (filter.some((f) => f.part === part)) return `entity type ${c.entityType} appears twice in the filter`;
    if (c.matchType !== MATCH_EXACT && c.matchType !== MATCH_DEFAULT && c.matchType !== MATCH_ANY) return `match type ${c.matchType} is unknown; use 0 (exact), 1 (default) or 2 (any)`;
    if (c.matchType === MATCH_EXACT && c.match === null) return `an exact match on ${c.entityType} needs a name`;
    filter.push({ part, matchType: c.matchType, match: c.match });
  }
  return filter;
}

function matches(e: QuotaEntity, filter: Filter, strict: boolean): boolean {
  for (const f of filter) {
    const v = e[f.part];
    if (v === undefined) return false;
    if (f.matchType === MATCH_EXACT && v !== f.match) return false;
    if (f.matchType === MATCH_DEFAULT && v !== null) return false;
    if (f.matchType === MATCH_ANY && v === null) return false;
  }
  if (strict) for (const p of ['user', 'clientId'] as const) if (e[p] !== undefined && !filter.some((f) => f.part === p)) return false;
  return true;
}

export const describeClientQuotasHandler = defineHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponse>({
  codec: DescribeClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    if (!allowedOnCluster(ctx, AclOperation.DESCRIBE_CONFIGS)) {
      return createDescribeClientQuotasResponse({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: `${ctx.principal} may not DESCRIBE_CONFIGS of the cluster, which describing client quotas needs`, entries: null });
    }
    const quotas = ctx.broker.services.quotas;
    if (!quotas) return createDescribeClientQuotasResponse({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'client quotas are not running on this broker', entries: null });
    const filter = parseFilter(req);
    if (typeof filter === 'string') return createDescribeClientQuotasResponse({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: filter, entries: null });
    const entries = quotas.quotas
      .list()
      .filter((e) => matches(e.entity, filter, req.strict))
      .map((e) => ({ entity: entityParts(e.entity), values: Object.entries(e.values).map(([key, value]) => ({ key, value: value! })) }));
    return createDescribeClientQuotasResponse({ entries });
  },
  errorResponse(_req, _version, errorCode, message) {
    return createDescribeClientQuotasResponse({ errorCode, errorMessage: message, entries: null });
  },
});
