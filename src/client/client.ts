/**
 * A minimal Kafka client over our own protocol codecs: bootstrap, metadata, leader connections, and the few
 * admin calls capture needs (create, delete, offsets). Produce and Fetch are driven by the transports with
 * `leaderFor()` connections. Works with any Kafka-compatible cluster: it negotiates versions per broker and
 * sticks to standard, name-addressed API versions.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { CreateTopics } from '../protocol/messages/create-topics.js';
import { DeleteTopics } from '../protocol/messages/delete-topics.js';
import { FindCoordinator } from '../protocol/messages/find-coordinator.js';
import { ListOffsets } from '../protocol/messages/list-offsets.js';
import { Metadata, type MetadataResponse } from '../protocol/messages/metadata.js';
import { BrokerConnection, type ConnectionOptions } from './connection.js';
import { BrokerConnectionError } from './errors.js';

export interface ClientOptions extends ConnectionOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: readonly string[];
}

export interface TopicInfo {
  name: string;
  partitions: number;
}

export function parseBroker(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const host = i > 0 ? address.slice(0, i).replace(/^\[|\]$/g, '') : address;
  const port = i > 0 ? Number(address.slice(i + 1)) : 9092;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`invalid broker address "${address}"; use host:port`);
  return { host, port };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class KafkaClient {
  private readonly byAddress = new Map<string, Promise<BrokerConnection>>();
  private readonly nodes = new Map<number, string>();
  private closed = false;

  constructor(readonly options: ClientOptions) {
    if (options.brokers.length === 0) throw new Error('no brokers given; pass --brokers host:port');
  }

  /** A connection to `address`, shared and re-established after failures. */
  connection(address: string): Promise<BrokerConnection> {
    if (this.closed) return Promise.reject(new BrokerConnectionError(address, 'the client is closed'));
    let connecting = this.byAddress.get(address);
    if (connecting) return connecting;
    const { host, port } = parseBroker(address);
    connecting = BrokerConnection.connect(host, port, this.options);
    this.byAddress.set(address, connecting);
    connecting.then(
      (c) => c.onClose(() => this.byAddress.get(address) === connecting && this.byAddress.delete(address)),
      () => this.byAddress.get(address) === connecting && this.byAddress.delete(address),
    );
    return connecting;
  }

  /** A connection to any bootstrap broker that answers. */
  async any(): Promise<BrokerConnection> {
    let last: unknown;
    for (const address of this.options.brokers) {
      try {
        return await this.connection(address);
      } catch (error) {
        last = error;
      }
    }
    throw last;
  }

  async metadata(topics: readonly string[] | null): Promise<MetadataResponse> {
    const connection = await this.any();
    const response = await connection.request(Metadata, {
      topics: topics === null ? null : topics.map((name) => ({ name, topicId: '00000000-0000-0000-0000-000000000000' })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    for (const b of response.brokers) this.nodes.set(b.nodeId, `${b.host}:${b.port}`);
    return response;
  }

  /** Partition count of a topic, or undefined if it does not exist. */
  async topic(name: string): Promise<TopicInfo | undefined> {
    const response = await this.metadata([name]);
    const t = response.topics.find((x) => x.name === name);
    if (!t || t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return undefined;
    if (t.errorCode !== ErrorCode.NONE) throw new KafkaError(t.errorCode, `metadata for topic "${name}"`);
    return { name, partitions: t.partitions.length };
  }

  /** The connection to the leader of `topic` partition `partition`; undefined while the topic does not exist. */
  async leaderFor(topic: string, partition = 0): Promise<BrokerConnection | undefined> {
    const response = await this.metadata([topic]);
    const t = response.topics.find((x) => x.name === topic);
    if (!t || t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return undefined;
    if (t.errorCode !== ErrorCode.NONE && t.errorCode !== ErrorCode.LEADER_NOT_AVAILABLE) throw new KafkaError(t.errorCode, `metadata for topic "${topic}"`);
    const p = t.partitions.find((x) => x.partitionIndex === partition);
    if (!p || p.leaderId < 0) return undefined;
    const address = this.nodes.get(p.leaderId);
    if (!address) throw new Error(`metadata names leader ${p.leaderId} for "${topic}" but lists no such broker`);
    return this.connection(address);
  }

  /**
   * The connection to the coordinator of a group (`keyType` 0) or transactional id (1), found with
   * FindCoordinator; retried while the coordinator is loading or not yet available.
   */
  async coordinator(key: string, keyType: 0 | 1): Promise<BrokerConnection> {
    for (let attempt = 0; ; attempt++) {
      const connection = await this.any();
      const r = await connection.request(FindCoordinator, { key, keyType, coordinatorKeys: [key] });
      if (r.errorCode === ErrorCode.NONE) return this.connection(`${r.host}:${r.port}`);
      const retriable = r.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE || r.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
      if (!retriable || attempt >= 100) throw new KafkaError(r.errorCode, `finding the ${keyType === 1 ? 'transaction' : 'group'} coordinator of "${key}": ${r.errorMessage ?? ''}`);
      await sleep(Math.min(20 * (attempt + 1), 500));
    }
  }

  async createTopic(name: string, partitions = 1): Promise<void> {
    const connection = await this.any();
    for (let attempt = 0; ; attempt++) {
      const version = connection.version(CreateTopics as never);
      const response = await connection.send(CreateTopics, version, {
        topics: [{ name, numPartitions: partitions, replicationFactor: version >= 4 ? -1 : 1, assignments: [], configs: [] }],
        timeoutMs: 30_000,
        validateOnly: false,
      });
      const result = response.topics[0];
      const code = result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      if (code === ErrorCode.NONE) break;
      // A topic being deleted still exists for a moment on real clusters: wait and retry.
      if (code === ErrorCode.TOPIC_ALREADY_EXISTS && attempt < 50) {
        await sleep(100);
        continue;
      }
      throw new KafkaError(code, `creating topic "${name}": ${result?.errorMessage ?? ''}`);
    }
    // Wait until metadata shows a leader, so the first produce does not race the creation.
    for (let attempt = 0; attempt < 100; attempt++) {
      if (await this.leaderFor(name)) return;
      await sleep(50);
    }
  }

  async deleteTopic(name: string): Promise<void> {
    const connection = await this.any();
    const response = await connection.request(DeleteTopics, {
      topics: [{ name, topicId: '00000000-0000-0000-0000-000000000000' }],
      topicNames: [name],
      timeoutMs: 30_000,
    });
    const code = response.responses[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (code !== ErrorCode.NONE && code !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
      throw new KafkaError(code, `deleting topic "${name}": ${response.responses[0]?.errorMessage ?? ''}`);
    }
    for (let attempt = 0; attempt < 100; attempt++) {
      if (!(await this.topic(name))) return;
      await sleep(50);
    }
  }

  /** Earliest (log start) and latest (high watermark) offsets of a partition. */
  async offsets(topic: string, partition = 0): Promise<{ earliest: bigint; latest: bigint }> {
    const connection = await this.leaderFor(topic, partition);
    if (!connection) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topic}" has no partition ${partition} leader`);
    const ask = async (timestamp: bigint): Promise<bigint> => {
      const response = await connection.request(ListOffsets, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
      });
      const p = response.topics[0]?.partitions[0];
      if (!p) throw new Error(`ListOffsets for "${topic}" returned no partition`);
      if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, `listing offsets of "${topic}"`);
      return p.offset;
    };
    const [earliest, latest] = await Promise.all([ask(-2n), ask(-1n)]);
    return { earliest, latest };
  }

  async close(): Promise<void> {
    this.closed = true;
    const connections = [...this.byAddress.values()];
    this.byAddress.clear();
    for (const c of connections) {
      try {
        (await c).close();
      } catch {
        // never connected
      }
    }
  }
}
