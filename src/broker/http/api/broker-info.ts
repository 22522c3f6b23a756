/**
 * `/api/broker`: what this broker is and how it is set up: its listeners, every setting in effect (with its
 * default, so changes stand out), uptime, memory, and counts of topics, partitions and groups.
 */
import { CONFIG_OPTIONS } from '../../config.js';
import type { BrokerContext } from '../../context.js';

export interface SettingView {
  flag: string;
  value: unknown;
  default: unknown;
  changed: boolean;
  help: string;
}

export interface BrokerInfo {
  clusterId: string;
  nodeId: number;
  version: string;
  node: string;
  pid: number;
  startedAt: number;
  uptimeSeconds: number;
  listeners: { name: string; protocol: string; bind: string; advertised: string }[];
  http: { host: string; port: number | null };
  dataDir: string;
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
  topics: number;
  partitions: number;
  groups: number;
  settings: SettingView[];
}

/** Settings whose values are never shown, only whether they are set. */
const SECRET = /password|secret|token|key$/i;

export function brokerInfo(broker: BrokerContext, version: string, startedAt: number, httpPort: number | null): BrokerInfo {
  const config = broker.config as unknown as Record<string, unknown>;
  const memory = process.memoryUsage();
  const settings = CONFIG_OPTIONS.map((o): SettingView => {
    const value = config[o.key];
    const hidden = SECRET.test(o.flag) && value !== null && value !== '';
    return { flag: o.flag, value: hidden ? '(set)' : value, default: o.default, changed: value !== o.default, help: o.help };
  });
  return {
    clusterId: broker.clusterId,
    nodeId: broker.nodeId,
    version,
    node: process.version,
    pid: process.pid,
    startedAt,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    listeners: listenersOf(broker),
    http: { host: broker.config.httpHost, port: httpPort ?? broker.config.httpPort },
    dataDir: broker.config.dataDir,
    memory: { rss: memory.rss, heapUsed: memory.heapUsed, heapTotal: memory.heapTotal, external: memory.external, arrayBuffers: memory.arrayBuffers },
    topics: broker.logs.topics().length,
    partitions: broker.logs.partitionCount,
    groups: broker.services.groups?.groupCount ?? 0,
    settings,
  };
}

/** The bound Kafka listeners (a broker started outside startBroker has only its advertised address). */
function listenersOf(broker: BrokerContext): BrokerInfo['listeners'] {
  const bound = broker.listeners ?? [{ protocol: 'PLAINTEXT', host: broker.config.host, port: broker.advertisedPort, advertisedHost: broker.advertisedHost, advertisedPort: broker.advertisedPort }];
  return bound.map((l) => ({ name: l.protocol, protocol: l.protocol, bind: `${l.host}:${l.port}`, advertised: `${l.advertisedHost}:${l.advertisedPort}` }));
}
