/**
 * Settings of one partition log, with Kafka's defaults, and the per-topic overrides (Kafka topic config
 * names such as `retention.ms`) that CreateTopics / DescribeConfigs speak.
 *
 * The broker maps its options onto a `LogConfig` (field names match `BrokerConfig`), and a topic's configs
 * from the catalog override it through `resolveTopicLogConfig`.
 */
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

/** Kafka topic config names this log honours, and how each maps onto `LogConfig`. */
export const TOPIC_CONFIGS = {
  'segment.bytes': { field: 'segmentBytes', parse: parseInteger },
  'segment.ms': { field: 'segmentMs', parse: parseInteger },
  'retention.ms': { field: 'retentionMs', parse: parseInteger },
  'retention.bytes': { field: 'retentionBytes', parse: parseInteger },
  'index.interval.bytes': { field: 'indexIntervalBytes', parse: parseInteger },
  'segment.index.bytes': { field: 'maxIndexBytes', parse: parseInteger },
  'max.message.bytes': { field: 'maxMessageBytes', parse: parseInteger },
  'flush.ms': { field: 'flushIntervalMs', parse: parseInteger },
  'message.timestamp.type': { field: 'logAppendTime', parse: parseTimestampType },
} as const satisfies Record<string, { field: keyof LogConfig; parse: (v: string) => unknown }>;

export type TopicConfigName = keyof typeof TOPIC_CONFIGS;

export function isTopicConfigName(name: string): name is TopicConfigName {
  return Object.hasOwn(TOPIC_CONFIGS, name);
}

/**
 * The broker-wide log config overridden by a topic's configs. Throws INVALID_CONFIG (40) for an unknown
 * name or a bad value, so CreateTopics can report it per topic.
 */
export function resolveTopicLogConfig(base: LogConfig, topicConfigs: Readonly<Record<string, string>>): LogConfig {
  const merged: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(topicConfigs)) {
    if (!isTopicConfigName(name)) {
      throw new StorageError('INVALID_CONFIG', `unknown topic config '${name}'; supported: ${Object.keys(TOPIC_CONFIGS).join(', ')}`);
    }
    const spec = TOPIC_CONFIGS[name];
    merged[spec.field] = spec.parse(value, name);
  }
  return resolveLogConfig(merged as Partial<LogConfig>);
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
    'flush.ms': String(c.flushIntervalMs),
    'message.timestamp.type': c.logAppendTime ? 'LogAppendTime' : 'CreateTime',
  };
}

function parseInteger(value: string, name?: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n)) {
    throw new StorageError('INVALID_CONFIG', `topic config ${name ?? ''}='${value}' is not an integer`);
  }
  return n;
}

function parseTimestampType(value: string, name?: string): boolean {
  if (value === 'LogAppendTime') return true;
  if (value === 'CreateTime') return false;
  throw new StorageError('INVALID_CONFIG', `topic config ${name ?? ''}='${value}' must be CreateTime or LogAppendTime`);
}
