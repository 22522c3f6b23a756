/**
 * The topic catalog: every topic's name, UUID, partition count and config overrides, persisted in the data
 * dir as a framed append-only log of changes (`catalog.log`, see framed-log.ts). Loading replays it,
 * truncating at the first bad frame, then compacts it to one entry per topic.
 *
 * While running, the log is compacted again once the entries written since the last compaction pass both
 * COMPACT_MIN_ENTRIES and twice the number of topics, so creating and deleting topics in a loop cannot grow it
 * without bound.
 *
 * A change becomes visible only once it is on disk (fsynced; concurrent changes share one fsync), and the
 * caller's `onCommit` runs in the same synchronous step, so nobody ever sees a topic whose partitions are
 * not open yet. Changes to one name must not overlap: the LogManager serializes them per topic.
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

/** Compact while running past this many entries since the last compaction (and twice the live topics). */
export const COMPACT_MIN_ENTRIES = 1000;

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
  /** Names whose creation is being written. */
  private readonly pending = new Set<string>();
  /** Entries queued for writing but not applied yet, oldest first (a compaction must keep them). */
  private readonly unapplied = new Set<CatalogEntry>();
  private entriesSinceCompaction = 0;
  private partitionCount = 0;

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
    log.rewriteSync(catalog.list().map((t) => Catalog.encode({ op: 'create', ...t, configs: { ...t.configs } })));
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

  /**
   * Records a new topic; `onCommit` runs in the same step as it becomes visible. TOPIC_ALREADY_EXISTS (36),
   * INVALID_TOPIC_EXCEPTION (17), INVALID_PARTITIONS (37).
   */
  async create(name: string, partitions: number, configs: Record<string, string> = {}, id: string = randomUUID(), onCommit?: () => void): Promise<TopicRecord> {
    validateTopicName(name);
    if (this.topicsByName.has(name) || this.pending.has(name)) throw new StorageError('TOPIC_ALREADY_EXISTS', `topic '${name}' already exists`);
    checkPartitionCount(partitions);
    this.pending.add(name);
    try {
      return await this.commit({ op: 'create', name, id, partitions, configs: { ...configs } }, onCommit);
    } finally {
      this.pending.delete(name);
    }
  }

  async delete(name: string, onCommit?: () => void): Promise<TopicRecord> {
    const topic = this.require(name);
    await this.commit({ op: 'delete', name }, onCommit);
    return topic;
  }

  /** Raises the partition count (Kafka never lowers it): INVALID_PARTITIONS otherwise. */
  async setPartitions(name: string, partitions: number, onCommit?: () => void): Promise<TopicRecord> {
    const topic = this.require(name);
    checkPartitionCount(partitions);
    if (partitions <= topic.partitions) {
      throw new StorageError('INVALID_PARTITIONS', `topic '${name}' has ${topic.partitions} partitions; the new count must be larger, not ${partitions}`);
    }
    return this.commit({ op: 'partitions', name, partitions }, onCommit);
  }

  /** Replaces the topic's config overrides. */
  async setConfigs(name: string, configs: Record<string, string>): Promise<TopicRecord> {
    this.require(name);
    return this.commit({ op: 'configs', name, configs: { ...configs } });
  }

  /** Partitions of every topic (kept as a count: checked on every creation). */
  get totalPartitions(): number {
    return this.partitionCount;
  }

  /** The file's write and fsync counts (tests check that bursts share fsyncs). */
  get fileStats(): { writes: number; syncs: number } {
    return this.file.stats;
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  /** Writes `entry` durably, then applies it and runs `onCommit` in one synchronous step. */
  private async commit(entry: CatalogEntry, onCommit?: () => void): Promise<TopicRecord> {
    this.unapplied.add(entry);
    try {
      await this.file.append(Catalog.encode(entry), true);
    } catch (e) {
      this.unapplied.delete(entry);
      throw e;
    }
    this.unapplied.delete(entry);
    this.apply(entry);
    onCommit?.();
    if (++this.entriesSinceCompaction > Math.max(COMPACT_MIN_ENTRIES, 2 * this.topicsByName.size)) this.compact();
    return this.topicsByName.get(entry.name) ?? { name: entry.name, id: '', partitions: 0, configs: {} };
  }

  /**
   * Rewrites the log to one entry per topic, in the file's queue. The snapshot is taken when the rewrite
   * runs, after the entries queued before it are written; those not applied yet by then are added to it.
   * Entries queued after it go to the new file.
   */
  private compact(): void {
    this.entriesSinceCompaction = 0;
    const queuedBefore = [...this.unapplied];
    this.file
      .rewrite(() => {
        const view = new Map(this.topicsByName);
        for (const e of queuedBefore) if (this.unapplied.has(e)) applyTo(view, e);
        return [...view.values()].map((t) => Catalog.encode({ op: 'create', ...t, configs: { ...t.configs } }));
      })
      .catch(() => undefined); // a failed compaction leaves the old, whole file
  }

  /** Bytes of `catalog.log` written so far (tests). */
  get fileBytes(): number {
    return this.file.sizeBytes;
  }

  private require(name: string): TopicRecord {
    const t = this.topicsByName.get(name);
    if (!t) throw new StorageError('UNKNOWN_TOPIC_OR_PARTITION', `topic '${name}' does not exist`);
    return t;
  }

  private apply(e: CatalogEntry): void {
    this.partitionCount -= this.topicsByName.get(e.name)?.partitions ?? 0;
    applyTo(this.topicsByName, e);
    this.partitionCount += this.topicsByName.get(e.name)?.partitions ?? 0;
  }

  private static encode(e: CatalogEntry): Buffer {
    return Buffer.from(JSON.stringify(e), 'utf8');
  }
}

function applyTo(topics: Map<string, TopicRecord>, e: CatalogEntry): void {
  const current = topics.get(e.name);
  switch (e.op) {
    case 'create':
      topics.set(e.name, Object.freeze({ name: e.name, id: e.id, partitions: e.partitions, configs: Object.freeze({ ...e.configs }) }));
      break;
    case 'delete':
      topics.delete(e.name);
      break;
    case 'partitions':
      if (current) topics.set(e.name, Object.freeze({ ...current, partitions: e.partitions }));
      break;
    case 'configs':
      if (current) topics.set(e.name, Object.freeze({ ...current, configs: Object.freeze({ ...e.configs }) }));
      break;
  }
}

function checkPartitionCount(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_PARTITIONS) {
    throw new StorageError('INVALID_PARTITIONS', `partition count ${n} is invalid; use 1..${MAX_PARTITIONS}`);
  }
}
