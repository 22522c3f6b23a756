/**
 * Topic-level configs as CreateTopics and AlterConfigs accept them and DescribeConfigs reports them: every
 * Kafka 3.9 topic config (topic-config-defs.ts) with Kafka's type and range checks, stored in canonical form,
 * and described as Kafka's broker describes them (value, source, synonyms with the broker settings each
 * falls back to). The log acts on the ones `log/log-config.ts` maps; the others are stored and described.
 */
import { DEFAULT_CONFIG, type BrokerConfig } from './config.js';
import { ConfigType, ConfigValueError, parseConfigValue, TYPE_CODE } from './config-values.js';
import { resolveLogConfig, resolveTopicLogConfig, type LogConfig } from './log/log-config.js';
import { TOPIC_CONFIG_BY_NAME, TOPIC_CONFIG_DEFS, type TopicConfigDef } from './topic-config-defs.js';

export { ConfigType };
/** DescribeConfigs ConfigSource values. */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

/** The broker-wide log settings, before any topic overrides. */
export function brokerLogConfig(c: BrokerConfig): LogConfig {
  return resolveLogConfig(c);
}

/** One config's value in canonical form, or why it is refused (unknown name, bad type, out of range). */
export function canonicalTopicConfig(name: string, value: string): { value: string } | { problem: string } {
  const d = TOPIC_CONFIG_BY_NAME.get(name);
  if (!d) return { problem: `Unknown topic config name: ${name}` };
  try {
    const parsed = parseConfigValue(name, d.type, value);
    const why = d.check?.(parsed);
    if (why) return { problem: `Invalid value ${value} for configuration ${name}: ${why}` };
    return { value: parsed.text };
  } catch (e) {
    if (e instanceof ConfigValueError) return { problem: e.message };
    throw e;
  }
}

/**
 * Checks a whole set of topic configs (each name once, each value valid, and the combination valid for the
 * log) and returns them canonical, or why they are refused. Null values mean "use the default".
 */
export function validateTopicConfigs(configs: ReadonlyArray<{ name: string; value: string | null }>, base?: LogConfig): { configs: Record<string, string> } | { problem: string } {
  const seen = new Set<string>();
  const stored: Record<string, string> = {};
  for (const { name, value } of configs) {
    if (seen.has(name)) return { problem: `topic config "${name}" given twice` };
    seen.add(name);
    if (value === null) {
      if (!TOPIC_CONFIG_BY_NAME.has(name)) return { problem: `Unknown topic config name: ${name}` };
      continue;
    }
    const c = canonicalTopicConfig(name, value);
    if ('problem' in c) return c;
    stored[name] = c.value;
  }
  const problem = logConfigProblem(stored, base);
  return problem ? { problem } : { configs: stored };
}

/** Why the log refuses this combination of topic configs (e.g. a segment smaller than its index needs), or null. */
export function logConfigProblem(stored: Readonly<Record<string, string>>, base?: LogConfig): string | null {
  try {
    resolveTopicLogConfig(base ?? resolveLogConfig(), stored);
  } catch (err) {
    return (err as Error).message;
  }
  return null;
}

/** Why the requested configs are refused, or null. Null values mean "use the default". */
export function topicConfigProblem(configs: ReadonlyArray<{ name: string; value: string | null }>, base?: LogConfig): string | null {
  const r = validateTopicConfigs(configs, base);
  return 'problem' in r ? r.problem : null;
}

/** The requested configs as stored: canonical values, null values dropped. Call after topicConfigProblem. */
export function storedTopicConfigs(configs: ReadonlyArray<{ name: string; value: string | null }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { name, value } of configs) {
    if (value === null) continue;
    const c = canonicalTopicConfig(name, value);
    if ('value' in c) out[name] = c.value;
  }
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

/**
 * The broker-level settings topic configs fall back to, by source: dynamic ones set through AlterConfigs
 * (per broker, and cluster-wide defaults) and static ones from the command line.
 */
export interface BrokerConfigLayers {
  dynamicBroker: Readonly<Record<string, string>>;
  dynamicDefault: Readonly<Record<string, string>>;
  staticBroker: Readonly<Record<string, string>>;
}

/** The Kafka broker settings our command-line flags set, where they differ from the defaults. */
export function staticBrokerSettings(c: BrokerConfig, defaults: BrokerConfig): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (name: string, value: unknown, dflt: unknown): void => {
    if (value !== dflt) out[name] = String(value);
  };
  put('log.segment.bytes', c.segmentBytes, defaults.segmentBytes);
  put('log.roll.ms', c.segmentMs, defaults.segmentMs);
  put('log.retention.ms', c.retentionMs, defaults.retentionMs);
  put('log.retention.bytes', c.retentionBytes, defaults.retentionBytes);
  put('message.max.bytes', c.maxMessageBytes, defaults.maxMessageBytes);
  if (c.fsync === 'interval') out['log.flush.interval.ms'] = String(c.flushIntervalMs);
  if (c.fsync === 'always') out['log.flush.interval.messages'] = '1';
  if (c.logAppendTime) out['log.message.timestamp.type'] = 'LogAppendTime';
  return out;
}

/** A broker synonym's value in the topic config's unit (log.retention.hours=168 -> 604800000). */
function inTopicUnit(synonym: string, value: string): string {
  if (synonym.endsWith('.hours')) return (BigInt(value) * 3_600_000n).toString();
  if (synonym.endsWith('.minutes')) return (BigInt(value) * 60_000n).toString();
  return value;
}

function synonymsOf(d: TopicConfigDef, layers: BrokerConfigLayers): DescribedConfig['synonyms'] {
  const out: DescribedConfig['synonyms'] = [];
  const add = (values: Readonly<Record<string, string>>, source: number): void => {
    for (const s of d.synonyms) if (Object.hasOwn(values, s)) out.push({ name: s, value: values[s]!, source });
  };
  add(layers.dynamicBroker, ConfigSource.DYNAMIC_BROKER_CONFIG);
  add(layers.dynamicDefault, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
  add(layers.staticBroker, ConfigSource.STATIC_BROKER_CONFIG);
  add(d.synonymDefaults, ConfigSource.DEFAULT_CONFIG);
  return out;
}

const NO_LAYERS: BrokerConfigLayers = { dynamicBroker: {}, dynamicDefault: {}, staticBroker: {} };

/** One topic config as Kafka describes it: own value or the first broker synonym's, its source and synonyms. */
export function describeTopicConfig(d: TopicConfigDef, topicConfigs: Readonly<Record<string, string>>, layers: BrokerConfigLayers): DescribedConfig {
  const inherited = synonymsOf(d, layers);
  const own = Object.hasOwn(topicConfigs, d.name) ? topicConfigs[d.name]! : undefined;
  const synonyms = own === undefined ? inherited : [{ name: d.name, value: own, source: ConfigSource.TOPIC_CONFIG }, ...inherited];
  const first = inherited[0];
  const value = own ?? (first ? inTopicUnit(first.name, first.value!) : d.default);
  const configSource = synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG;
  return {
    name: d.name,
    value,
    readOnly: false,
    isDefault: configSource === ConfigSource.DEFAULT_CONFIG,
    configSource,
    type: TYPE_CODE[d.type],
    doc: d.doc,
    synonyms,
  };
}

/** Every topic config, in Kafka's order, with its effective value and where it comes from. */
export function describeTopicConfigs(broker: BrokerConfig, topicConfigs: Readonly<Record<string, string>>, layers?: BrokerConfigLayers): DescribedConfig[] {
  const l = layers ?? { ...NO_LAYERS, staticBroker: staticBrokerSettings(broker, DEFAULT_CONFIG) };
  return TOPIC_CONFIG_DEFS.map((d) => describeTopicConfig(d, topicConfigs, l));
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

/**
 * Broker-level settings: the command-line ones read-only, then the dynamic log settings (each topic config's
 * first broker synonym) with their value and source, changeable through AlterConfigs.
 */
export function describeBrokerConfigs(broker: BrokerConfig, defaults: BrokerConfig, layers?: BrokerConfigLayers): DescribedConfig[] {
  const fixed = BROKER_CONFIGS.filter((e) => !DYNAMIC_NAMES.has(e.name)).map((e) => {
    const value = e.value(broker);
    const isDefault = value === e.value(defaults);
    const source = isDefault ? ConfigSource.DEFAULT_CONFIG : ConfigSource.STATIC_BROKER_CONFIG;
    return { name: e.name, value, readOnly: true, isDefault, configSource: source, type: e.type, doc: e.doc, synonyms: [{ name: e.name, value, source }] };
  });
  const l = layers ?? { ...NO_LAYERS, staticBroker: staticBrokerSettings(broker, defaults) };
  const dynamic: DescribedConfig[] = [];
  for (const d of TOPIC_CONFIG_DEFS) {
    const name = d.synonyms[0];
    if (name === undefined) continue;
    const synonyms = synonymsOf(d, l);
    const first = synonyms[0];
    const configSource = first?.source ?? ConfigSource.DEFAULT_CONFIG;
    dynamic.push({
      name,
      // As Kafka: the setting's own value; null when only a synonym (log.retention.hours) has one.
      value: synonyms.find((x) => x.name === name)?.value ?? null,
      readOnly: false,
      isDefault: configSource === ConfigSource.DEFAULT_CONFIG,
      configSource,
      type: name.endsWith('.hours') || name.endsWith('.minutes') ? ConfigType.INT : TYPE_CODE[d.type],
      doc: `Broker-wide default of the topic config ${d.name}: ${d.doc}`,
      synonyms,
    });
  }
  return [...fixed, ...dynamic];
}

const DYNAMIC_NAMES = new Set(TOPIC_CONFIG_DEFS.flatMap((d) => d.synonyms));
