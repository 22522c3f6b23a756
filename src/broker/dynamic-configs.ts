/**
 * The broker's dynamic configs (AlterConfigs / IncrementalAlterConfigs on a broker resource): the broker-level
 * synonyms of topic configs (log.retention.ms, log.segment.bytes, message.max.bytes, compression.type, ...),
 * which Kafka lets an admin change at run time, per broker (resource name "0") or as the cluster-wide default
 * (resource name ""). They persist in `<data-dir>/broker-configs.json` (written atomically) and take effect at
 * once: every topic without its own value follows them, as in Kafka.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BrokerContext, ServiceStarter } from './context.js';
import { writeFileAtomic } from './log/atomic-file.js';
import { resolveTopicLogConfig, type LogConfig } from './log/log-config.js';
import { DEFAULT_CONFIG } from './config.js';
import { brokerLogConfig, canonicalTopicConfig, staticBrokerSettings, type BrokerConfigLayers } from './topic-configs.js';
import { TOPIC_CONFIG_DEFS, type TopicConfigDef } from './topic-config-defs.js';

declare module './context.js' {
  interface BrokerServices {
    brokerConfigs: DynamicBrokerConfigs;
  }
}

export const BROKER_CONFIGS_FILE = 'broker-configs.json';

/** Broker config name -> the topic config it stands for. */
const TOPIC_DEF_OF_SYNONYM = new Map<string, TopicConfigDef>();
for (const d of TOPIC_CONFIG_DEFS) for (const s of d.synonyms) TOPIC_DEF_OF_SYNONYM.set(s, d);

export function isDynamicBrokerConfig(name: string): boolean {
  return TOPIC_DEF_OF_SYNONYM.has(name);
}

/** A value of a broker synonym in the topic config's unit (hours and minutes become ms). */
function toTopicUnit(name: string, value: string): string {
  if (name.endsWith('.hours')) return (BigInt(value) * 3_600_000n).toString();
  if (name.endsWith('.minutes')) return (BigInt(value) * 60_000n).toString();
  return value;
}

/** The canonical value of a dynamic broker config, or why it is refused. */
export function canonicalBrokerConfig(name: string, value: string): { value: string } | { problem: string } {
  const d = TOPIC_DEF_OF_SYNONYM.get(name);
  if (!d) return { problem: `${name} is not a dynamic broker config here; only the broker-level log settings (e.g. log.retention.ms, log.segment.bytes, message.max.bytes, compression.type) can be changed at run time` };
  if (name.endsWith('.hours') || name.endsWith('.minutes')) {
    const t = value.trim();
    if (!/^[+-]?\d{1,10}$/.test(t) || BigInt(t) > 2147483647n || BigInt(t) < -2147483648n) return { problem: `Invalid value ${value} for configuration ${name}: not a number of type int` };
    const checked = canonicalTopicConfig(d.name, toTopicUnit(name, t));
    return 'problem' in checked ? checked : { value: BigInt(t).toString() };
  }
  const c = canonicalTopicConfig(d.name, value);
  return 'problem' in c ? { problem: c.problem.replace(d.name, name) } : c;
}

export type BrokerScope = 'broker' | 'default';

interface Stored {
  broker: Record<string, string>;
  default: Record<string, string>;
}

export class DynamicBrokerConfigs {
  private stored: Stored;

  constructor(
    private readonly broker: BrokerContext,
    private readonly file: string,
    stored: Stored,
  ) {
    this.stored = stored;
  }

  static async load(broker: BrokerContext): Promise<DynamicBrokerConfigs> {
    const file = path.join(broker.config.dataDir, BROKER_CONFIGS_FILE);
    let stored: Stored = { broker: {}, default: {} };
    try {
      const parsed = JSON.parse(await fs.promises.readFile(file, 'utf8')) as Partial<Stored>;
      stored = { broker: cleanMap(parsed.broker), default: cleanMap(parsed.default) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') broker.logger.warn({ file, err: (e as Error).message }, 'dynamic broker configs unreadable; starting without them');
    }
    const d = new DynamicBrokerConfigs(broker, file, stored);
    d.apply();
    return d;
  }

  get(scope: BrokerScope): Readonly<Record<string, string>> {
    return this.stored[scope];
  }

  layers(): BrokerConfigLayers {
    return { dynamicBroker: this.stored.broker, dynamicDefault: this.stored.default, staticBroker: staticBrokerSettings(this.broker.config, DEFAULT_CONFIG) };
  }

  /** The log settings these configs would give, or why the log refuses them. */
  baseFor(next: Stored): LogConfig {
    return resolveTopicLogConfig(brokerLogConfig(this.broker.config), topicNamed(next));
  }

  /** Replaces one scope's configs: checked, written to disk, then applied to every log. */
  async replace(scope: BrokerScope, configs: Record<string, string>): Promise<void> {
    const next: Stored = { ...this.stored, [scope]: { ...configs } };
    const base = this.baseFor(next); // throws INVALID_CONFIG before anything is written
    await writeFileAtomic(this.file, JSON.stringify(next));
    this.stored = next;
    this.broker.logs.setBaseConfig(base);
  }

  private apply(): void {
    try {
      this.broker.logs.setBaseConfig(this.baseFor(this.stored));
    } catch (e) {
      this.broker.logger.warn({ err: (e as Error).message }, 'dynamic broker configs refused by the log; using the command-line settings');
    }
  }
}

function cleanMap(m: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (m && typeof m === 'object') for (const [k, v] of Object.entries(m)) if (typeof v === 'string' && isDynamicBrokerConfig(k)) out[k] = v;
  return out;
}

/** Dynamic broker configs as topic configs: per-broker over cluster default, first synonym first. */
function topicNamed(s: Stored): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of TOPIC_CONFIG_DEFS) {
    pick: for (const scope of [s.broker, s.default]) {
      for (const syn of d.synonyms) {
        if (Object.hasOwn(scope, syn)) {
          out[d.name] = toTopicUnit(syn, scope[syn]!);
          break pick;
        }
      }
    }
  }
  return out;
}

export const startDynamicBrokerConfigs: ServiceStarter = async (broker) => {
  broker.services.brokerConfigs = await DynamicBrokerConfigs.load(broker);
};
