/**
 * DescribeUserScramCredentials (key 50), v0: which SCRAM mechanisms (and iterations) each user has; never
 * salts or keys. `users` null or empty lists everyone. Unknown users get RESOURCE_NOT_FOUND, a user named twice
 * DUPLICATE_RESOURCE (as Kafka).
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  DescribeUserScramCredentials,
  createDescribeUserScramCredentialsResponse,
  type DescribeUserScramCredentialsRequest,
  type DescribeUserScramCredentialsResponse,
  type DescribeUserScramCredentialsResponseResult,
} from '../../protocol/messages/describe-user-scram-credentials.js';
import { SCRAM_MECHANISM_CODE } from '../../protocol/sasl-scram.js';
import { AclOperation, allowedOnCluster } from '../acl/check.js';
import type { ScramStore } from '../security/scram-store.js';
import { defineHandler } from './handler.js';

export const describeUserScramCredentialsHandler = defineHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse>({
  codec: DescribeUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    // As Kafka (KafkaApis.handleDescribeUserScramCredentialsRequest): DESCRIBE on the cluster, else the whole
    // request is refused, top level and per user named.
    if (!allowedOnCluster(ctx, AclOperation.DESCRIBE)) {
      const errorMessage = `${ctx.principal} may not DESCRIBE the cluster, which describing SCRAM credentials needs`;
      return refused(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage);
    }
    const store = ctx.broker.services.scram;
    if (!store) return createDescribeUserScramCredentialsResponse({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'no SCRAM credential store' });
    // As Kafka: a null or empty list describes every user.
    const names = req.users === null || req.users.length === 0 ? store.users() : req.users.map((u) => u.name);
    const counts = new Map<string, number>();
    for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
    const results = [...new Set(names)].map((user) => describeUser(store, user, counts.get(user)! > 1));
    return createDescribeUserScramCredentialsResponse({ results });
  },
  errorResponse(_req, _version, errorCode, message) {
    return createDescribeUserScramCredentialsResponse({ errorCode, errorMessage: message });
  },
});

function refused(req: DescribeUserScramCredentialsRequest, errorCode: number, errorMessage: string): DescribeUserScramCredentialsResponse {
  const users = [...new Set((req.users ?? []).map((u) => u.name))];
  return createDescribeUserScramCredentialsResponse({ errorCode, errorMessage, results: users.map((user) => ({ user, errorCode, errorMessage, credentialInfos: [] })) });
}

function describeUser(store: ScramStore, user: string, duplicate: boolean): DescribeUserScramCredentialsResponseResult {
  if (duplicate) return { user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request', credentialInfos: [] };
  const credentials = store.forUser(user);
  if (!credentials || credentials.size === 0) {
    return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] };
  }
  const credentialInfos = [...credentials].map(([mechanism, c]) => ({ mechanism: SCRAM_MECHANISM_CODE[mechanism], iterations: c.iterations })).sort((a, b) => a.mechanism - b.mechanism);
  return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos };
}
