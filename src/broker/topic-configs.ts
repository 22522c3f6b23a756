/**
 * Topic-level configs as CreateTopics accepts them and DescribeConfigs reports them, with the broker setting
 * each falls back to. Names are Kafka's (TopicConfig.java). The log honours the ones in
 * `log/log-config.ts`; `cleanup.policy=delete` and `min.insync.replicas=1` are accepted because tools send
 * them, and are what this broker does anyway. Anything else is refused with INVALID_CONFIG, not ignored.
 */
import type { BrokerConfig } from './config.js';
import { describeLogConfig, isTopicConfigName, resolveLogConfig, resolveTopicLogConfig, type LogConfig } from './log/log-config.js';

/** DescribeConfigs ConfigType values (KIP-569). */
export const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 } as const;
/** DescribeConfigs ConfigSource values. */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

interface TopicConfigDoc {
  brokerName: string;
  type: number;
  doc: string;
}

const DOCS: Record<string, TopicConfigDoc> = {
  'retention.ms': { brokerName: 'log.retention.ms', type: ConfigType.LONG, doc: 'Delete segments older than this (-1: keep forever).' },
  'retention.bytes': { brokerName: 'log.retention.bytes', type: ConfigType.LONG, doc: 'Per-partition size above which the oldest segments are deleted (-1: unlimited).' },
  'segment.bytes': { brokerName: 'log.segment.bytes', type: ConfigType.INT, doc: 'Roll a new segment at this size.' },
  'segment.ms': { brokerName: 'log.roll.ms', type: ConfigType.LONG, doc: 'Roll a new segment after this long.' },
  'index.interval.bytes': { brokerName: 'log.index.interval.bytes', type: ConfigType.INT, doc: 'Bytes between two sparse index entries.' },
  'segment.index.bytes': { brokerName: 'log.index.size.max.bytes', type: ConfigType.INT, doc: 'Roll when an index file reaches this size.' },
  'max.message.bytes': { brokerName: 'message.max.bytes', type: ConfigType.INT, doc: 'Largest record batch accepted.' },
  'flush.ms': { brokerName: 'log.flush.interval.ms', type: ConfigType.LONG, doc: 'fsync period when the broker runs with --fsync interval.' },
  'message.timestamp.type': { brokerName: 'log.message.timestamp.type', type: ConfigType.STRING, doc: 'CreateTime keeps producer timestamps; LogAppendTime stamps batches with broker time.' },
};

/** Accepted for compatibility, with the only value this broker can honour; not stored. */
const FIXED: Record<string, { value: string; type: number; doc: string }> = {
  'cleanup.policy': { value: 'delete', type: ConfigType.LIST, doc: 'Only "delete" (retention) is supported; compaction is not.' },
  'min.insync.replicas': { value: '1', type: ConfigType.INT, doc: 'A single-node broker: always 1.' },
};

/** The broker-wide log settings, before any topic overrides. */
export function brokerLogConfig(c: BrokerConfig): LogConfig {
  return resolveLogConfig(c);
}

/** Why the requested configs are refused, or null. Null values mean "use the default". */
export function topicConfigProblem(configs: ReadonlyArray<{ name: string; value: string | null }>, base?: LogConfig): string | null {
  const seen = new Set<string>();
  const stored: Record<string, string> = {};
  for (const { name, value } of configs) {
    if (seen.has(name)) return `topic config "${name}" given twice`;
    seen.add(name);
    const fixed = FIXED[name];
    if (fixed) {
      if (value !== null && value !== fixed.value) return `topic config ${name}=${value} is not supported; only ${fixed.value}`;
      continue;
    }
    if (!isTopicConfigName(name)) {
      return `unknown or unsupported topic config "${name}" (supported: ${[...Object.keys(DOCS), ...Object.keys(FIXED)].join(', ')})`;
    }
    if (value !== null) stored[name] = value;
  }
  try {
    resolveTopicLogConfig(base ?? resolveLogConfig(), stored);
  } catch (err) {
    return (err as Error).message;
  }
  return null;
}

/** The subset of requested configs the log stores (drops null values and the fixed ones). */
export function storedTopicConfigs(configs: ReadonlyArray<{ name: string; value: string | null }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { name, value } of configs) if (value !== null && isTopicConfigName(name)) out[name] = value;
  return out;
}

export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  type: number;
  doc: string;
  /** The broker-level setting it inherits from, with that setting's source. */
  synonyms: Array<{ name: string; value: string | null; source: number }>;
}

/** Every topic config with its effective value and where it comes from (topic, broker flag or default). */
export function describeTopicConfigs(broker: BrokerConfig, topicConfigs: Readonly<Record<string, string>>): DescribedConfig[] {
  const base = brokerLogConfig(broker);
  const defaults = describeLogConfig(resolveLogConfig());
  const brokerValues = describeLogConfig(base);
  const effective = describeLogConfig(resolveTopicLogConfig(base, topicConfigs));
  const out: DescribedConfig[] = [];
  for (const [name, value] of Object.entries(effective)) {
    const d = DOCS[name] ?? { brokerName: name, type: ConfigType.STRING, doc: '' };
    const brokerValue = brokerValues[name as keyof typeof brokerValues];
    const brokerSource: number = brokerValue === defaults[name as keyof typeof defaults] ? ConfigSource.DEFAULT_CONFIG : ConfigSource.STATIC_BROKER_CONFIG;
    const own = Object.hasOwn(topicConfigs, name);
    const synonyms: DescribedConfig['synonyms'] = [{ name: d.brokerName, value: brokerValue, source: brokerSource }];
    if (own) synonyms.unshift({ name, value, source: ConfigSource.TOPIC_CONFIG });
    out.push({
      name,
      value,
      readOnly: false,
      isDefault: !own && brokerSource === ConfigSource.DEFAULT_CONFIG,
      configSource: own ? ConfigSource.TOPIC_CONFIG : brokerSource,
      type: d.type,
      doc: d.doc,
      synonyms,
    });
  }
  for (const [name, f] of Object.entries(FIXED)) {
    out.push({ name, value: f.value, readOnly: true, isDefault: true, configSource: ConfigSource.DEFAULT_CONFIG, type: f.type, doc: f.doc, synonyms: [] });
  }
  return out;
}

/** Broker settings described for a broker resource, with their Kafka names. */
interface BrokerConfigEntry {
  name: string;
  value: (c: BrokerConfig) => string | null;
  type: number;
  doc: string;
}

const BROKER_CONFIGS: readonly BrokerConfigEntry[] = [
  { name: 'broker.id', value: () => '0', type: ConfigType.INT, doc: 'Always 0: a single-node broker.' },
  { name: 'listeners', value: (c) => c.listeners ?? `PLAINTEXT://${c.host}:${c.port}`, type: ConfigType.STRING, doc: 'Where the broker listens (--listeners, or --host and --port).' },
  { name: 'advertised.listeners', value: (c) => c.advertisedListeners ?? (c.advertisedHost || c.advertisedPort ? `PLAINTEXT://${c.advertisedHost ?? c.host}:${c.advertisedPort ?? c.port}` : null), type: ConfigType.STRING, doc: 'Addresses given to clients (--advertised-listeners, --advertised-host, --advertised-port).' },
  { name: 'sasl.enabled.mechanisms', value: (c) => c.saslMechanisms, type: ConfigType.LIST, doc: 'SASL mechanisms of SASL listeners.' },
  { name: 'ssl.client.auth', value: (c) => c.sslClientAuth, type: ConfigType.STRING, doc: 'Client certificates on TLS listeners.' },
  { name: 'connection.failed.authentication.delay.ms', value: (c) => String(c.connectionFailedAuthenticationDelayMs), type: ConfigType.INT, doc: 'Delay before a failed authentication is answered.' },
  { name: 'log.dirs', value: (c) => c.dataDir, type: ConfigType.STRING, doc: 'The data directory (--data-dir).' },
  { name: 'auto.create.topics.enable', value: (c) => String(c.autoCreateTopics), type: ConfigType.BOOLEAN, doc: 'Create unknown topics on Metadata requests.' },
  { name: 'num.partitions', value: (c) => String(c.numPartitions), type: ConfigType.INT, doc: 'Partitions of auto-created topics.' },
  { name: 'default.replication.factor', value: () => '1', type: ConfigType.INT, doc: 'Always 1: a single-node broker.' },
  { name: 'log.segment.bytes', value: (c) => String(c.segmentBytes), type: ConfigType.INT, doc: 'Segment size.' },
  { name: 'log.roll.ms', value: (c) => String(c.segmentMs), type: ConfigType.LONG, doc: 'Segment age at which it rolls.' },
  { name: 'log.retention.ms', value: (c) => String(c.retentionMs), type: ConfigType.LONG, doc: 'Retention by age.' },
  { name: 'log.retention.bytes', value: (c) => String(c.retentionBytes), type: ConfigType.LONG, doc: 'Retention by size per partition.' },
  { name: 'log.retention.check.interval.ms', value: (c) => String(c.retentionCheckIntervalMs), type: ConfigType.LONG, doc: 'How often retention runs.' },
  { name: 'log.flush.interval.ms', value: (c) => (c.fsync === 'interval' ? String(c.flushIntervalMs) : c.fsync === 'always' ? '0' : null), type: ConfigType.LONG, doc: 'fsync period (--fsync interval); null when the OS decides.' },
  { name: 'message.max.bytes', value: (c) => String(c.maxMessageBytes), type: ConfigType.INT, doc: 'Largest record batch.' },
  { name: 'socket.request.max.bytes', value: (c) => String(c.maxRequestSize), type: ConfigType.INT, doc: 'Largest request frame.' },
  { name: 'max.connections', value: (c) => String(c.maxConnections), type: ConfigType.INT, doc: 'Connection limit.' },
  { name: 'connections.max.idle.ms', value: (c) => String(c.connectionsMaxIdleMs), type: ConfigType.LONG, doc: 'Idle connections close after this.' },
  { name: 'log.message.timestamp.type', value: (c) => (c.logAppendTime ? 'LogAppendTime' : 'CreateTime'), type: ConfigType.STRING, doc: 'Timestamp type of appended batches.' },
];

/** Broker-level settings, read-only (they come from the command line), with default vs. given source. */
export function describeBrokerConfigs(broker: BrokerConfig, defaults: BrokerConfig): DescribedConfig[] {
  return BROKER_CONFIGS.map((e) => {
    const value = e.value(broker);
    const isDefault = value === e.value(defaults);
    const source = isDefault ? ConfigSource.DEFAULT_CONFIG : ConfigSource.STATIC_BROKER_CONFIG;
    return { name: e.name, value, readOnly: true, isDefault, configSource: source, type: e.type, doc: e.doc, synonyms: [{ name: e.name, value, source }] };
  });
}
