/**
 * Every topic config of Kafka 3.9, as facts from Kafka's LogConfig / TopicConfig / ServerTopicConfigSynonyms
 * (https://github.com/apache/kafka, tag 3.9.0): name, type, default, valid range, and the broker settings
 * it falls back to (its synonyms, in Kafka's order, with the defaults Kafka's broker has for them). The
 * descriptions are ours. `effect` says what this broker does with it: undefined when it is honoured,
 * otherwise why it is accepted and described but has no effect (the README lists these).
 */
import type { ConfigTypeName } from './config-values.js';

export interface TopicConfigDef {
  readonly name: string;
  readonly type: ConfigTypeName;
  /** Kafka's default, in canonical form. */
  readonly default: string;
  /** Why a parsed value is out of range (Kafka's validator), or null. */
  readonly check?: (v: { text: string; number?: bigint | number; list?: string[] }) => string | null;
  /** Broker settings this config falls back to, first the one the broker's own flag sets. */
  readonly synonyms: readonly string[];
  /** Kafka's broker defaults of those synonyms (the ones with a default; others have none). */
  readonly synonymDefaults: Readonly<Record<string, string>>;
  readonly doc: string;
  readonly effect?: string;
}

const LONG_MAX = '9223372036854775807';

const atLeast =
  (min: bigint) =>
  (v: { number?: bigint | number }): string | null =>
    BigInt(v.number as bigint) < min ? `value must be at least ${min}` : null;
const between =
  (min: number, max: number, orAlso?: number) =>
  (v: { number?: bigint | number }): string | null => {
    const n = Number(v.number);
    return (n >= min && n <= max) || n === orAlso ? null : `value must be in [${min}, ${max}]${orAlso === undefined ? '' : ` or ${orAlso}`}`;
  };
const oneOf =
  (...allowed: string[]) =>
  (v: { text: string }): string | null =>
    allowed.includes(v.text) ? null : `String must be one of: ${allowed.join(', ')}`;
const listOf =
  (...allowed: string[]) =>
  (v: { list?: string[] }): string | null => {
    const bad = (v.list ?? []).find((x) => !allowed.includes(x));
    return bad === undefined ? null : `'${bad}' is not one of ${allowed.join(', ')}`;
  };
/** Kafka's MetadataVersion strings (e.g. 3.0, 3.0-IV1, 0.10.2); the record format is v2 whatever is given. */
const metadataVersion = (v: { text: string }): string | null => (/^\d+\.\d+(\.\d+)?(-IV\d+)?$/.test(v.text) ? null : 'not a valid Kafka version such as 3.0-IV1');
/** leader/follower.replication.throttled.replicas: "*" or partition:broker pairs. */
const throttledReplicas = (v: { list?: string[] }): string | null => {
  const l = v.list ?? [];
  if (l.length === 1 && l[0] === '*') return null;
  return l.every((x) => /^\d+:\d+$/.test(x)) ? null : 'must be * or a list of partitionId:brokerId pairs';
};

const SINGLE_NODE = 'a single-node broker has no replicas, followers or leader elections';
const NO_TIERED = 'this broker has no tiered storage';

function def(
  name: string,
  type: ConfigTypeName,
  dflt: string,
  synonyms: readonly string[],
  synonymDefaults: Record<string, string>,
  doc: string,
  extra: { check?: TopicConfigDef['check']; effect?: string } = {},
): TopicConfigDef {
  return { name, type, default: dflt, synonyms, synonymDefaults, doc, ...extra };
}

/** In the order Kafka's LogConfig defines them (DescribeConfigs lists all of a topic's configs in this order). */
export const TOPIC_CONFIG_DEFS: readonly TopicConfigDef[] = [
  def('segment.bytes', 'int', '1073741824', ['log.segment.bytes'], { 'log.segment.bytes': '1073741824' }, 'Size at which the active segment file is closed and a new one begun.', { check: atLeast(14n) }),
  def('segment.ms', 'long', '604800000', ['log.roll.ms', 'log.roll.hours'], { 'log.roll.hours': '168' }, 'Age at which the active segment is rolled even if it is not full, so retention can remove it.', { check: atLeast(1n) }),
  def('segment.jitter.ms', 'long', '0', ['log.roll.jitter.ms', 'log.roll.jitter.hours'], { 'log.roll.jitter.hours': '0' }, 'Random amount subtracted from segment.ms so that many partitions do not roll at the same moment.', {
    check: atLeast(0n),
    effect: 'segments roll at segment.ms exactly; with one broker the simultaneous rolls it spreads are cheap',
  }),
  def('segment.index.bytes', 'int', '10485760', ['log.index.size.max.bytes'], { 'log.index.size.max.bytes': '10485760' }, 'Largest size of the offset and time index files of a segment; a full index rolls the segment.', { check: atLeast(4n) }),
  def('flush.messages', 'long', LONG_MAX, ['log.flush.interval.messages'], { 'log.flush.interval.messages': LONG_MAX }, 'Number of messages after which the partition is forced to disk (Long.MAX: leave it to the OS).', {
    check: atLeast(1n),
    effect: 'forcing to disk is the broker-wide --fsync policy (never, interval or always); per-topic message counts are not tracked',
  }),
  def('flush.ms', 'long', LONG_MAX, ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'], { 'log.flush.scheduler.interval.ms': LONG_MAX }, 'Time after which unflushed data is forced to disk (Long.MAX: leave it to the OS).', {
    check: atLeast(0n),
    effect: 'forcing to disk is the broker-wide --fsync policy (never, interval or always)',
  }),
  def('retention.bytes', 'long', '-1', ['log.retention.bytes'], { 'log.retention.bytes': '-1' }, 'Size a partition may grow to before its oldest segments are deleted (-1: no size limit).'),
  def('retention.ms', 'long', '604800000', ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'], { 'log.retention.hours': '168' }, 'Age after which a segment is deleted, judged by its newest record (-1: keep forever).', {
    check: atLeast(-1n),
  }),
  def('max.message.bytes', 'int', '1048588', ['message.max.bytes'], { 'message.max.bytes': '1048588' }, 'Largest record batch (after compression) the topic accepts.', { check: atLeast(0n) }),
  def('index.interval.bytes', 'int', '4096', ['log.index.interval.bytes'], { 'log.index.interval.bytes': '4096' }, 'Bytes of log between two entries of the sparse offset index.', { check: atLeast(0n) }),
  def('delete.retention.ms', 'long', '86400000', ['log.cleaner.delete.retention.ms'], { 'log.cleaner.delete.retention.ms': '86400000' }, 'How long tombstones stay readable in a compacted topic.', { check: atLeast(0n) }),
  def('min.compaction.lag.ms', 'long', '0', ['log.cleaner.min.compaction.lag.ms'], { 'log.cleaner.min.compaction.lag.ms': '0' }, 'Minimum age of a record before compaction may remove it.', { check: atLeast(0n) }),
  def('max.compaction.lag.ms', 'long', LONG_MAX, ['log.cleaner.max.compaction.lag.ms'], { 'log.cleaner.max.compaction.lag.ms': LONG_MAX }, 'Maximum time a record may stay uncompacted.', { check: atLeast(1n) }),
  def('file.delete.delay.ms', 'long', '60000', ['log.segment.delete.delay.ms'], { 'log.segment.delete.delay.ms': '60000' }, 'Delay between a segment leaving the log and its file being removed.', {
    check: atLeast(0n),
    effect: 'deleted segments are removed at once: readers hold open descriptors, so the delay protects nothing here',
  }),
  def('min.cleanable.dirty.ratio', 'double', '0.5', ['log.cleaner.min.cleanable.ratio'], { 'log.cleaner.min.cleanable.ratio': '0.5' }, 'Share of uncompacted log that makes a partition eligible for compaction.', {
    check: (v) => (Number(v.number) >= 0 && Number(v.number) <= 1 ? null : 'value must be between 0 and 1'),
  }),
  def('cleanup.policy', 'list', 'delete', ['log.cleanup.policy'], { 'log.cleanup.policy': 'delete' }, 'What happens to old segments: delete (retention), compact (latest value per key), or both.', {
    check: listOf('compact', 'delete'),
  }),
  def('unclean.leader.election.enable', 'boolean', 'false', ['unclean.leader.election.enable'], { 'unclean.leader.election.enable': 'false' }, 'Whether a replica outside the in-sync set may become leader, at the risk of losing data.', { effect: SINGLE_NODE }),
  def('min.insync.replicas', 'int', '1', ['min.insync.replicas'], { 'min.insync.replicas': '1' }, 'Replicas that must have a write before acks=all succeeds.', { check: atLeast(1n), effect: SINGLE_NODE }),
  def('compression.type', 'string', 'producer', ['compression.type'], { 'compression.type': 'producer' }, 'Codec batches are stored with: producer keeps what the producer sent; any other value recompresses to it.', {
    check: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'),
  }),
  def('compression.gzip.level', 'int', '-1', ['compression.gzip.level'], { 'compression.gzip.level': '-1' }, 'gzip level used when the broker recompresses to gzip.', { check: between(1, 9, -1) }),
  def('compression.lz4.level', 'int', '9', ['compression.lz4.level'], { 'compression.lz4.level': '9' }, 'lz4 level used when the broker recompresses to lz4.', {
    check: between(1, 17),
    effect: 'the lz4 codec here has one level; the value is checked and stored',
  }),
  def('compression.zstd.level', 'int', '3', ['compression.zstd.level'], { 'compression.zstd.level': '3' }, 'zstd level used when the broker recompresses to zstd.', { check: between(-131072, 22) }),
  def('preallocate', 'boolean', 'false', ['log.preallocate'], { 'log.preallocate': 'false' }, 'Whether a new segment file is allocated at full size when it is created.', {
    effect: 'segment files grow as written; preallocation only helps some file systems on Windows',
  }),
  def('message.format.version', 'string', '3.0-IV1', ['log.message.format.version'], { 'log.message.format.version': '3.0-IV1' }, 'Deprecated: record format for the topic; ignored from Kafka 3.0 on.', {
    check: metadataVersion,
    effect: 'records are always stored as record batch v2, as Kafka 3.0+ does',
  }),
  def('message.timestamp.type', 'string', 'CreateTime', ['log.message.timestamp.type'], { 'log.message.timestamp.type': 'CreateTime' }, 'CreateTime keeps the producer timestamp; LogAppendTime stamps batches with the broker clock.', {
    check: oneOf('CreateTime', 'LogAppendTime'),
  }),
  def('message.timestamp.difference.max.ms', 'long', LONG_MAX, ['log.message.timestamp.difference.max.ms'], { 'log.message.timestamp.difference.max.ms': LONG_MAX }, 'Deprecated: largest difference between a CreateTime timestamp and the broker clock, either way.', {
    check: atLeast(0n),
  }),
  def('message.timestamp.before.max.ms', 'long', LONG_MAX, ['log.message.timestamp.before.max.ms'], { 'log.message.timestamp.before.max.ms': LONG_MAX }, 'How far in the past a CreateTime timestamp may be, relative to the broker clock.', {
    check: atLeast(0n),
  }),
  def('message.timestamp.after.max.ms', 'long', LONG_MAX, ['log.message.timestamp.after.max.ms'], { 'log.message.timestamp.after.max.ms': LONG_MAX }, 'How far in the future a CreateTime timestamp may be, relative to the broker clock.', {
    check: atLeast(0n),
  }),
  def('leader.replication.throttled.replicas', 'list', '', [], {}, 'Replicas whose replication is throttled on the leader side.', { check: throttledReplicas, effect: SINGLE_NODE }),
  def('follower.replication.throttled.replicas', 'list', '', [], {}, 'Replicas whose replication is throttled on the follower side.', { check: throttledReplicas, effect: SINGLE_NODE }),
  def('message.downconversion.enable', 'boolean', 'true', ['log.message.downconversion.enable'], { 'log.message.downconversion.enable': 'true' }, 'Whether old fetch versions get records converted to their format.', {
    effect: 'Fetch is served from v4, which reads record batch v2 as stored: nothing is ever converted',
  }),
  def('remote.storage.enable', 'boolean', 'false', [], {}, 'Whether the topic uses tiered storage.', {
    check: (v) => (v.text === 'true' ? 'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.' : null),
    effect: NO_TIERED,
  }),
  def('local.retention.ms', 'long', '-2', ['log.local.retention.ms'], { 'log.local.retention.ms': '-2' }, 'With tiered storage, how long segments stay on local disk (-2: retention.ms).', { check: atLeast(-2n), effect: NO_TIERED }),
  def('local.retention.bytes', 'long', '-2', ['log.local.retention.bytes'], { 'log.local.retention.bytes': '-2' }, 'With tiered storage, how many bytes stay on local disk (-2: retention.bytes).', { check: atLeast(-2n), effect: NO_TIERED }),
  def('remote.log.copy.disable', 'boolean', 'false', [], {}, 'With tiered storage, stop copying segments to remote storage.', { effect: NO_TIERED }),
  def('remote.log.delete.on.disable', 'boolean', 'false', [], {}, 'With tiered storage, delete remote data when tiering is turned off.', { effect: NO_TIERED }),
];

export const TOPIC_CONFIG_BY_NAME: ReadonlyMap<string, TopicConfigDef> = new Map(TOPIC_CONFIG_DEFS.map((d) => [d.name, d]));
