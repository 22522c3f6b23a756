/**
 * The Kafka APIs kafkaesque targets and the version range for each.
 *
 * Ranges are Kafka 3.9's (the validVersions of the schemas in protocol/schemas, so kafkajs, librdkafka,
 * kafka-python, sarama and @platformatic/kafka all find a version they speak), except
 * AddPartitionsToTxn 0-3 (v4+ is broker-to-broker) and Produce from 3 / Fetch from 4 (RecordBatch v2 only;
 * older versions carry magic 0/1 message sets). These are targets: the broker advertises in ApiVersions
 * only what its registered handlers implement.
 */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  AddPartitionsToTxn: 24,
  AddOffsetsToTxn: 25,
  EndTxn: 26,
  TxnOffsetCommit: 28,
  DescribeAcls: 29,
  CreateAcls: 30,
  DeleteAcls: 31,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  DescribeLogDirs: 35,
  SaslAuthenticate: 36,
  CreatePartitions: 37,
  DeleteGroups: 42,
  IncrementalAlterConfigs: 44,
  OffsetDelete: 47,
  DescribeClientQuotas: 48,
  AlterClientQuotas: 49,
  DescribeUserScramCredentials: 50,
  AlterUserScramCredentials: 51,
  DescribeCluster: 60,
  DescribeProducers: 61,
  DescribeTransactions: 65,
  ListTransactions: 66,
  ConsumerGroupHeartbeat: 68,
  ConsumerGroupDescribe: 69,
  DescribeTopicPartitions: 75,
} as const;

export type ApiName = keyof typeof ApiKey;

export interface ApiVersionRange {
  apiKey: number;
  name: ApiName;
  minVersion: number;
  maxVersion: number;
}

const range = (name: ApiName, minVersion: number, maxVersion: number): ApiVersionRange => ({
  apiKey: ApiKey[name],
  name,
  minVersion,
  maxVersion,
});

/** Target version ranges, sorted by API key. */
export const SUPPORTED_API_VERSIONS: readonly ApiVersionRange[] = [
  range('Produce', 3, 11),
  range('Fetch', 4, 17),
  range('ListOffsets', 0, 9),
  range('Metadata', 0, 12),
  range('OffsetCommit', 0, 9),
  range('OffsetFetch', 0, 9),
  range('FindCoordinator', 0, 6),
  range('JoinGroup', 0, 9),
  range('Heartbeat', 0, 4),
  range('LeaveGroup', 0, 5),
  range('SyncGroup', 0, 5),
  range('DescribeGroups', 0, 5),
  range('ListGroups', 0, 5),
  range('SaslHandshake', 0, 1),
  range('ApiVersions', 0, 4),
  range('CreateTopics', 0, 7),
  range('DeleteTopics', 0, 6),
  range('DeleteRecords', 0, 2),
  range('InitProducerId', 0, 5),
  range('OffsetForLeaderEpoch', 0, 4),
  range('AddPartitionsToTxn', 0, 3),
  range('AddOffsetsToTxn', 0, 4),
  range('EndTxn', 0, 4),
  range('TxnOffsetCommit', 0, 4),
  range('DescribeAcls', 0, 3),
  range('CreateAcls', 0, 3),
  range('DeleteAcls', 0, 3),
  range('DescribeConfigs', 0, 4),
  range('AlterConfigs', 0, 2),
  range('DescribeLogDirs', 0, 4),
  range('SaslAuthenticate', 0, 2),
  range('CreatePartitions', 0, 3),
  range('DeleteGroups', 0, 2),
  range('IncrementalAlterConfigs', 0, 1),
  range('OffsetDelete', 0, 0),
  range('DescribeClientQuotas', 0, 1),
  range('AlterClientQuotas', 0, 1),
  range('DescribeUserScramCredentials', 0, 0),
  range('AlterUserScramCredentials', 0, 0),
  range('DescribeCluster', 0, 1),
  range('DescribeProducers', 0, 0),
  range('DescribeTransactions', 0, 0),
  range('ListTransactions', 0, 1),
  range('ConsumerGroupHeartbeat', 0, 1),
  range('ConsumerGroupDescribe', 0, 0),
  range('DescribeTopicPartitions', 0, 0),
];

export const supportedApiVersionsByKey: ReadonlyMap<number, ApiVersionRange> = new Map(
  SUPPORTED_API_VERSIONS.map((r) => [r.apiKey, r]),
);

const names = new Map<number, ApiName>(Object.entries(ApiKey).map(([n, k]) => [k, n as ApiName]));

/** The API's name, or `Unknown(<key>)` for keys kafkaesque does not know. */
export function apiName(apiKey: number): string {
  return names.get(apiKey) ?? `Unknown(${apiKey})`;
}
