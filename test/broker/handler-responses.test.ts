/**
 * Byte-level goldens for the handlers' hand-off to the codecs: every handler's errorResponse at every version
 * it serves, and the answers of the handlers that need only the topic catalog. The snapshot was written by the
 * handlers as they were before they built their responses from the generated create*() defaults (issue 11),
 * so a default that differs from what a handler meant to send shows up here as changed bytes.
 */
import { describe, expect, it } from 'vitest';
import { encodeResponse } from '../../src/protocol/codec.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { DEFAULT_CONFIG } from '../../src/broker/config.js';
import type { RequestContext } from '../../src/broker/context.js';
import type { Handler } from '../../src/broker/handlers/handler.js';
import { handlers } from '../../src/broker/handlers/index.js';
import type { TopicInfo } from '../../src/broker/topics.js';

const TOPIC_ID = '6a1f3c2e-1b7d-4e2a-9c0f-1234567890ab';
const topic = { name: 't', id: TOPIC_ID, partitions: 3, configs: { 'retention.ms': '1000' } } satisfies TopicInfo;

/** Requests with one or two entries wherever a request has a list, so per-entry answers show up. */
const requests: Record<string, unknown> = {
  Produce: { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records: null }, { index: 2, records: null }] }] },
  Fetch: {
    clusterId: null, replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1n }, maxWaitMs: 0, minBytes: 1, maxBytes: 1000, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 't', topicId: TOPIC_ID, partitions: [{ partition: 1, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 100, replicaDirectoryId: '00000000-0000-0000-0000-000000000000' }] }],
    forgottenTopicsData: [], rackId: '',
  },
  ListOffsets: { replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }], timeoutMs: 0 },
  Metadata: { topics: [{ topicId: TOPIC_ID, name: 't' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false },
  ApiVersions: { clientSoftwareName: 'x', clientSoftwareVersion: '1' },
  CreateTopics: { topics: [{ name: 'a', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }, { name: 'b', numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 0, validateOnly: false },
  DeleteTopics: { topics: [{ name: 'a', topicId: '00000000-0000-0000-0000-000000000000' }, { name: null, topicId: TOPIC_ID }], topicNames: ['a', 'b'], timeoutMs: 0 },
  DeleteRecords: { topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: 5n }, { partitionIndex: 1, offset: -1n }] }], timeoutMs: 0 },
  DescribeConfigs: { resources: [{ resourceType: 2, resourceName: 't', configurationKeys: null }, { resourceType: 4, resourceName: '0', configurationKeys: ['log.retention.ms'] }], includeSynonyms: true, includeDocumentation: true },
  CreatePartitions: { topics: [{ name: 't', count: 4, assignments: null }], timeoutMs: 0, validateOnly: true },
  DescribeCluster: { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: false },
  DescribeTopicPartitions: { topics: [{ name: 't' }, { name: 'missing' }], responsePartitionLimit: 2, cursor: null },
  OffsetCommit: {
    groupId: 'g', generationIdOrMemberEpoch: 1, memberId: 'm', groupInstanceId: null, retentionTimeMs: -1n,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
  },
  OffsetFetch: {
    groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 2] }],
    groups: [{ groupId: 'g', memberId: null, memberEpoch: -1, topics: null }, { groupId: 'h', memberId: null, memberEpoch: -1, topics: null }], requireStable: false,
  },
  FindCoordinator: { key: 'g', keyType: 0, coordinatorKeys: ['g', 'h'] },
  JoinGroup: { groupId: 'g', sessionTimeoutMs: 1, rebalanceTimeoutMs: 1, memberId: 'member-1', groupInstanceId: null, protocolType: 'consumer', protocols: [], reason: null },
  Heartbeat: { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null },
  LeaveGroup: { groupId: 'g', memberId: 'm', members: [] },
  SyncGroup: { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] },
  DescribeGroups: { groups: ['g', 'h'], includeAuthorizedOperations: false },
  ListGroups: { statesFilter: [], typesFilter: [] },
  InitProducerId: { transactionalId: null, transactionTimeoutMs: 1, producerId: -1n, producerEpoch: -1 },
  DeleteGroups: { groupsNames: ['g', 'h'] },
  // Transactions (issue 12): added after the create*() change, so their goldens pin today's bytes.
  AddPartitionsToTxn: {
    transactions: [{ transactionalId: 'tx', producerId: 7n, producerEpoch: 1, verifyOnly: false, topics: [{ name: 't', partitions: [0, 2] }] }],
    v3AndBelowTransactionalId: 'tx', v3AndBelowProducerId: 7n, v3AndBelowProducerEpoch: 1, v3AndBelowTopics: [{ name: 't', partitions: [0, 2] }],
  },
  AddOffsetsToTxn: { transactionalId: 'tx', producerId: 7n, producerEpoch: 1, groupId: 'g' },
  EndTxn: { transactionalId: 'tx', producerId: 7n, producerEpoch: 1, committed: true },
  TxnOffsetCommit: {
    transactionalId: 'tx', groupId: 'g', producerId: 7n, producerEpoch: 1, generationId: -1, memberId: '', groupInstanceId: null,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: null }, { partitionIndex: 2, committedOffset: 4n, committedLeaderEpoch: -1, committedMetadata: null }] }],
  },
  DescribeTransactions: { transactionalIds: ['tx', 'ty'] },
  ListTransactions: { stateFilters: [], producerIdFilters: [], durationFilter: -1n },
  // ACLs (issue 13).
  DescribeAcls: { resourceTypeFilter: 2, resourceNameFilter: 't', patternTypeFilter: 3, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 },
  CreateAcls: {
    creations: [
      { resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: 'User:a', host: '*', operation: 3, permissionType: 3 },
      { resourceType: 3, resourceName: 'g', resourcePatternType: 4, principal: 'User:b', host: '10.0.0.1', operation: 8, permissionType: 2 },
    ],
  },
  DeleteAcls: {
    filters: [
      { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: 'User:a', hostFilter: null, operation: 1, permissionType: 1 },
      { resourceTypeFilter: 2, resourceNameFilter: 't', patternTypeFilter: 2, principalFilter: null, hostFilter: '*', operation: 3, permissionType: 3 },
    ],
  },
  // Security (issue 13).
  SaslHandshake: { mechanism: 'SCRAM-SHA-512' },
  SaslAuthenticate: { authBytes: Buffer.from('n,,n=alice,r=abc') },
  DescribeUserScramCredentials: { users: [{ name: 'alice' }] },
  AlterUserScramCredentials: {
    deletions: [{ name: 'bob', mechanism: 1 }],
    upsertions: [{ name: 'alice', mechanism: 2, iterations: 4096, salt: Buffer.from('salt'), saltedPassword: Buffer.alloc(64, 1) }],
  },
  // Issue 16 (configs, admin APIs).
  AlterConfigs: { resources: [{ resourceType: 2, resourceName: 't', configs: [{ name: 'retention.ms', value: '1' }] }, { resourceType: 4, resourceName: '', configs: [] }], validateOnly: true },
  IncrementalAlterConfigs: {
    resources: [{ resourceType: 2, resourceName: 't', configs: [{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }] }, { resourceType: 4, resourceName: '0', configs: [] }],
    validateOnly: true,
  },
  OffsetDelete: { groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }, { partitionIndex: 2 }] }] },
  DescribeLogDirs: { topics: [{ topic: 't', partitions: [0, 2] }] },
  DescribeProducers: { topics: [{ name: 't', partitionIndexes: [0, 2] }] },
  AlterClientQuotas: { entries: [{ entity: [{ entityType: 'user', entityName: 'u' }, { entityType: 'client-id', entityName: null }], ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }] }], validateOnly: true },
  DescribeClientQuotas: { components: [{ entityType: 'user', matchType: 0, match: 'u' }], strict: false },
  // KIP-848 (issue 16): a join with epoch 0, and a describe of it and of an unknown group.
  ConsumerGroupHeartbeat: {
    groupId: 'cg', memberId: 'm-1', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30000,
    subscribedTopicNames: ['t'], subscribedTopicRegex: null, serverAssignor: 'range', topicPartitions: [],
  },
  ConsumerGroupDescribe: { groupIds: ['cg', 'nope'], includeAuthorizedOperations: false },
};

const logger = { info() {}, warn() {}, error() {}, debug() {} };
const broker = {
  config: DEFAULT_CONFIG,
  logger,
  nodeId: 0,
  clusterId: 'cluster-1',
  advertisedHost: 'localhost',
  advertisedPort: 9092,
  services: {},
  apis: handlers.map((h) => ({ apiKey: h.codec.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })),
  topics: {
    list: () => [topic],
    get: (name: string) => (name === topic.name ? topic : undefined),
    byId: (id: string) => (id === topic.id ? topic : undefined),
    partition: () => undefined,
  },
};
const ctx = { broker, config: DEFAULT_CONFIG, logger, clientId: 'c', peer: '127.0.0.1:1234' } as unknown as RequestContext;

function versions(h: Handler): number[] {
  const out: number[] = [];
  for (let v = h.minVersion; v <= h.maxVersion; v++) out.push(v);
  return out;
}

function hexAtEveryVersion(h: Handler, answer: (v: number) => unknown): Record<number, string> {
  const out: Record<number, string> = {};
  for (const v of versions(h)) out[v] = encodeResponse(h.codec, v, answer(v)).toString('hex');
  return out;
}

describe('handler responses are byte-identical to the hand-built ones', () => {
  for (const h of handlers) {
    it(`${h.codec.name} errorResponse`, () => {
      const req = requests[h.codec.name];
      expect(req, `add a sample ${h.codec.name} request`).toBeDefined();
      if (!h.errorResponse) return;
      expect(hexAtEveryVersion(h, (v) => h.errorResponse!(req, v, ErrorCode.NOT_CONTROLLER, 'refused'))).toMatchSnapshot();
    });
  }

  // The ACL APIs answer SECURITY_DISABLED here (no --authorizer), as Kafka does.
  const catalogOnly = ['DescribeAcls', 'CreateAcls', 'DeleteAcls', 'ApiVersions', 'Metadata', 'DescribeCluster', 'DescribeConfigs', 'DescribeTopicPartitions', 'FindCoordinator', 'ListOffsets', 'DeleteRecords'];
  for (const name of catalogOnly) {
    it(`${name} answer`, async () => {
      const h = handlers.find((x) => x.codec.name === name)!;
      const answers: Record<number, unknown> = {};
      for (const v of versions(h)) answers[v] = await h.handle({ ...ctx, apiVersion: v } as RequestContext, requests[name], v);
      expect(hexAtEveryVersion(h, (v) => answers[v])).toMatchSnapshot();
    });
  }

  it('FindCoordinator answers an unknown key type and an empty group id', async () => {
    const h = handlers.find((x) => x.codec.name === 'FindCoordinator')!;
    const bad = { key: '', keyType: 7, coordinatorKeys: ['', 'g'] };
    const empty = { key: '', keyType: 0, coordinatorKeys: ['', 'g'] };
    const answers: Record<string, Record<number, string>> = {};
    for (const [label, req] of Object.entries({ bad, empty })) {
      const byVersion: Record<number, unknown> = {};
      for (const v of versions(h)) byVersion[v] = await h.handle(ctx, req, v);
      answers[label] = hexAtEveryVersion(h, (v) => byVersion[v]);
    }
    expect(answers).toMatchSnapshot();
  });
});
