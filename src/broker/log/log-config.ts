/**
 * Settings of one partition log, with Kafka's defaults, and the per-topic overrides (Kafka topic config
 * names such as `retention.ms`) that CreateTopics / DescribeConfigs speak.
 *
 * The broker maps its options onto a `LogConfig` (field names match `BrokerConfig`), and a topic's configs
 * from the catalog override it through `resolveTopicLogConfig`.
 */
import { TOPIC_CONFIG_BY_NAME } from '../topic-config-defs.js';
import { StorageError } from './errors.js';

export type FsyncPolicy = 'never' | 'interval' | 'always';

export interface LogConfig {
  /** Roll the active segment when it would grow past this (segment.bytes). */
  segmentBytes: number;
  /** Roll the active segment this long after its first append (segment.ms). */
  segmentMs: number;
  /** Delete segments whose newest record is older than this; -1 keeps them (retention.ms). */
  retentionMs: number;
  /** Delete the oldest segments while the partition is larger than this; -1 unlimited (retention.bytes). */
  retentionBytes: number;
  /** Bytes of batches between two sparse index entries (index.interval.bytes). */
  indexIntervalBytes: number;
  /** Roll when an index file reaches this size (segment.index.bytes). */
  maxIndexBytes: number;
  /** Largest batch accepted, in bytes (max.message.bytes). */
  maxMessageBytes: number;
  /** When writes are forced to disk: never (on roll and close), interval (every flushIntervalMs), always. */
  fsync: FsyncPolicy;
  flushIntervalMs: number;
  /** Stamp batches with the broker's clock (message.timestamp.type=LogAppendTime). */
  logAppendTime: boolean;
  /**
   * Codec batches are stored with (compression.type): 'producer' keeps what was sent (the zero-decode path);
   * 'uncompressed', 'gzip', 'snappy', 'lz4' or 'zstd' recompresses batches sent with another codec.
   */
  compressionType: string;
  /** Levels used when recompressing (compression.gzip.level, compression.zstd.level). */
  gzipLevel: number;
  zstdLevel: number;
  /**
   * How far a CreateTime timestamp may lie behind / ahead of the broker clock (message.timestamp.before.max.ms
   * and .after.max.ms, falling back to the deprecated message.timestamp.difference.max.ms as Kafka 3.9
   * does); Infinity when unlimited.
   */
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
  /** cleanup.policy contains "compact": the log cleaner keeps the latest record per key. */
  compact: boolean;
  /** How long a tombstone (null value) survives compaction, by its batch timestamp (delete.retention.ms). */
  deleteRetentionMs: number;
  /** Records newer than this are never compacted (min.compaction.lag.ms). */
  minCompactionLagMs: number;
  /** Compact only when dirty bytes / cleanable bytes exceed this (min.cleanable.dirty.ratio). */
  minCleanableDirtyRatio: number;
  /**
   * A dirty record older than this is compacted whatever the dirty ratio, and a compacted topic's active
   * segment rolls at this age (max.compaction.lag.ms, KIP-354); Infinity when unset (Kafka's Long.MAX).
   */
  maxCompactionLagMs: number;
}

const GiB = 1024 * 1024 * 1024;
const DAY = 24 * 60 * 60 * 1000;

export const defaultLogConfig: Readonly<LogConfig> = Object.freeze({
  segmentBytes: GiB,
  segmentMs: 7 * DAY,
  retentionMs: 7 * DAY,
  retentionBytes: -1,
  indexIntervalBytes: 4096,
  maxIndexBytes: 10 * 1024 * 1024,
  // Kafka's default: 1 MiB of records plus the batch overhead.
  maxMessageBytes: 1024 * 1024 + 12,
  fsync: 'never',
  flushIntervalMs: 1000,
  logAppendTime: false,
  compressionType: 'producer',
  gzipLevel: -1,
  zstdLevel: 3,
  timestampBeforeMaxMs: Infinity,
  timestampAfterMaxMs: Infinity,
  compact: false,
  deleteRetentionMs: DAY,
  minCompactionLagMs: 0,
  minCleanableDirtyRatio: 0.5,
  maxCompactionLagMs: Infinity,
});

/** Fills in defaults; unknown fields (e.g. a whole BrokerConfig) are ignored. */
export function resolveLogConfig(partial: Partial<LogConfig> = {}): LogConfig {
  const c: LogConfig = {
    segmentBytes: partial.segmentBytes ?? defaultLogConfig.segmentBytes,
    segmentMs: partial.segmentMs ?? defaultLogConfig.segmentMs,
    retentionMs: partial.retentionMs ?? defaultLogConfig.retentionMs,
    retentionBytes: partial.retentionBytes ?? defaultLogConfig.retentionBytes,
    indexIntervalBytes: partial.indexIntervalBytes ?? defaultLogConfig.indexIntervalBytes,
    maxIndexBytes: partial.maxIndexBytes ?? defaultLogConfig.maxIndexBytes,
    maxMessageBytes: partial.maxMessageBytes ?? defaultLogConfig.maxMessageBytes,
    fsync: partial.fsync ?? defaultLogConfig.fsync,
    flushIntervalMs: partial.flushIntervalMs ?? defaultLogConfig.flushIntervalMs,
    logAppendTime: partial.logAppendTime ?? defaultLogConfig.logAppendTime,
    compressionType: partial.compressionType ?? defaultLogConfig.compressionType,
    gzipLevel: partial.gzipLevel ?? defaultLogConfig.gzipLevel,
    zstdLevel: partial.zstdLevel ?? defaultLogConfig.zstdLevel,
    timestampBeforeMaxMs: partial.timestampBeforeMaxMs ?? defaultLogConfig.timestampBeforeMaxMs,
    timestampAfterMaxMs: partial.timestampAfterMaxMs ?? defaultLogConfig.timestampAfterMaxMs,
    compact: partial.compact ?? defaultLogConfig.compact,
    deleteRetentionMs: partial.deleteRetentionMs ?? defaultLogConfig.deleteRetentionMs,
    minCompactionLagMs: partial.minCompactionLagMs ?? defaultLogConfig.minCompactionLagMs,
    minCleanableDirtyRatio: partial.minCleanableDirtyRatio ?? defaultLogConfig.minCleanableDirtyRatio,
    maxCompactionLagMs: partial.maxCompactionLagMs ?? defaultLogConfig.maxCompactionLagMs,
  };
  if (c.segmentBytes < 14 || c.segmentBytes > 0x7fffffff) invalid('segmentBytes', c.segmentBytes, '14..2147483647');
  if (c.segmentMs < 1) invalid('segmentMs', c.segmentMs, '>= 1');
  if (c.retentionMs < -1) invalid('retentionMs', c.retentionMs, '-1 or >= 0');
  if (c.retentionBytes < -1) invalid('retentionBytes', c.retentionBytes, '-1 or >= 0');
  if (c.indexIntervalBytes < 0) invalid('indexIntervalBytes', c.indexIntervalBytes, '>= 0');
  if (c.maxIndexBytes < 12) invalid('maxIndexBytes', c.maxIndexBytes, '>= 12');
  if (c.maxMessageBytes < 0) invalid('maxMessageBytes', c.maxMessageBytes, '>= 0');
  if (!['never', 'interval', 'always'].includes(c.fsync)) invalid('fsync', c.fsync, 'never|interval|always');
  if (c.flushIntervalMs < 1) invalid('flushIntervalMs', c.flushIntervalMs, '>= 1');
  return c;
}

function invalid(field: string, value: unknown, allowed: string): never {
  throw new StorageError('INVALID_CONFIG', `log setting ${field}=${String(value)} is invalid; allowed: ${allowed}`);
}

/**
 * Kafka topic config names this log acts on, and how each maps onto `LogConfig`. Every other Kafka topic
 * config is validated, stored and described by topic-configs.ts and has no effect on the log.
 */
export const TOPIC_CONFIGS = {
  'segment.bytes': { field: 'segmentBytes', parse: parseInteger },
  'segment.ms': { field: 'segmentMs', parse: parseInteger },
  'retention.ms': { field: 'retentionMs', parse: parseInteger },
  'retention.bytes': { field: 'retentionBytes', parse: parseInteger },
  'index.interval.bytes': { field: 'indexIntervalBytes', parse: parseInteger },
  'segment.index.bytes': { field: 'maxIndexBytes', parse: parseInteger },
  'max.message.bytes': { field: 'maxMessageBytes', parse: parseInteger },
  'message.timestamp.type': { field: 'logAppendTime', parse: parseTimestampType },
  'compression.type': { field: 'compressionType', parse: (v: string) => v.trim() },
  'compression.gzip.level': { field: 'gzipLevel', parse: parseInteger },
  'compression.zstd.level': { field: 'zstdLevel', parse: parseInteger },
} as const satisfies Record<string, { field: keyof LogConfig; parse: (v: string, name?: string) => unknown }>;

export type TopicConfigName = keyof typeof TOPIC_CONFIGS;

export function isTopicConfigName(name: string): name is TopicConfigName {
  return Object.hasOwn(TOPIC_CONFIGS, name);
}

/** A Long config (Long.MAX means "no limit") as a number of ms; Infinity at or beyond 2^53. */
function parseLimitMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = BigInt(value.trim());
  return n >= BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(n);
}

/**
 * The broker-wide log config overridden by a topic's configs (Kafka topic configs it does not act on are skipped:
 * topic-configs.ts validated them). Throws INVALID_CONFIG (40) for a bad value.
 */
export function resolveTopicLogConfig(base: LogConfig, topicConfigs: Readonly<Record<string, string>>): LogConfig {
  const merged: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(topicConfigs)) {
    if (!isTopicConfigName(name)) {
      // Kafka's other topic configs are checked and described by topic-configs.ts; anything else is a mistake.
      if (TOPIC_CONFIG_BY_NAME.has(name)) continue;
      throw new StorageError('INVALID_CONFIG', `unknown topic config '${name}'`);
    }
    const spec = TOPIC_CONFIGS[name];
    merged[spec.field] = spec.parse(value, name);
  }
  try {
    // KIP-937: before/after take precedence unless left at Long.MAX, then the deprecated difference applies.
    const difference = parseLimitMs(topicConfigs['message.timestamp.difference.max.ms']);
    const before = parseLimitMs(topicConfigs['message.timestamp.before.max.ms']);
    const after = parseLimitMs(topicConfigs['message.timestamp.after.max.ms']);
    if (before !== undefined && before !== Infinity) merged['timestampBeforeMaxMs'] = before;
    else if (difference !== undefined) merged['timestampBeforeMaxMs'] = difference;
    if (after !== undefined && after !== Infinity) merged['timestampAfterMaxMs'] = after;
    else if (difference !== undefined) merged['timestampAfterMaxMs'] = difference;
  } catch {
    throw new StorageError('INVALID_CONFIG', 'a message.timestamp.*.max.ms topic config is not an integer');
  }
  // A topic without "delete" in cleanup.policy is never trimmed by retention (Kafka compacts it instead).
  const policy = topicConfigs['cleanup.policy'];
  if (policy !== undefined && !policy.split(',').some((p) => p.trim() === 'delete')) {
    merged['retentionMs'] = -1;
    merged['retentionBytes'] = -1;
  }
  // Compaction settings (topic-configs.ts validated their syntax; the cleaner reads them from here).
  if (policy !== undefined) merged['compact'] = policy.split(',').some((p) => p.trim() === 'compact');
  const deleteRetention = topicConfigs['delete.retention.ms'];
  if (deleteRetention !== undefined) merged['deleteRetentionMs'] = parseInteger(deleteRetention, 'delete.retention.ms');
  const lag = topicConfigs['min.compaction.lag.ms'];
  if (lag !== undefined) merged['minCompactionLagMs'] = parseInteger(lag, 'min.compaction.lag.ms');
  const maxLag = parseLimitMs(topicConfigs['max.compaction.lag.ms']);
  if (maxLag !== undefined) merged['maxCompactionLagMs'] = maxLag;
  const ratio = topicConfigs['min.cleanable.dirty.ratio'];
  if (ratio !== undefined) {
    const r = Number(ratio);
    if (!Number.isFinite(r) || r < 0 || r > 1) throw new StorageError('INVALID_CONFIG', `topic config min.cleanable.dirty.ratio='${ratio}' must be a number in [0, 1]`);
    merged['minCleanableDirtyRatio'] = r;
  }
  return resolveLogConfig(merged as Partial<LogConfig>);
}

/**
 * The age at which the active segment rolls: segment.ms, or max.compaction.lag.ms when smaller on a compacted
 * topic (Kafka's LogConfig.maxSegmentMs), so a quiet compacted topic's records reach the cleaner in time.
 */
export function maxSegmentMs(c: LogConfig): number {
  return c.compact && c.maxCompactionLagMs > 0 ? Math.min(c.segmentMs, c.maxCompactionLagMs) : c.segmentMs;
}

/** Kafka's names and string values of a resolved config, for DescribeConfigs. */
export function describeLogConfig(c: LogConfig): Record<TopicConfigName, string> {
  return {
    'segment.bytes': String(c.segmentBytes),
    'segment.ms': String(c.segmentMs),
    'retention.ms': String(c.retentionMs),
    'retention.bytes': String(c.retentionBytes),
    'index.interval.bytes': String(c.indexIntervalBytes),
    'segment.index.bytes': String(c.maxIndexBytes),
    'max.message.bytes': String(c.maxMessageBytes),
    'message.timestamp.type': c.logAppendTime ? 'LogAppendTime' : 'CreateTime',
    'compression.type': c.compressionType,
    'compression.gzip.level': String(c.gzipLevel),
    'compression.zstd.level': String(c.zstdLevel),
  };
}

/** An integer config; Long values beyond 2^53 (e.g. Long.MAX for "no limit") clamp to the largest safe integer. */
function parseInteger(value: string, name?: string): number {
  const t = value.trim();
  if (!/^[+-]?\d+$/.test(t)) throw new StorageError('INVALID_CONFIG', `topic config ${name ?? ''}='${value}' is not an integer`);
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : Math.sign(n) * Number.MAX_SAFE_INTEGER;
}

function parseTimestampType(value: string, name?: string): boolean {
  if (value === 'LogAppendTime') return true;
  if (value === 'CreateTime') return false;
  throw new StorageError('INVALID_CONFIG', `topic config ${name ?? ''}='${value}' must be CreateTime or LogAppendTime`);
}
