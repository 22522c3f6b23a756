/**
 * AlterUserScramCredentials (key 51), v0: adds, replaces and deletes SCRAM credentials. Clients send the salted
 * password (never the password); the broker keeps StoredKey/ServerKey and persists the change in the data dir
 * before answering. Checked per user as Kafka does: a user with any bad entry changes nothing.
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  AlterUserScramCredentials,
  createAlterUserScramCredentialsResponse,
  type AlterUserScramCredentialsRequest,
  type AlterUserScramCredentialsResponse,
} from '../../protocol/messages/alter-user-scram-credentials.js';
import { credentialFromSalted, scramMechanismOfCode, SCRAM_MAX_ITERATIONS, SCRAM_MIN_ITERATIONS, type ScramCredential, type ScramMechanism } from '../../protocol/sasl-scram.js';
import { AclOperation, allowedOnCluster } from '../acl/check.js';
import { defineHandler } from './handler.js';

interface Change {
  user: string;
  mechanism: ScramMechanism;
  credential: ScramCredential | null;
}

export const alterUserScramCredentialsHandler = defineHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse>({
  codec: AlterUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const store = ctx.broker.services.scram;
    const users = [...new Set([...req.deletions, ...req.upsertions].map((e) => e.name))];
    // As Kafka (KafkaApis.handleAlterUserScramCredentialsRequest): ALTER on the cluster, else every user is refused.
    if (!allowedOnCluster(ctx, AclOperation.ALTER)) {
      return errorFor(users, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${ctx.principal} may not ALTER the cluster, which altering SCRAM credentials needs`);
    }
    if (!store) return errorFor(users, ErrorCode.UNKNOWN_SERVER_ERROR, 'no SCRAM credential store');
    const errors = new Map<string, [number, string]>();
    const seen = new Set<string>();
    const changes: Change[] = [];
    const refuse = (user: string, code: number, message: string): void => {
      if (!errors.has(user)) errors.set(user, [code, message]);
    };
    const check = (user: string, code: number): ScramMechanism | null => {
      const mechanism = scramMechanismOfCode(code);
      if (user.length === 0) refuse(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
      else if (mechanism === null) refuse(user, ErrorCode.UNSUPPORTED_SASL_MECHANISM, `Unknown SCRAM mechanism ${code} (1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512)`);
      else if (seen.has(`${user}\0${mechanism}`)) refuse(user, ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
      else {
        seen.add(`${user}\0${mechanism}`);
        return mechanism;
      }
      return null;
    };
    for (const d of req.deletions) {
      const mechanism = check(d.name, d.mechanism);
      if (mechanism === null) continue;
      if (!store.get(d.name, mechanism)) refuse(d.name, ErrorCode.RESOURCE_NOT_FOUND, `Attempt to delete a user credential that does not exist: ${d.name} ${mechanism}`);
      else changes.push({ user: d.name, mechanism, credential: null });
    }
    for (const u of req.upsertions) {
      const mechanism = check(u.name, u.mechanism);
      if (mechanism === null) continue;
      if (u.iterations < SCRAM_MIN_ITERATIONS || u.iterations > SCRAM_MAX_ITERATIONS) {
        refuse(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, `Iterations ${u.iterations} must be between ${SCRAM_MIN_ITERATIONS} and ${SCRAM_MAX_ITERATIONS}`);
      } else if (u.salt.length === 0 || u.saltedPassword.length === 0) {
        refuse(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salt and salted password must not be empty');
      } else {
        // Copies: the request's buffers live in a frame the server may reuse.
        changes.push({ user: u.name, mechanism, credential: credentialFromSalted(mechanism, Buffer.from(u.salt), u.iterations, Buffer.from(u.saltedPassword)) });
      }
    }
    const accepted = changes.filter((c) => !errors.has(c.user));
    if (accepted.length > 0) await store.alter(accepted);
    if (accepted.length > 0) ctx.logger.info({ principal: ctx.principal, users: [...new Set(accepted.map((c) => c.user))] }, 'SCRAM credentials altered');
    return createAlterUserScramCredentialsResponse({
      results: users.map((user) => {
        const e = errors.get(user);
        return { user, errorCode: e ? e[0] : ErrorCode.NONE, errorMessage: e ? e[1] : null };
      }),
    });
  },
  errorResponse(req, _version, errorCode, message) {
    return errorFor([...new Set([...req.deletions, ...req.upsertions].map((e) => e.name))], errorCode, message);
  },
});

function errorFor(users: string[], errorCode: number, errorMessage: string): AlterUserScramCredentialsResponse {
  return createAlterUserScramCredentialsResponse({ results: users.map((user) => ({ user, errorCode, errorMessage })) });
}
