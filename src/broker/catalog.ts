/**
 * The topic catalog: every topic's name, UUID, partition count and config overrides, persisted in the data
 * dir as a framed append-only log of changes (`catalog.log`, see framed-log.ts). Loading replays it,
 * truncating at the first bad frame, then compacts it to one entry per topic.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { StorageError } from './log/errors.js';
import { FramedLog } from './framed-log.js';

export const CATALOG_FILE = 'catalog.log';

export interface TopicRecord {
  readonly name: string;
  /** UUID v4 (Metadata v10+, Fetch v13+ topic IDs). */
  readonly id: string;
  readonly partitions: number;
  /** Kafka topic config overrides, e.g. { 'retention.ms': '60000' }. */
  readonly configs: Readonly<Record<string, string>>;
}

type CatalogEntry =
  | { op: 'create'; name: string; id: string; partitions: number; configs: Record<string, string> }
  | { op: 'delete'; name: string }
  | { op: 'partitions'; name: string; partitions: number }
  | { op: 'configs'; name: string; configs: Record<string, string> };

/** Kafka's limits (org.apache.kafka.common.internals.Topic). */
const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;
/** Partitions per topic we accept in one request: a guard against absurd counts, not a Kafka limit. */
export const MAX_PARTITIONS = 10_000;

/** Throws INVALID_TOPIC_EXCEPTION (17) with the reason when Kafka would refuse the name. */
export function validateTopicName(name: string): void {
  const bad = (why: string): never => {
    throw new StorageError('INVALID_TOPIC_EXCEPTION', `invalid topic name '${name.slice(0, 300)}': ${why}`);
  };
  if (name.length === 0) bad('it is empty');
  if (name === '.' || name === '..') bad('"." and ".." are not allowed');
  if (name.length > MAX_TOPIC_NAME_LENGTH) bad(`it is ${name.length} characters, the limit is ${MAX_TOPIC_NAME_LENGTH}`);
  if (!LEGAL_TOPIC_NAME.test(name)) bad('only ASCII letters, digits, ".", "_" and "-" are allowed');
}

export class Catalog {
  private readonly topicsByName = new Map<string, TopicRecord>();
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly file: FramedLog) {}

  /** Loads `<dataDir>/catalog.log` (creating it), truncating a torn tail, and compacts it. */
  static async open(dataDir: string): Promise<Catalog> {
    // fsync every change: topics are created rarely, and a lost one would orphan its partition directories.
    const { log, payloads } = FramedLog.open(path.join(dataDir, CATALOG_FILE), { fsync: true });
    const catalog = new Catalog(log);
    for (const payload of payloads) {
      let entry: CatalogEntry;
      try {
        entry = JSON.parse(payload.toString('utf8')) as CatalogEntry;
      } catch {
        continue; // CRC-valid but unparsable: written by a newer version; skip rather than fail to start
      }
      catalog.apply(entry);
    }
    log.rewrite(catalog.list().map((t) => Catalog.encode({ op: 'create', ...t, configs: { ...t.configs } })));
    return catalog;
  }

  list(): TopicRecord[] {
    return [...this.topicsByName.values()];
  }

  get(name: string): TopicRecord | undefined {
    return this.topicsByName.get(name);
  }

  byId(id: string): TopicRecord | undefined {
    for (const t of this.topicsByName.values()) if (t.id === id) return t;
    return undefined;
  }

  /** Records a new topic. TOPIC_ALREADY_EXISTS (36), INVALID_TOPIC_EXCEPTION (17), INVALID_PARTITIONS (37). */
  create(name: string, partitions: number, configs: Record<string, string> = {}, id: string = randomUUID()): Promise<TopicRecord> {
    return this.serialize(async () => {
      validateTopicName(name);
      if (this.topicsByName.has(name)) throw new StorageError('TOPIC_ALREADY_EXISTS', `topic '${name}' already exists`);
      checkPartitionCount(partitions);
      const entry: CatalogEntry = { op: 'create', name, id, partitions, configs: { ...configs } };
      this.file.append(Catalog.encode(entry));
      this.apply(entry);
      return this.topicsByName.get(name)!;
    });
  }

  delete(name: string): Promise<TopicRecord> {
    return this.serialize(async () => {
      const topic = this.require(name);
      const entry: CatalogEntry = { op: 'delete', name };
      this.file.append(Catalog.encode(entry));
      this.apply(entry);
      return topic;
    });
  }

  /** Raises the partition count (Kafka never lowers it): INVALID_PARTITIONS otherwise. */
  setPartitions(name: string, partitions: number): Promise<TopicRecord> {
    return this.serialize(async () => {
      const topic = this.require(name);
      checkPartitionCount(partitions);
      if (partitions <= topic.partitions) {
        throw new StorageError('INVALID_PARTITIONS', `topic '${name}' has ${topic.partitions} partitions; the new count must be larger, not ${partitions}`);
      }
      const entry: CatalogEntry = { op: 'partitions', name, partitions };
      this.file.append(Catalog.encode(entry));
      this.apply(entry);
      return this.topicsByName.get(name)!;
    });
  }

  /** Replaces the topic's config overrides. */
  setConfigs(name: string, configs: Record<string, string>): Promise<TopicRecord> {
    return this.serialize(async () => {
      this.require(name);
      const entry: CatalogEntry = { op: 'configs', name, configs: { ...configs } };
      this.file.append(Catalog.encode(entry));
      this.apply(entry);
      return this.topicsByName.get(name)!;
    });
  }

  async close(): Promise<void> {
    await this.chain.catch(() => undefined);
    this.file.close();
  }

  private require(name: string): TopicRecord {
    const t = this.topicsByName.get(name);
    if (!t) throw new StorageError('UNKNOWN_TOPIC_OR_PARTITION', `topic '${name}' does not exist`);
    return t;
  }

  private apply(e: CatalogEntry): void {
    const current = this.topicsByName.get(e.name);
    switch (e.op) {
      case 'create':
        this.topicsByName.set(e.name, Object.freeze({ name: e.name, id: e.id, partitions: e.partitions, configs: Object.freeze({ ...e.configs }) }));
        break;
      case 'delete':
        this.topicsByName.delete(e.name);
        break;
      case 'partitions':
        if (current) this.topicsByName.set(e.name, Object.freeze({ ...current, partitions: e.partitions }));
        break;
      case 'configs':
        if (current) this.topicsByName.set(e.name, Object.freeze({ ...current, configs: Object.freeze({ ...e.configs }) }));
        break;
    }
  }

  private static encode(e: CatalogEntry): Buffer {
    return Buffer.from(JSON.stringify(e), 'utf8');
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

function checkPartitionCount(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_PARTITIONS) {
    throw new StorageError('INVALID_PARTITIONS', `partition count ${n} is invalid; use 1..${MAX_PARTITIONS}`);
  }
}
