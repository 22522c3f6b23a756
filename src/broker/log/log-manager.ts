/**
 * All partition logs of a data dir, and the topic catalog that says which exist.
 *
 * `open` removes the clean-shutdown marker first (so a crash from then on leaves none), loads the catalog,
 * then opens every partition, recovering them unless the marker was there. `close` flushes and seals every
 * partition, then writes the marker. With fsync=interval a housekeeping timer flushes every
 * flushIntervalMs; retention runs when the broker calls `runRetention` (on its own timer).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Catalog, type TopicRecord } from '../catalog.js';
import { fsyncDir, writeFileAtomic } from './atomic-file.js';
import { StorageError } from './errors.js';
import { CLEAN_SHUTDOWN_FILE, DELETED_DIR_SUFFIX, partitionDirName } from './file-names.js';
import { HandleCache } from './handle-cache.js';
import { IndexResidency } from './index-residency.js';
import { type LogConfig, resolveLogConfig, resolveTopicLogConfig } from './log-config.js';
import { PartitionLog } from './partition-log.js';
import type { SegmentEnv } from './segment.js';
import { nodeStorageIo, type StorageIo } from './storage-io.js';

export interface LogManagerOptions {
  /** File-operation seam (tests inject failures). */
  io?: StorageIo;
  /** Read handles kept open for inactive segments, across all partitions. Default 256. */
  maxOpenFiles?: number;
  /** Memory for loaded indexes of inactive segments. Default 64 MiB. */
  indexCacheBytes?: number;
  /** Partitions opened (recovered) at once. Default 4. */
  openConcurrency?: number;
}

export interface TopicInfo extends TopicRecord {
  /** The broker-wide log config with this topic's overrides applied. */
  readonly config: LogConfig;
}

export class LogManager {
  private readonly logs = new Map<string, PartitionLog[]>();
  private flushTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    readonly dataDir: string,
    readonly config: LogConfig,
    readonly catalog: Catalog,
    private readonly env: SegmentEnv,
    /** Whether the previous run shut down cleanly (recovery was skipped). */
    readonly openedClean: boolean,
  ) {}

  /** Opens `dataDir` (created if missing). `config` may be a whole BrokerConfig: extra fields are ignored. */
  static async open(dataDir: string, config: Partial<LogConfig> = {}, options: LogManagerOptions = {}): Promise<LogManager> {
    const base = resolveLogConfig(config);
    await fs.mkdir(dataDir, { recursive: true });
    const marker = path.join(dataDir, CLEAN_SHUTDOWN_FILE);
    const clean = await fs.access(marker).then(
      () => true,
      () => false,
    );
    if (clean) {
      await fs.rm(marker);
      await fsyncDir(dataDir);
    }
    await removeDeletedDirs(dataDir);
    const env: SegmentEnv = {
      io: options.io ?? nodeStorageIo,
      handles: new HandleCache(options.maxOpenFiles ?? 256),
      residency: new IndexResidency(options.indexCacheBytes ?? 64 * 1024 * 1024),
    };
    const catalog = await Catalog.open(dataDir);
    const manager = new LogManager(dataDir, base, catalog, env, clean);
    const jobs: (() => Promise<void>)[] = [];
    for (const topic of catalog.list()) {
      const logs: PartitionLog[] = [];
      manager.logs.set(topic.name, logs);
      const cfg = resolveTopicLogConfig(base, topic.configs);
      for (let p = 0; p < topic.partitions; p++) {
        jobs.push(async () => {
          logs[p] = await manager.openPartition(topic.name, p, cfg, clean);
        });
      }
    }
    await runPool(jobs, options.openConcurrency ?? 4);
    manager.startFlushTimer();
    return manager;
  }

  topics(): TopicInfo[] {
    return this.catalog.list().map((t) => this.info(t));
  }

  topic(name: string): TopicInfo | undefined {
    const t = this.catalog.get(name);
    return t && this.info(t);
  }

  topicById(id: string): TopicInfo | undefined {
    const t = this.catalog.byId(id);
    return t && this.info(t);
  }

  partition(topic: string, index: number): PartitionLog | undefined {
    return this.logs.get(topic)?.[index];
  }

  partitions(topic: string): readonly PartitionLog[] {
    return this.logs.get(topic) ?? [];
  }

  /**
   * Creates a topic with `partitions` empty partitions. Throws StorageError: INVALID_TOPIC_EXCEPTION,
   * TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_CONFIG.
   */
  async createTopic(name: string, partitions: number, configs: Record<string, string> = {}): Promise<TopicInfo> {
    this.ensureOpen();
    const cfg = resolveTopicLogConfig(this.config, configs);
    const topic = await this.catalog.create(name, partitions, configs);
    const logs: PartitionLog[] = [];
    this.logs.set(name, logs);
    await this.openNewPartitions(name, logs, 0, partitions, cfg);
    return this.info(topic);
  }

  /** Deletes the topic from the catalog, then its partitions and files. UNKNOWN_TOPIC_OR_PARTITION if absent. */
  async deleteTopic(name: string): Promise<void> {
    this.ensureOpen();
    await this.catalog.delete(name);
    const logs = this.logs.get(name) ?? [];
    this.logs.delete(name);
    for (const log of logs) await log.deleteFiles();
  }

  /** Grows the topic to `total` partitions. INVALID_PARTITIONS unless larger than now. */
  async addPartitions(name: string, total: number): Promise<void> {
    this.ensureOpen();
    const before = this.catalog.get(name)?.partitions ?? 0;
    const topic = await this.catalog.setPartitions(name, total);
    const logs = this.logs.get(name)!;
    await this.openNewPartitions(name, logs, before, total, resolveTopicLogConfig(this.config, topic.configs));
  }

  /** Replaces the topic's config overrides (validated first: INVALID_CONFIG) and applies them to its logs. */
  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<TopicInfo> {
    this.ensureOpen();
    const cfg = resolveTopicLogConfig(this.config, configs);
    const topic = await this.catalog.setConfigs(name, configs);
    for (const log of this.logs.get(name) ?? []) log.setConfig(cfg);
    return this.info(topic);
  }

  /** Applies retention to every partition; returns the number of segments deleted. */
  async runRetention(nowMs: number = Date.now()): Promise<number> {
    let deleted = 0;
    for (const logs of this.logs.values()) for (const log of logs) deleted += await log.runRetention(nowMs);
    return deleted;
  }

  async flushAll(): Promise<void> {
    for (const logs of this.logs.values()) for (const log of logs) await log.flush();
  }

  /** Flushes and closes every partition, then writes the clean-shutdown marker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    const errors: unknown[] = [];
    for (const logs of this.logs.values()) {
      for (const log of logs) await log.close().catch((e: unknown) => errors.push(e));
    }
    await this.catalog.close();
    await this.env.handles.close();
    if (errors.length > 0) throw errors[0]; // no marker: the next open recovers
    await writeFileAtomic(path.join(this.dataDir, CLEAN_SHUTDOWN_FILE), '');
  }

  /** Closes every file without flushing, checkpoints or the clean marker: a simulated crash, for tests. */
  async abandon(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    for (const logs of this.logs.values()) for (const log of logs) await log.abandon();
    await this.catalog.close();
    await this.env.handles.close();
  }

  private info(t: TopicRecord): TopicInfo {
    return { ...t, config: resolveTopicLogConfig(this.config, t.configs) };
  }

  private async openPartition(topic: string, partition: number, config: LogConfig, clean: boolean): Promise<PartitionLog> {
    return PartitionLog.open({ dir: path.join(this.dataDir, partitionDirName(topic, partition)), topic, partition, config, env: this.env, clean });
  }

  private async openNewPartitions(topic: string, logs: PartitionLog[], from: number, to: number, cfg: LogConfig): Promise<void> {
    for (let p = from; p < to; p++) {
      // A directory left by a deletion that crashed belongs to an older topic of this name.
      const dir = path.join(this.dataDir, partitionDirName(topic, p));
      await fs.rename(dir, `${dir}.${randomUUID()}${DELETED_DIR_SUFFIX}`).catch(() => undefined);
      logs[p] = await this.openPartition(topic, p, cfg, true);
    }
    await removeDeletedDirs(this.dataDir);
  }

  private startFlushTimer(): void {
    if (this.config.fsync !== 'interval') return;
    this.flushTimer = setInterval(() => {
      this.flushAll().catch(() => undefined); // a failing flush surfaces on close and on the next append
    }, this.config.flushIntervalMs);
    this.flushTimer.unref();
  }

  private ensureOpen(): void {
    if (this.closed) throw new StorageError('KAFKA_STORAGE_ERROR', 'the log manager is closed');
  }
}

async function removeDeletedDirs(dataDir: string): Promise<void> {
  for (const name of await fs.readdir(dataDir)) {
    if (name.endsWith(DELETED_DIR_SUFFIX)) await fs.rm(path.join(dataDir, name), { recursive: true, force: true });
  }
}

async function runPool(jobs: (() => Promise<void>)[], concurrency: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
}
