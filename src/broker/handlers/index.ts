/**
 * The handler registry: one line per API. ApiVersions advertises exactly these keys and ranges, and the
 * server closes the connection on any key not listed (as Kafka does). To add an API, write
 * `handlers/<kebab-api>.ts` exporting a `Handler` and list it here.
 */
import type { Handler } from './handler.js';
import { withRequestQuota } from '../quotas/request-quota.js';
import { apiVersionsHandler } from './api-versions.js';
import { createPartitionsHandler } from './create-partitions.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteRecordsHandler } from './delete-records.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeClusterHandler } from './describe-cluster.js';
import { describeConfigsHandler } from './describe-configs.js';
import { alterConfigsHandler } from './alter-configs.js';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.js';
import { describeLogDirsHandler } from './describe-log-dirs.js';
import { describeProducersHandler } from './describe-producers.js';
import { offsetDeleteHandler } from './offset-delete.js';
import { alterClientQuotasHandler } from './alter-client-quotas.js';
import { describeClientQuotasHandler } from './describe-client-quotas.js';
import { describeTopicPartitionsHandler } from './describe-topic-partitions.js';
import { fetchHandler } from './fetch.js';
import { listOffsetsHandler } from './list-offsets.js';
import { metadataHandler } from './metadata.js';
import { produceHandler } from './produce.js';
import { deleteGroupsHandler } from './delete-groups.js';
import { describeGroupsHandler } from './describe-groups.js';
import { findCoordinatorHandler } from './find-coordinator.js';
import { heartbeatHandler } from './heartbeat.js';
import { initProducerIdHandler } from './init-producer-id.js';
import { joinGroupHandler } from './join-group.js';
import { leaveGroupHandler } from './leave-group.js';
import { listGroupsHandler } from './list-groups.js';
import { offsetCommitHandler } from './offset-commit.js';
import { offsetFetchHandler } from './offset-fetch.js';
import { syncGroupHandler } from './sync-group.js';
import { consumerGroupHeartbeatHandler } from './consumer-group-heartbeat.js';
import { consumerGroupDescribeHandler } from './consumer-group-describe.js';
import { addOffsetsToTxnHandler } from './add-offsets-to-txn.js';
import { addPartitionsToTxnHandler } from './add-partitions-to-txn.js';
import { describeTransactionsHandler } from './describe-transactions.js';
import { endTxnHandler } from './end-txn.js';
import { listTransactionsHandler } from './list-transactions.js';
import { txnOffsetCommitHandler } from './txn-offset-commit.js';
import { createAclsHandler } from './create-acls.js';
import { deleteAclsHandler } from './delete-acls.js';
import { describeAclsHandler } from './describe-acls.js';
import { saslHandshakeHandler } from './sasl-handshake.js';
import { saslAuthenticateHandler } from './sasl-authenticate.js';
import { describeUserScramCredentialsHandler } from './describe-user-scram-credentials.js';
import { alterUserScramCredentialsHandler } from './alter-user-scram-credentials.js';

export const handlers: readonly Handler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  deleteRecordsHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  incrementalAlterConfigsHandler,
  describeLogDirsHandler,
  describeClientQuotasHandler,
  alterClientQuotasHandler,
  createPartitionsHandler,
  describeClusterHandler,
  describeTopicPartitionsHandler,
  // Consumer groups and producer ids (src/broker/groups, src/broker/producers).
  offsetCommitHandler,
  offsetFetchHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  listGroupsHandler,
  initProducerIdHandler,
  deleteGroupsHandler,
  offsetDeleteHandler,
  describeProducersHandler,
  consumerGroupHeartbeatHandler,
  consumerGroupDescribeHandler,
  // Transactions (src/broker/txn).
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  txnOffsetCommitHandler,
  describeTransactionsHandler,
  listTransactionsHandler,
  // ACLs (src/broker/acl).
  describeAclsHandler,
  createAclsHandler,
  deleteAclsHandler,
  // Security (src/broker/security).
  saslHandshakeHandler,
  saslAuthenticateHandler,
  describeUserScramCredentialsHandler,
  alterUserScramCredentialsHandler,
];

/** Handlers by API key; throws on a key registered twice (a merge mistake worth failing loudly on). */
export function handlerMap(list: readonly Handler[] = handlers): Map<number, Handler> {
  const map = new Map<number, Handler>();
  for (const h of list) {
    if (map.has(h.codec.apiKey)) throw new Error(`two handlers registered for API key ${h.codec.apiKey} (${h.codec.name})`);
    if (h.minVersion < h.codec.minVersion || h.maxVersion > h.codec.maxVersion || h.minVersion > h.maxVersion) {
      throw new Error(`${h.codec.name} handler range ${h.minVersion}-${h.maxVersion} is outside its codec's ${h.codec.minVersion}-${h.codec.maxVersion}`);
    }
    map.set(h.codec.apiKey, withRequestQuota(h));
  }
  return map;
}
