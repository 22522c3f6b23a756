/**
 * THE table of the ACL matrix (api-acl-matrix.test.ts): for every API the broker implements, one or more
 * cases naming the ACLs Kafka's authorization table requires ("Operations and Resources on Protocols" in
 * Kafka's security docs, and KafkaApis.scala), in the order Kafka checks them, with the error each one's
 * absence gives. The matrix test asserts that the table covers every registered handler, so a new API
 * cannot be left out.
 *
 * APIs that do not refuse but leave out what the principal may not see (ListGroups, ListTransactions,
 * Metadata for all topics, DescribeCluster's authorized operations) report HIDDEN from `codes` for it.
 */
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { ApiCodec } from '../../../src/protocol/codec.js';
import { encodeRecordBatch } from '../../../src/protocol/records.js';
import { AclOperation as Op, ResourceType as R } from '../../../src/broker/acl/acl-types.js';
import { AddOffsetsToTxn, createAddOffsetsToTxnRequest } from '../../../src/protocol/messages/add-offsets-to-txn.js';
import { AddPartitionsToTxn, createAddPartitionsToTxnRequest } from '../../../src/protocol/messages/add-partitions-to-txn.js';
import { AlterUserScramCredentials, createAlterUserScramCredentialsRequest } from '../../../src/protocol/messages/alter-user-scram-credentials.js';
import { ApiVersions, createApiVersionsRequest } from '../../../src/protocol/messages/api-versions.js';
import { CreateAcls, createCreateAclsRequest } from '../../../src/protocol/messages/create-acls.js';
import { CreatePartitions, createCreatePartitionsRequest } from '../../../src/protocol/messages/create-partitions.js';
import { CreateTopics, createCreateTopicsRequest } from '../../../src/protocol/messages/create-topics.js';
import { DeleteAcls, createDeleteAclsRequest } from '../../../src/protocol/messages/delete-acls.js';
import { DeleteGroups, createDeleteGroupsRequest } from '../../../src/protocol/messages/delete-groups.js';
import { DeleteRecords, createDeleteRecordsRequest } from '../../../src/protocol/messages/delete-records.js';
import { DeleteTopics, createDeleteTopicsRequest } from '../../../src/protocol/messages/delete-topics.js';
import { DescribeAcls, createDescribeAclsRequest } from '../../../src/protocol/messages/describe-acls.js';
import { DescribeCluster, createDescribeClusterRequest } from '../../../src/protocol/messages/describe-cluster.js';
import { DescribeConfigs, createDescribeConfigsRequest } from '../../../src/protocol/messages/describe-configs.js';
import { DescribeGroups, createDescribeGroupsRequest } from '../../../src/protocol/messages/describe-groups.js';
import { DescribeTopicPartitions, createDescribeTopicPartitionsRequest } from '../../../src/protocol/messages/describe-topic-partitions.js';
import { DescribeUserScramCredentials, createDescribeUserScramCredentialsRequest } from '../../../src/protocol/messages/describe-user-scram-credentials.js';
import { DescribeTransactions, createDescribeTransactionsRequest } from '../../../src/protocol/messages/describe-transactions.js';
import { EndTxn, createEndTxnRequest } from '../../../src/protocol/messages/end-txn.js';
import { Fetch } from '../../../src/protocol/messages/fetch.js';
import { FindCoordinator, createFindCoordinatorRequest } from '../../../src/protocol/messages/find-coordinator.js';
import { Heartbeat, createHeartbeatRequest } from '../../../src/protocol/messages/heartbeat.js';
import { InitProducerId, createInitProducerIdRequest } from '../../../src/protocol/messages/init-producer-id.js';
import { JoinGroup, createJoinGroupRequest } from '../../../src/protocol/messages/join-group.js';
import { LeaveGroup, createLeaveGroupRequest } from '../../../src/protocol/messages/leave-group.js';
import { ListGroups, createListGroupsRequest } from '../../../src/protocol/messages/list-groups.js';
import { ListOffsets, createListOffsetsRequest } from '../../../src/protocol/messages/list-offsets.js';
import { ListTransactions, createListTransactionsRequest } from '../../../src/protocol/messages/list-transactions.js';
import { Metadata, createMetadataRequest } from '../../../src/protocol/messages/metadata.js';
import { OffsetCommit, createOffsetCommitRequest } from '../../../src/protocol/messages/offset-commit.js';
import { OffsetFetch, createOffsetFetchRequest } from '../../../src/protocol/messages/offset-fetch.js';
import { Produce, createProduceRequest } from '../../../src/protocol/messages/produce.js';
import { SaslAuthenticate, createSaslAuthenticateRequest } from '../../../src/protocol/messages/sasl-authenticate.js';
import { SaslHandshake, createSaslHandshakeRequest } from '../../../src/protocol/messages/sasl-handshake.js';
import { SyncGroup, createSyncGroupRequest } from '../../../src/protocol/messages/sync-group.js';
import { TxnOffsetCommit, createTxnOffsetCommitRequest } from '../../../src/protocol/messages/txn-offset-commit.js';
// Kafka-parity admin APIs (branch paracl): imports for their block at the end of MATRIX.
import { AlterConfigs, createAlterConfigsRequest } from '../../../src/protocol/messages/alter-configs.js';
import { IncrementalAlterConfigs, createIncrementalAlterConfigsRequest } from '../../../src/protocol/messages/incremental-alter-configs.js';
import { OffsetDelete, createOffsetDeleteRequest } from '../../../src/protocol/messages/offset-delete.js';
import { ConsumerGroupHeartbeat, createConsumerGroupHeartbeatRequest } from '../../../src/protocol/messages/consumer-group-heartbeat.js';
import { ConsumerGroupDescribe, createConsumerGroupDescribeRequest } from '../../../src/protocol/messages/consumer-group-describe.js';
import { DescribeLogDirs, createDescribeLogDirsRequest } from '../../../src/protocol/messages/describe-log-dirs.js';
import { DescribeProducers, createDescribeProducersRequest } from '../../../src/protocol/messages/describe-producers.js';
import { AlterClientQuotas, createAlterClientQuotasRequest } from '../../../src/protocol/messages/alter-client-quotas.js';
import { DescribeClientQuotas, createDescribeClientQuotasRequest } from '../../../src/protocol/messages/describe-client-quotas.js';
import type { TestBroker } from '../helpers.js';
import { fetchRequest } from '../helpers.js';
import type { TransactionCoordinator } from '../../../src/broker/txn/coordinator.js';
import type { IdempotenceGuard } from '../../../src/broker/producers/idempotence-guard.js';
import type { GroupCoordinator } from '../../../src/broker/groups/coordinator.js';

/** An ACL for the test's principal (User:ANONYMOUS, from any host). */
export interface Grant {
  type: number;
  name: string;
  op: number;
}

export interface Step {
  grant: Grant;
  /** The error while this grant is missing (and the grants before it are given). */
  refusal: number;
}

/** What a case's setup prepared (a producer id, ...), handed to `request`. */
export type Prepared = Record<string, unknown>;

export interface MatrixCase {
  label: string;
  codec: ApiCodec<any, any>;
  version: number;
  steps: Step[];
  /** The codes once every grant is given; default: all NONE. */
  success?: number;
  setup?(broker: TestBroker): Promise<Prepared>;
  request(p: Prepared): unknown;
  /** The error codes of the parts of the response the ACLs guard. */
  codes(res: any): number[];
}

/** Stands for "left out of the answer" in `codes` of the APIs that filter instead of refusing. */
export const HIDDEN = -1000;

/** Every topic the cases use exists before they run; `t` has one record. */
export const TOPIC = 't';

const topic = (name: string, op: number): Grant => ({ type: R.TOPIC, name, op });
const group = (name: string, op: number): Grant => ({ type: R.GROUP, name, op });
const txnId = (name: string, op: number): Grant => ({ type: R.TRANSACTIONAL_ID, name, op });
const cluster = (op: number): Grant => ({ type: R.CLUSTER, name: 'kafka-cluster', op });

const TOPIC_DENIED = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
const GROUP_DENIED = ErrorCode.GROUP_AUTHORIZATION_FAILED;
const CLUSTER_DENIED = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
const TXN_DENIED = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;

const txns = (b: TestBroker) => b.context.services.transactions as TransactionCoordinator;
const groups = (b: TestBroker) => b.context.services.groups as GroupCoordinator;

/** A transactional id with a producer id, for the transaction APIs. */
async function producer(b: TestBroker, id: string): Promise<{ producerId: bigint; producerEpoch: number }> {
  const r = await txns(b).initProducerId(id, 60_000, null);
  if ('errorCode' in r) throw new Error(`initProducerId(${id}) failed with ${r.errorCode}`);
  return r;
}

const partitionCodes = (res: { responses?: any[]; topics?: any[] }, list: 'partitionResponses' | 'partitions', key = 'errorCode'): number[] =>
  (res.responses ?? res.topics ?? []).flatMap((t: any) => t[list].map((p: any) => p[key]));

export const MATRIX: MatrixCase[] = [
  {
    label: 'Produce: WRITE on the topic',
    codec: Produce,
    version: 9,
    steps: [{ grant: topic(TOPIC, Op.WRITE), refusal: TOPIC_DENIED }],
    request: () => createProduceRequest({ acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from('v') }] }) }] }] }),
    codes: (res) => partitionCodes(res, 'partitionResponses'),
  },
  {
    label: 'Produce: transactional records need WRITE on the transactional id, then on the topic',
    codec: Produce,
    version: 9,
    steps: [
      { grant: txnId('tx-produce', Op.WRITE), refusal: TXN_DENIED },
      { grant: topic(TOPIC, Op.WRITE), refusal: TOPIC_DENIED },
    ],
    async setup(b) {
      const p = await producer(b, 'tx-produce');
      // The partition already holds a record: its producer state is rebuilt first (else a retriable refusal).
      const guard = b.context.services.idempotence as IdempotenceGuard;
      await guard.whenLoaded(b.context.topics.partition(TOPIC, 0)!);
      const codes = await txns(b).addPartitions('tx-produce', p.producerId, p.producerEpoch, [{ topic: TOPIC, partition: 0 }]);
      if ([...codes.values()].some((c) => c !== 0)) throw new Error(`addPartitions failed: ${[...codes.values()]}`);
      return p;
    },
    request: (p) =>
      createProduceRequest({
        transactionalId: 'tx-produce',
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: encodeRecordBatch({ transactional: true, producerId: p.producerId as bigint, producerEpoch: p.producerEpoch as number, baseSequence: 0, records: [{ key: null, value: Buffer.from('x') }] }) }] }],
      }),
    codes: (res) => partitionCodes(res, 'partitionResponses'),
  },
  {
    label: 'Fetch: READ on the topic',
    codec: Fetch,
    version: 11,
    steps: [{ grant: topic(TOPIC, Op.READ), refusal: TOPIC_DENIED }],
    request: () => fetchRequest(TOPIC, 0, 0n),
    codes: (res) => partitionCodes(res, 'partitions'),
  },
  {
    label: 'Fetch from a follower (replica id 0): CLUSTER_ACTION on the cluster',
    codec: Fetch,
    version: 11,
    steps: [{ grant: cluster(Op.CLUSTER_ACTION), refusal: TOPIC_DENIED }],
    request: () => fetchRequest(TOPIC, 0, 0n, { replicaId: 0 }),
    codes: (res) => partitionCodes(res, 'partitions'),
  },
  {
    label: 'ListOffsets: DESCRIBE on the topic',
    codec: ListOffsets,
    version: 5,
    steps: [{ grant: topic(TOPIC, Op.DESCRIBE), refusal: TOPIC_DENIED }],
    request: () => createListOffsetsRequest({ replicaId: -1, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] }),
    codes: (res) => partitionCodes(res, 'partitions'),
  },
  {
    label: 'Metadata with a topic list: DESCRIBE on the topic',
    codec: Metadata,
    version: 9,
    steps: [{ grant: topic(TOPIC, Op.DESCRIBE), refusal: TOPIC_DENIED }],
    request: () => createMetadataRequest({ topics: [{ name: TOPIC, topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false }),
    codes: (res) => res.topics.map((t: any) => t.errorCode),
  },
  {
    label: 'Metadata for all topics: lists only what the principal may DESCRIBE',
    codec: Metadata,
    version: 9,
    steps: [{ grant: topic(TOPIC, Op.DESCRIBE), refusal: HIDDEN }],
    request: () => createMetadataRequest({ topics: null }),
    codes: (res) => [res.topics.some((t: any) => t.name === TOPIC) ? ErrorCode.NONE : HIDDEN],
  },
  {
    label: 'Metadata auto-creating a topic: DESCRIBE on it, then CREATE on the cluster',
    codec: Metadata,
    version: 9,
    steps: [
      { grant: topic('auto-cluster', Op.DESCRIBE), refusal: TOPIC_DENIED },
      { grant: cluster(Op.CREATE), refusal: TOPIC_DENIED },
    ],
    request: () => createMetadataRequest({ topics: [{ name: 'auto-cluster', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: true }),
    codes: (res) => res.topics.map((t: any) => t.errorCode),
  },
  {
    label: 'Metadata auto-creating a topic: or CREATE on the topic',
    codec: Metadata,
    version: 9,
    steps: [
      { grant: topic('auto-topic', Op.DESCRIBE), refusal: TOPIC_DENIED },
      { grant: topic('auto-topic', Op.CREATE), refusal: TOPIC_DENIED },
    ],
    request: () => createMetadataRequest({ topics: [{ name: 'auto-topic', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: true }),
    codes: (res) => res.topics.map((t: any) => t.errorCode),
  },
  {
    label: 'ApiVersions: no authorization (part of the handshake)',
    codec: ApiVersions,
    version: 3,
    steps: [],
    request: () => createApiVersionsRequest({ clientSoftwareName: 'acl-matrix', clientSoftwareVersion: '1' }),
    codes: (res) => [res.errorCode],
  },
  {
    label: 'CreateTopics: CREATE on the topic',
    codec: CreateTopics,
    version: 5,
    steps: [{ grant: topic('created-t', Op.CREATE), refusal: TOPIC_DENIED }],
    request: () => createCreateTopicsRequest({ topics: [{ name: 'created-t', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 }),
    codes: (res) => res.topics.map((t: any) => t.errorCode),
  },
  {
    label: 'CreateTopics: or CREATE on the cluster',
    codec: CreateTopics,
    version: 5,
    steps: [{ grant: cluster(Op.CREATE), refusal: TOPIC_DENIED }],
    request: () => createCreateTopicsRequest({ topics: [{ name: 'created-c', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 }),
    codes: (res) => res.topics.map((t: any) => t.errorCode),
  },
  {
    label: 'DeleteTopics: DELETE on the topic',
    codec: DeleteTopics,
    version: 4,
    steps: [{ grant: topic('doomed', Op.DELETE), refusal: TOPIC_DENIED }],
    async setup(b) {
      await b.context.topics.create('doomed', 1, {});
      return {};
    },
    request: () => createDeleteTopicsRequest({ topicNames: ['doomed'], timeoutMs: 5000 }),
    codes: (res) => res.responses.map((t: any) => t.errorCode),
  },
  {
    label: 'DeleteRecords: DELETE on the topic',
    codec: DeleteRecords,
    version: 1,
    steps: [{ grant: topic(TOPIC, Op.DELETE), refusal: TOPIC_DENIED }],
    request: () => createDeleteRecordsRequest({ topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 5000 }),
    codes: (res) => partitionCodes(res, 'partitions'),
  },
  {
    label: 'DescribeConfigs of a topic: DESCRIBE_CONFIGS on the topic',
    codec: DescribeConfigs,
    version: 3,
    steps: [{ grant: topic(TOPIC, Op.DESCRIBE_CONFIGS), refusal: TOPIC_DENIED }],
    request: () => createDescribeConfigsRequest({ resources: [{ resourceType: 2, resourceName: TOPIC, configurationKeys: null }] }),
    codes: (res) => res.results.map((r: any) => r.errorCode),
  },
  {
    label: 'DescribeConfigs of the broker: DESCRIBE_CONFIGS on the cluster',
    codec: DescribeConfigs,
    version: 3,
    steps: [{ grant: cluster(Op.DESCRIBE_CONFIGS), refusal: CLUSTER_DENIED }],
    request: () => createDescribeConfigsRequest({ resources: [{ resourceType: 4, resourceName: '0', configurationKeys: null }] }),
    codes: (res) => res.results.map((r: any) => r.errorCode),
  },
  // --- Kafka-parity admin APIs (branch paracl): configs, offsets, log dirs, producers, client quotas. ---
  {
    label: 'AlterConfigs of a topic: ALTER_CONFIGS on the topic',
    codec: AlterConfigs,
    version: 2,
    steps: [{ grant: topic(TOPIC, Op.ALTER_CONFIGS), refusal: TOPIC_DENIED }],
    request: () => createAlterConfigsRequest({ validateOnly: true, resources: [{ resourceType: 2, resourceName: TOPIC, configs: [{ name: 'retention.ms', value: '3600000' }] }] }),
    codes: (res) => res.responses.map((r: any) => r.errorCode),
  },
  {
    label: 'AlterConfigs of the broker: ALTER_CONFIGS on the cluster',
    codec: AlterConfigs,
    version: 2,
    steps: [{ grant: cluster(Op.ALTER_CONFIGS), refusal: CLUSTER_DENIED }],
    request: () => createAlterConfigsRequest({ validateOnly: true, resources: [{ resourceType: 4, resourceName: '0', configs: [{ name: 'log.retention.ms', value: '3600000' }] }] }),
    codes: (res) => res.responses.map((r: any) => r.errorCode),
  },
  {
    label: 'IncrementalAlterConfigs of a topic: ALTER_CONFIGS on the topic',
    codec: IncrementalAlterConfigs,
    version: 1,
    steps: [{ grant: topic(TOPIC, Op.ALTER_CONFIGS), refusal: TOPIC_DENIED }],
    request: () => createIncrementalAlterConfigsRequest({ validateOnly: true, resources: [{ resourceType: 2, resourceName: TOPIC, configs: [{ name: 'retention.ms', configOperation: 0, value: '3600000' }] }] }),
    codes: (res) => res.responses.map((r: any) => r.errorCode),
  },
  {
    label: 'IncrementalAlterConfigs of the broker: ALTER_CONFIGS on the cluster',
    codec: IncrementalAlterConfigs,
    version: 1,
    steps: [{ grant: cluster(Op.ALTER_CONFIGS), refusal: CLUSTER_DENIED }],
    request: () => createIncrementalAlterConfigsRequest({ validateOnly: true, resources: [{ resourceType: 4, resourceName: '0', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '3600000' }] }] }),
    codes: (res) => res.responses.map((r: any) => r.errorCode),
  },
  {
    label: 'OffsetDelete: DELETE on the group, then READ on the topic',
    codec: OffsetDelete,
    version: 0,
    steps: [
      { grant: group('g-odel', Op.DELETE), refusal: GROUP_DENIED },
      { grant: topic(TOPIC, Op.READ), refusal: TOPIC_DENIED },
    ],
    async setup(b) {
      groups(b).commitOffsets({ groupId: 'g-odel', generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: TOPIC, partition: 0, offset: 0n, leaderEpoch: -1, metadata: null }] });
      return {};
    },
    request: () => createOffsetDeleteRequest({ groupId: 'g-odel', topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0 }] }] }),
    // The whole request refused (the group), else each partition's.
    codes: (res) => (res.errorCode !== 0 ? [res.errorCode] : partitionCodes(res, 'partitions')),
  },
  {
    label: 'DescribeLogDirs v3+: DESCRIBE on the cluster',
    codec: DescribeLogDirs,
    version: 4,
    steps: [{ grant: cluster(Op.DESCRIBE), refusal: CLUSTER_DENIED }],
    request: () => createDescribeLogDirsRequest({ topics: [{ topic: TOPIC, partitions: [0] }] }),
    codes: (res) => (res.errorCode !== 0 ? [res.errorCode] : res.results.map((r: any) => r.errorCode)),
  },
  {
    label: 'DescribeLogDirs before v3 (no error field): without DESCRIBE on the cluster, no results',
    codec: DescribeLogDirs,
    version: 2,
    steps: [{ grant: cluster(Op.DESCRIBE), refusal: HIDDEN }],
    request: () => createDescribeLogDirsRequest({ topics: null }),
    codes: (res) => (res.results.length === 0 ? [HIDDEN] : res.results.map((r: any) => r.errorCode)),
  },
  {
    label: 'DescribeProducers: READ on the topic',
    codec: DescribeProducers,
    version: 0,
    steps: [{ grant: topic(TOPIC, Op.READ), refusal: TOPIC_DENIED }],
    request: () => createDescribeProducersRequest({ topics: [{ name: TOPIC, partitionIndexes: [0] }] }),
    codes: (res) => partitionCodes(res, 'partitions'),
  },
  // KIP-848 consumer groups.
  {
    label: 'ConsumerGroupHeartbeat: READ on the group, then DESCRIBE on the subscribed topics',
    codec: ConsumerGroupHeartbeat,
    version: 1,
    steps: [
      { grant: group('g-cgh', Op.READ), refusal: GROUP_DENIED },
      { grant: topic(TOPIC, Op.DESCRIBE), refusal: TOPIC_DENIED },
    ],
    request: () => createConsumerGroupHeartbeatRequest({ groupId: 'g-cgh', memberId: '', memberEpoch: 0, rebalanceTimeoutMs: 30000, subscribedTopicNames: [TOPIC], topicPartitions: [] }),
    codes: (res) => [res.errorCode],
  },
  {
    label: 'ConsumerGroupDescribe: DESCRIBE on the group',
    codec: ConsumerGroupDescribe,
    version: 0,
    steps: [{ grant: group('g-cgd', Op.DESCRIBE), refusal: GROUP_DENIED }],
    success: ErrorCode.GROUP_ID_NOT_FOUND,
    request: () => createConsumerGroupDescribeRequest({ groupIds: ['g-cgd'] }),
    codes: (res) => res.groups.map((g: any) => g.errorCode),
  },
  // Checks come before lookups: a refused principal cannot tell a missing topic or group from a guarded one.
  {
    label: 'AlterConfigs of a missing topic: refused before the lookup',
    codec: AlterConfigs,
    version: 2,
    steps: [{ grant: topic('no-such-topic', Op.ALTER_CONFIGS), refusal: TOPIC_DENIED }],
    success: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    request: () => createAlterConfigsRequest({ validateOnly: true, resources: [{ resourceType: 2, resourceName: 'no-such-topic', configs: [{ name: 'retention.ms', value: '3600000' }] }] }),
    codes: (res) => res.responses.map((r: any) => r.errorCode),
  },
  {
    label: 'OffsetDelete of a missing group: refused before the lookup',
    codec: OffsetDelete,
    version: 0,
    // Once DELETE is granted, the missing group's error replaces the partitions' (Kafka merges it so too).
    steps: [{ grant: group('g-odel-none', Op.DELETE), refusal: GROUP_DENIED }],
    success: ErrorCode.GROUP_ID_NOT_FOUND,
    request: () => createOffsetDeleteRequest({ groupId: 'g-odel-none', topics: [{ name: 'no-such-topic', partitions: [{ partitionIndex: 0 }] }] }),
    codes: (res) => (res.errorCode !== 0 ? [res.errorCode] : partitionCodes(res, 'partitions')),
  },
  {
    label: 'DescribeProducers of a missing topic: refused before the lookup',
    codec: DescribeProducers,
    version: 0,
    steps: [{ grant: topic('no-such-topic', Op.READ), refusal: TOPIC_DENIED }],
    success: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    request: () => createDescribeProducersRequest({ topics: [{ name: 'no-such-topic', partitionIndexes: [0] }] }),
    codes: (res) => partitionCodes(res, 'partitions'),
  },
  {
    label: 'DescribeClientQuotas: DESCRIBE_CONFIGS on the cluster',
    codec: DescribeClientQuotas,
    version: 1,
    steps: [{ grant: cluster(Op.DESCRIBE_CONFIGS), refusal: CLUSTER_DENIED }],
    request: () => createDescribeClientQuotasRequest({ components: [], strict: false }),
    codes: (res) => [res.errorCode],
  },
  {
    label: 'AlterClientQuotas: ALTER_CONFIGS on the cluster',
    codec: AlterClientQuotas,
    version: 1,
    steps: [{ grant: cluster(Op.ALTER_CONFIGS), refusal: CLUSTER_DENIED }],
    request: () => createAlterClientQuotasRequest({ validateOnly: true, entries: [{ entity: [{ entityType: 'user', entityName: 'acl-matrix' }], ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }] }] }),
    codes: (res) => res.entries.map((e: any) => e.errorCode),
  },
  // --- end of the paracl block ---
  {
    label: 'CreatePartitions: ALTER on the topic',
    codec: CreatePartitions,
    version: 2,
    steps: [{ grant: topic(TOPIC, Op.ALTER), refusal: TOPIC_DENIED }],
    request: () => createCreatePartitionsRequest({ topics: [{ name: TOPIC, count: 2, assignments: null }], timeoutMs: 5000, validateOnly: true }),
    codes: (res) => res.results.map((r: any) => r.errorCode),
  },
  {
    label: 'DescribeCluster: authorized operations only with DESCRIBE on the cluster (never refused)',
    codec: DescribeCluster,
    version: 0,
    steps: [{ grant: cluster(Op.DESCRIBE), refusal: HIDDEN }],
    request: () => createDescribeClusterRequest({ includeClusterAuthorizedOperations: true }),
    codes: (res) => (res.errorCode !== 0 ? [res.errorCode] : [res.clusterAuthorizedOperations === 1 << Op.DESCRIBE ? ErrorCode.NONE : HIDDEN]),
  },
  {
    label: 'DescribeTopicPartitions: DESCRIBE on the topic',
    codec: DescribeTopicPartitions,
    version: 0,
    steps: [{ grant: topic(TOPIC, Op.DESCRIBE), refusal: TOPIC_DENIED }],
    request: () => createDescribeTopicPartitionsRequest({ topics: [{ name: TOPIC }], responsePartitionLimit: 10 }),
    codes: (res) => res.topics.map((t: any) => t.errorCode),
  },
  {
    label: 'OffsetCommit: READ on the group, then READ on the topic',
    codec: OffsetCommit,
    version: 8,
    steps: [
      { grant: group('g-commit', Op.READ), refusal: GROUP_DENIED },
      { grant: topic(TOPIC, Op.READ), refusal: TOPIC_DENIED },
    ],
    request: () =>
      createOffsetCommitRequest({
        groupId: 'g-commit',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
      }),
    codes: (res) => partitionCodes(res, 'partitions'),
  },
  {
    label: 'OffsetFetch: DESCRIBE on the group, then DESCRIBE on the topic',
    codec: OffsetFetch,
    version: 7,
    steps: [
      { grant: group('g-fetch', Op.DESCRIBE), refusal: GROUP_DENIED },
      { grant: topic(TOPIC, Op.DESCRIBE), refusal: TOPIC_DENIED },
    ],
    request: () => createOffsetFetchRequest({ groupId: 'g-fetch', topics: [{ name: TOPIC, partitionIndexes: [0] }] }),
    codes: (res) => (res.errorCode !== 0 ? [res.errorCode] : partitionCodes(res, 'partitions')),
  },
  {
    label: 'FindCoordinator of a group: DESCRIBE on the group',
    codec: FindCoordinator,
    version: 4,
    steps: [{ grant: group('g-find', Op.DESCRIBE), refusal: GROUP_DENIED }],
    request: () => createFindCoordinatorRequest({ keyType: 0, coordinatorKeys: ['g-find'] }),
    codes: (res) => res.coordinators.map((c: any) => c.errorCode),
  },
  {
    label: 'FindCoordinator of a transaction: DESCRIBE on the transactional id',
    codec: FindCoordinator,
    version: 4,
    steps: [{ grant: txnId('tx-find', Op.DESCRIBE), refusal: TXN_DENIED }],
    request: () => createFindCoordinatorRequest({ keyType: 1, coordinatorKeys: ['tx-find'] }),
    codes: (res) => res.coordinators.map((c: any) => c.errorCode),
  },
  {
    label: 'JoinGroup: READ on the group',
    codec: JoinGroup,
    version: 5,
    steps: [{ grant: group('g-join', Op.READ), refusal: GROUP_DENIED }],
    // A new member's first join gets its member id back (MEMBER_ID_REQUIRED): the join went through.
    success: ErrorCode.MEMBER_ID_REQUIRED,
    request: () => createJoinGroupRequest({ groupId: 'g-join', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] }),
    codes: (res) => [res.errorCode],
  },
  {
    label: 'Heartbeat: READ on the group',
    codec: Heartbeat,
    version: 3,
    steps: [{ grant: group('g-hb', Op.READ), refusal: GROUP_DENIED }],
    // No such member: the coordinator answered, past the ACL check.
    success: ErrorCode.UNKNOWN_MEMBER_ID,
    request: () => createHeartbeatRequest({ groupId: 'g-hb', generationId: 1, memberId: 'm' }),
    codes: (res) => [res.errorCode],
  },
  {
    label: 'LeaveGroup: READ on the group',
    codec: LeaveGroup,
    version: 2,
    steps: [{ grant: group('g-leave', Op.READ), refusal: GROUP_DENIED }],
    success: ErrorCode.UNKNOWN_MEMBER_ID,
    request: () => createLeaveGroupRequest({ groupId: 'g-leave', memberId: 'm' }),
    codes: (res) => [res.errorCode],
  },
  {
    label: 'SyncGroup: READ on the group',
    codec: SyncGroup,
    version: 3,
    steps: [{ grant: group('g-sync', Op.READ), refusal: GROUP_DENIED }],
    success: ErrorCode.UNKNOWN_MEMBER_ID,
    request: () => createSyncGroupRequest({ groupId: 'g-sync', generationId: 1, memberId: 'm', assignments: [] }),
    codes: (res) => [res.errorCode],
  },
  {
    label: 'DescribeGroups: DESCRIBE on the group',
    codec: DescribeGroups,
    version: 3,
    steps: [{ grant: group('g-desc', Op.DESCRIBE), refusal: GROUP_DENIED }],
    request: () => createDescribeGroupsRequest({ groups: ['g-desc'] }),
    codes: (res) => res.groups.map((g: any) => g.errorCode),
  },
  {
    label: 'ListGroups: only the groups the principal may DESCRIBE (never refused)',
    codec: ListGroups,
    version: 3,
    steps: [{ grant: group('g-list', Op.DESCRIBE), refusal: HIDDEN }],
    async setup(b) {
      groups(b).commitOffsets({ groupId: 'g-list', generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: TOPIC, partition: 0, offset: 0n, leaderEpoch: -1, metadata: null }] });
      return {};
    },
    request: () => createListGroupsRequest({}),
    codes: (res) => (res.errorCode !== 0 ? [res.errorCode] : [res.groups.some((g: any) => g.groupId === 'g-list') ? ErrorCode.NONE : HIDDEN]),
  },
  {
    label: 'ListGroups: DESCRIBE on the cluster lists every group',
    codec: ListGroups,
    version: 3,
    steps: [{ grant: cluster(Op.DESCRIBE), refusal: HIDDEN }],
    async setup(b) {
      groups(b).commitOffsets({ groupId: 'g-list-2', generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: TOPIC, partition: 0, offset: 0n, leaderEpoch: -1, metadata: null }] });
      return {};
    },
    request: () => createListGroupsRequest({}),
    codes: (res) => [res.groups.some((g: any) => g.groupId === 'g-list-2') ? ErrorCode.NONE : HIDDEN],
  },
  {
    label: 'InitProducerId with a transactional id: WRITE on it',
    codec: InitProducerId,
    version: 3,
    steps: [{ grant: txnId('tx-init', Op.WRITE), refusal: TXN_DENIED }],
    request: () => createInitProducerIdRequest({ transactionalId: 'tx-init', transactionTimeoutMs: 60_000 }),
    codes: (res) => [res.errorCode],
  },
  {
    label: 'InitProducerId, idempotent: IDEMPOTENT_WRITE on the cluster',
    codec: InitProducerId,
    version: 3,
    steps: [{ grant: cluster(Op.IDEMPOTENT_WRITE), refusal: CLUSTER_DENIED }],
    request: () => createInitProducerIdRequest({ transactionalId: null, transactionTimeoutMs: 60_000 }),
    codes: (res) => [res.errorCode],
  },
  {
    label: 'InitProducerId, idempotent: or WRITE on any topic (Kafka 3.x)',
    codec: InitProducerId,
    version: 3,
    steps: [{ grant: topic('anything', Op.WRITE), refusal: CLUSTER_DENIED }],
    request: () => createInitProducerIdRequest({ transactionalId: null, transactionTimeoutMs: 60_000 }),
    codes: (res) => [res.errorCode],
  },
  {
    label: 'DeleteGroups: DELETE on the group',
    codec: DeleteGroups,
    version: 1,
    steps: [{ grant: group('g-del', Op.DELETE), refusal: GROUP_DENIED }],
    async setup(b) {
      groups(b).commitOffsets({ groupId: 'g-del', generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: TOPIC, partition: 0, offset: 0n, leaderEpoch: -1, metadata: null }] });
      return {};
    },
    request: () => createDeleteGroupsRequest({ groupsNames: ['g-del'] }),
    codes: (res) => res.results.map((r: any) => r.errorCode),
  },
  {
    label: 'AddPartitionsToTxn: WRITE on the transactional id, then WRITE on the topic',
    codec: AddPartitionsToTxn,
    version: 3,
    steps: [
      { grant: txnId('tx-apt', Op.WRITE), refusal: TXN_DENIED },
      { grant: topic(TOPIC, Op.WRITE), refusal: TOPIC_DENIED },
    ],
    setup: (b) => producer(b, 'tx-apt'),
    request: (p) => createAddPartitionsToTxnRequest({ v3AndBelowTransactionalId: 'tx-apt', v3AndBelowProducerId: p.producerId as bigint, v3AndBelowProducerEpoch: p.producerEpoch as number, v3AndBelowTopics: [{ name: TOPIC, partitions: [0] }] }),
    codes: (res) => res.resultsByTopicV3AndBelow.flatMap((t: any) => t.resultsByPartition.map((p: any) => p.partitionErrorCode)),
  },
  {
    label: 'AddPartitionsToTxn v4+ (the brokers\' batched form): CLUSTER_ACTION, then per transaction as v3',
    codec: AddPartitionsToTxn,
    version: 4,
    steps: [
      { grant: cluster(Op.CLUSTER_ACTION), refusal: CLUSTER_DENIED },
      { grant: txnId('tx-apt4', Op.WRITE), refusal: TXN_DENIED },
      { grant: topic(TOPIC, Op.WRITE), refusal: TOPIC_DENIED },
    ],
    setup: (b) => producer(b, 'tx-apt4'),
    request: (p) =>
      createAddPartitionsToTxnRequest({
        transactions: [{ transactionalId: 'tx-apt4', producerId: p.producerId as bigint, producerEpoch: p.producerEpoch as number, verifyOnly: false, topics: [{ name: TOPIC, partitions: [0] }] }],
      }),
    // The top-level error when the whole request is refused, else each partition's.
    codes: (res) => (res.errorCode !== 0 ? [res.errorCode] : res.resultsByTransaction.flatMap((t: any) => t.topicResults.flatMap((r: any) => r.resultsByPartition.map((p: any) => p.partitionErrorCode)))),
  },
  {
    label: 'AddOffsetsToTxn: WRITE on the transactional id, then READ on the group',
    codec: AddOffsetsToTxn,
    version: 3,
    steps: [
      { grant: txnId('tx-aot', Op.WRITE), refusal: TXN_DENIED },
      { grant: group('g-aot', Op.READ), refusal: GROUP_DENIED },
    ],
    setup: (b) => producer(b, 'tx-aot'),
    request: (p) => createAddOffsetsToTxnRequest({ transactionalId: 'tx-aot', producerId: p.producerId as bigint, producerEpoch: p.producerEpoch as number, groupId: 'g-aot' }),
    codes: (res) => [res.errorCode],
  },
  {
    label: 'EndTxn: WRITE on the transactional id',
    codec: EndTxn,
    version: 3,
    steps: [{ grant: txnId('tx-end', Op.WRITE), refusal: TXN_DENIED }],
    async setup(b) {
      const p = await producer(b, 'tx-end');
      await txns(b).addPartitions('tx-end', p.producerId, p.producerEpoch, [{ topic: TOPIC, partition: 0 }]);
      return p;
    },
    request: (p) => createEndTxnRequest({ transactionalId: 'tx-end', producerId: p.producerId as bigint, producerEpoch: p.producerEpoch as number, committed: false }),
    codes: (res) => [res.errorCode],
  },
  {
    label: 'TxnOffsetCommit: WRITE on the transactional id, READ on the group, READ on the topic',
    codec: TxnOffsetCommit,
    version: 3,
    steps: [
      { grant: txnId('tx-toc', Op.WRITE), refusal: TXN_DENIED },
      { grant: group('g-toc', Op.READ), refusal: GROUP_DENIED },
      { grant: topic(TOPIC, Op.READ), refusal: TOPIC_DENIED },
    ],
    async setup(b) {
      const p = await producer(b, 'tx-toc');
      const code = await txns(b).addOffsets('tx-toc', p.producerId, p.producerEpoch, 'g-toc');
      if (code !== 0) throw new Error(`addOffsets failed with ${code}`);
      return p;
    },
    request: (p) =>
      createTxnOffsetCommitRequest({
        transactionalId: 'tx-toc',
        groupId: 'g-toc',
        producerId: p.producerId as bigint,
        producerEpoch: p.producerEpoch as number,
        generationId: -1,
        memberId: '',
        topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
      }),
    codes: (res) => partitionCodes(res, 'partitions'),
  },
  {
    label: 'DescribeTransactions: DESCRIBE on the transactional id',
    codec: DescribeTransactions,
    version: 0,
    steps: [{ grant: txnId('tx-desc', Op.DESCRIBE), refusal: TXN_DENIED }],
    setup: (b) => producer(b, 'tx-desc'),
    request: () => createDescribeTransactionsRequest({ transactionalIds: ['tx-desc'] }),
    codes: (res) => res.transactionStates.map((s: any) => s.errorCode),
  },
  {
    label: 'ListTransactions: only the transactional ids the principal may DESCRIBE (never refused)',
    codec: ListTransactions,
    version: 0,
    steps: [{ grant: txnId('tx-list', Op.DESCRIBE), refusal: HIDDEN }],
    setup: (b) => producer(b, 'tx-list'),
    request: () => createListTransactionsRequest({}),
    codes: (res) => (res.errorCode !== 0 ? [res.errorCode] : [res.transactionStates.some((s: any) => s.transactionalId === 'tx-list') ? ErrorCode.NONE : HIDDEN]),
  },
  {
    label: 'DescribeAcls: DESCRIBE on the cluster',
    codec: DescribeAcls,
    version: 1,
    steps: [{ grant: cluster(Op.DESCRIBE), refusal: CLUSTER_DENIED }],
    request: () => createDescribeAclsRequest({ resourceTypeFilter: R.ANY, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: Op.ANY, permissionType: 1 }),
    codes: (res) => [res.errorCode],
  },
  {
    label: 'CreateAcls: ALTER on the cluster',
    codec: CreateAcls,
    version: 1,
    steps: [{ grant: cluster(Op.ALTER), refusal: CLUSTER_DENIED }],
    request: () => createCreateAclsRequest({ creations: [{ resourceType: R.TOPIC, resourceName: 'x', resourcePatternType: 3, principal: 'User:x', host: '*', operation: Op.READ, permissionType: 3 }] }),
    codes: (res) => res.results.map((r: any) => r.errorCode),
  },
  {
    label: 'DeleteAcls: ALTER on the cluster',
    codec: DeleteAcls,
    version: 1,
    steps: [{ grant: cluster(Op.ALTER), refusal: CLUSTER_DENIED }],
    request: () => createDeleteAclsRequest({ filters: [{ resourceTypeFilter: R.TOPIC, resourceNameFilter: 'x', patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: Op.ANY, permissionType: 1 }] }),
    codes: (res) => res.filterResults.map((r: any) => r.errorCode),
  },
  {
    label: 'SaslHandshake: no authorization (part of the handshake; on this PLAINTEXT listener ILLEGAL_SASL_STATE, as Kafka)',
    codec: SaslHandshake,
    version: 1,
    steps: [],
    success: ErrorCode.ILLEGAL_SASL_STATE,
    request: () => createSaslHandshakeRequest({ mechanism: 'PLAIN' }),
    codes: (res) => [res.errorCode],
  },
  {
    label: 'SaslAuthenticate: no authorization (part of the handshake; on this PLAINTEXT listener ILLEGAL_SASL_STATE, as Kafka)',
    codec: SaslAuthenticate,
    version: 2,
    steps: [],
    success: ErrorCode.ILLEGAL_SASL_STATE,
    request: () => createSaslAuthenticateRequest({ authBytes: Buffer.from('\0u\0p') }),
    codes: (res) => [res.errorCode],
  },
  {
    label: 'DescribeUserScramCredentials: DESCRIBE on the cluster',
    codec: DescribeUserScramCredentials,
    version: 0,
    steps: [{ grant: cluster(Op.DESCRIBE), refusal: CLUSTER_DENIED }],
    request: () => createDescribeUserScramCredentialsRequest({ users: null }),
    codes: (res) => [res.errorCode],
  },
  {
    label: 'AlterUserScramCredentials: ALTER on the cluster',
    codec: AlterUserScramCredentials,
    version: 0,
    steps: [{ grant: cluster(Op.ALTER), refusal: CLUSTER_DENIED }],
    request: () =>
      createAlterUserScramCredentialsRequest({
        deletions: [],
        upsertions: [{ name: 'matrix-user', mechanism: 1, iterations: 4096, salt: Buffer.from('salt'), saltedPassword: Buffer.alloc(32, 7) }],
      }),
    codes: (res) => res.results.map((r: any) => r.errorCode),
  },
];
