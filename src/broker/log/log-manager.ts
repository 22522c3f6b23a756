/**
 * All partition logs of a data dir, and the topic catalog that says which exist.
 *
 * `open` removes the clean-shutdown marker first (so a crash from then on leaves none), loads the catalog,
 * moves partition directories the catalog does not know out of the way (see stray-dirs.ts), then opens
 * every partition, recovering them unless the marker was there. `close` flushes and seals every partition,
 * then writes the marker. With fsync=interval a housekeeping timer flushes every flushIntervalMs; retention
 * runs when the broker calls `runRetention` (on its own timer).
 *
 * Topic changes are all-or-nothing: a creation opens every partition first and records the topic in the
 * catalog last, in the same step as its logs become reachable; any failure closes and removes what it
 * opened. A deletion records it in the catalog, then renames every directory away (a failed rename is an
 * error, and a later creation of the name must move the old directory first or fail), then removes them.
 * Changes to one name run one at a time; different names proceed concurrently, so their
 * catalog writes share fsyncs.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { Catalog, type TopicRecord, validateTopicName } from '../catalog.js';
import { fsyncDir, writeFileAtomic } from './atomic-file.js';
import { descriptorBudget, readOpenFileLimit, type DescriptorBudget } from './descriptor-budget.js';
import { StorageError } from './errors.js';
import { CLEAN_SHUTDOWN_FILE, DELETED_DIR_SUFFIX, deletedDirName, partitionDirName } from './file-names.js';
import { HandleCache } from './handle-cache.js';
import { IndexResidency } from './index-residency.js';
import { type LogConfig, resolveLogConfig, resolveTopicLogConfig } from './log-config.js';
import { PartitionLog } from './partition-log.js';
import type { SegmentEnv } from './segment.js';
import { nodeStorageIo, type StorageIo } from './storage-io.js';
import { quarantineStrayDirs } from './stray-dirs.js';
import { CLEANER_DEFAULTS, type CleanResult, LogCleaner } from './cleaner/cleaner.js';

/** The broker settings the manager enforces besides the log config (see config.ts). */
/** The log cleaner's broker settings (see config.ts). */
export interface CleanerSettings {
  logCleanerEnable: boolean;
  logCleanerBackoffMs: number;
  /** -1 unlimited. */
  logCleanerIoMaxBytesPerSecond: number;
  /** The key map's memory bound (log.cleaner.dedupe.buffer.size). */
  logCleanerDedupeBufferSize: number;
  /** Read plus write buffer of a clean (log.cleaner.io.buffer.size). */
  logCleanerIoBufferSize: number;
  /** How full the key map gets before a clean stops short (log.cleaner.io.buffer.load.factor, 0.9). */
  logCleanerIoBufferLoadFactor: number;
}

export interface TopicLimits {
  /** Segment files kept open at once; 0 derives it from the descriptor limit. */
  maxOpenFiles: number;
  /** Connections the broker accepts: their sockets are left room in the descriptor budget. */
  maxConnections: number;
  /** Partitions in all topics together. */
  maxPartitions: number;
}

const DEFAULT_LIMITS: TopicLimits = { maxOpenFiles: 0, maxConnections: 1000, maxPartitions: 100_000 };
/**
 * Partitions created at once, across all creations. Each holds a few descriptors for a moment, and each
 * keeps one of libuv's four thread-pool threads busy (file creation, a directory fsync): two leave the other
 * threads to the appends and reads of existing topics, which is what keeps their latency low while a client
 * creates topics in a loop.
 */
const CREATE_CONCURRENCY = 2;
/** Partitions closed at once at shutdown (each a few fsyncs; one by one, thousands take minutes). */
const CLOSE_CONCURRENCY = 8;
/**
 * Catalog group commit: a creation whose partitions are open waits for the other creations of at most this
 * many partitions still opening (never for a big one), and at most this many creations commit together.
 */
const COMMIT_GROUP_MAX = 64;

/** A creation in its partition-opening phase. */
interface Opening {
  partitions: number;
  done: Promise<void>;
}

export interface LogManagerOptions {
  /** File-operation seam (tests inject failures). */
  io?: StorageIo;
  /** Segment files kept open, across all partitions; overrides the config's maxOpenFiles. */
  maxOpenFiles?: number;
  /** Where start-up findings (stray directories) are logged. */
  logger?: Logger;
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
  /** Compacts topics with cleanup.policy=compact on its own timer; `runCleaner` runs a pass on demand. */
  private cleaner: LogCleaner | undefined;
  private closed = false;
  /** The last change queued per topic name (changes to one name never overlap). */
  private readonly nameLocks = new Map<string, Promise<unknown>>();
  /** Partitions of creations in progress, counted against maxPartitions before they exist. */
  private reservedPartitions = 0;
  private readonly opening = new Set<Opening>();
  private commitGroup: { size: number; released: Promise<void>; release: () => void } | undefined;
  /** Partition opens in progress across all creations. */
  private readonly slots = new Semaphore(CREATE_CONCURRENCY);

  private constructor(
    readonly dataDir: string,
    /** The broker-wide settings topics fall back to; replaced by `setBaseConfig` (dynamic broker configs). */
    public config: LogConfig,
    readonly catalog: Catalog,
    private readonly env: SegmentEnv,
    /** Whether the previous run shut down cleanly (recovery was skipped). */
    readonly openedClean: boolean,
    readonly limits: TopicLimits,
    /** How the descriptor limit was split (handle cache size, room for sockets). */
    readonly descriptors: DescriptorBudget,
  ) {}

  /**
   * Opens `dataDir` (created if missing). `config` may be a whole BrokerConfig: the log settings and the
   * limits (maxOpenFiles, maxConnections, maxPartitions) are taken from it, other fields ignored.
   */
  static async open(dataDir: string, config: Partial<LogConfig & TopicLimits & CleanerSettings> = {}, options: LogManagerOptions = {}): Promise<LogManager> {
    const base = resolveLogConfig(config);
    const limits: TopicLimits = {
      maxOpenFiles: options.maxOpenFiles ?? config.maxOpenFiles ?? DEFAULT_LIMITS.maxOpenFiles,
      maxConnections: config.maxConnections ?? DEFAULT_LIMITS.maxConnections,
      maxPartitions: config.maxPartitions ?? DEFAULT_LIMITS.maxPartitions,
    };
    const derived = descriptorBudget(readOpenFileLimit(), limits.maxConnections);
    const descriptors = limits.maxOpenFiles > 0 ? { ...derived, segmentFiles: limits.maxOpenFiles } : derived;
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
      handles: new HandleCache(descriptors.segmentFiles),
      residency: new IndexResidency(options.indexCacheBytes ?? 64 * 1024 * 1024),
    };
    options.logger?.info(
      { openFileLimit: descriptors.limit, segmentFiles: descriptors.segmentFiles, roomForConnections: descriptors.sockets, maxConnections: limits.maxConnections },
      'descriptor budget: segment files kept open, the rest left for connections',
    );
    const catalog = await Catalog.open(dataDir);
    const moved = await quarantineStrayDirs(dataDir, catalog.list());
    for (const m of moved) {
      options.logger?.warn(
        { dir: m.dir, bytes: m.bytes, movedTo: m.movedTo },
        m.movedTo ? 'partition directory unknown to the catalog (an unfinished creation or deletion) moved aside' : 'empty partition directory unknown to the catalog removed',
      );
    }
    const manager = new LogManager(dataDir, base, catalog, env, clean, limits, descriptors);
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
    manager.cleaner = new LogCleaner(
      () => [...manager.logs.values()].flat(),
      {
        backoffMs: config.logCleanerBackoffMs ?? 15_000,
        ioMaxBytesPerSecond: config.logCleanerIoMaxBytesPerSecond ?? -1,
        dedupeBufferBytes: config.logCleanerDedupeBufferSize ?? CLEANER_DEFAULTS.dedupeBufferBytes,
        ioBufferBytes: config.logCleanerIoBufferSize ?? CLEANER_DEFAULTS.ioBufferBytes,
        loadFactor: config.logCleanerIoBufferLoadFactor ?? CLEANER_DEFAULTS.loadFactor,
      },
      options.logger,
    );
    if (config.logCleanerEnable ?? true) manager.cleaner.start();
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

  /** Partitions in all topics, plus those of creations in progress. */
  get partitionCount(): number {
    return this.catalog.totalPartitions + this.reservedPartitions;
  }

  /**
   * Creates a topic with `partitions` empty partitions: every partition is opened first and the topic is
   * recorded in the catalog last; on any failure what was opened is closed and removed, and nothing of the
   * topic was ever visible. Throws KafkaError: INVALID_TOPIC_EXCEPTION, TOPIC_ALREADY_EXISTS,
   * INVALID_PARTITIONS, INVALID_CONFIG, POLICY_VIOLATION (--max-partitions), KAFKA_STORAGE_ERROR.
   */
  async createTopic(name: string, partitions: number, configs: Record<string, string> = {}): Promise<TopicInfo> {
    this.ensureOpen();
    validateTopicName(name);
    const cfg = resolveTopicLogConfig(this.config, configs);
    return this.withName(name, async () => {
      this.ensureOpen();
      if (this.catalog.get(name)) throw new StorageError('TOPIC_ALREADY_EXISTS', `topic '${name}' already exists`);
      if (!Number.isInteger(partitions) || partitions < 1) throw new StorageError('INVALID_PARTITIONS', `partition count ${partitions} must be at least 1`);
      this.reserve(name, partitions);
      try {
        const logs = await this.whileOpening(partitions, () => this.openNewPartitions(name, 0, partitions, cfg));
        await this.commitTurn();
        try {
          const topic = await this.catalog.create(name, partitions, configs, undefined, () => this.logs.set(name, logs));
          return this.info(topic);
        } catch (e) {
          await this.discard(logs);
          throw e;
        }
      } finally {
        this.reservedPartitions -= partitions;
      }
    });
  }

  /**
   * Deletes the topic: recorded in the catalog (it is gone from then on), then every partition is closed and
   * its directory renamed away, then removed. A failed rename is a KAFKA_STORAGE_ERROR;
   * the directory is left where it is and a later creation of the name must move it first.
   * UNKNOWN_TOPIC_OR_PARTITION if absent.
   */
  async deleteTopic(name: string): Promise<void> {
    this.ensureOpen();
    await this.withName(name, async () => {
      const logs = this.logs.get(name) ?? [];
      await this.catalog.delete(name, () => this.logs.delete(name));
      for (const log of logs) await log.closeForDeletion();
      const failures: string[] = [];
      const doomed: string[] = [];
      for (const log of logs) {
        try {
          doomed.push(await renameAway(log.dir));
        } catch (e) {
          failures.push(`${path.basename(log.dir)} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
        }
      }
      await removeDirs(doomed);
      if (failures.length > 0) {
        throw new StorageError(
          'KAFKA_STORAGE_ERROR',
          `topic '${name}' is deleted but ${failures.join(', ')} could not be renamed for removal; a new topic of this name cannot be created until it can, and the next start moves it aside`,
        );
      }
    });
  }

  /** Grows the topic to `total` partitions, all-or-nothing like creation. INVALID_PARTITIONS unless larger than now. */
  async addPartitions(name: string, total: number): Promise<void> {
    this.ensureOpen();
    await this.withName(name, async () => {
      const topic = this.catalog.get(name);
      if (!topic) throw new StorageError('UNKNOWN_TOPIC_OR_PARTITION', `topic '${name}' does not exist`);
      const before = topic.partitions;
      if (!Number.isInteger(total) || total <= before) {
        throw new StorageError('INVALID_PARTITIONS', `topic '${name}' has ${before} partitions; the new count must be larger, not ${total}`);
      }
      this.reserve(name, total - before);
      try {
        const fresh = await this.openNewPartitions(name, before, total, resolveTopicLogConfig(this.config, topic.configs));
        try {
          await this.catalog.setPartitions(name, total, () => {
            const logs = this.logs.get(name)!;
            for (let p = before; p < total; p++) logs[p] = fresh[p - before]!;
          });
        } catch (e) {
          await this.discard(fresh);
          throw e;
        }
      } finally {
        this.reservedPartitions -= total - before;
      }
    });
  }

  /** Replaces the topic's config overrides (validated first: INVALID_CONFIG) and applies them to its logs. */
  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<TopicInfo> {
    this.ensureOpen();
    const cfg = resolveTopicLogConfig(this.config, configs);
    return this.withName(name, async () => {
      const topic = await this.catalog.setConfigs(name, configs);
      for (const log of this.logs.get(name) ?? []) log.setConfig(cfg);
      return this.info(topic);
    });
  }

  /**
   * Replaces the broker-wide settings every topic falls back to (a dynamic broker config changed) and
   * applies the result to every open partition log, without a restart.
   */
  setBaseConfig(config: LogConfig): void {
    this.config = config;
    for (const topic of this.catalog.list()) {
      const cfg = resolveTopicLogConfig(config, topic.configs);
      for (const log of this.logs.get(topic.name) ?? []) log.setConfig(cfg);
    }
  }

  /** Applies retention to every partition; returns the number of segments deleted. */
  async runRetention(nowMs: number = Date.now()): Promise<number> {
    let deleted = 0;
    for (const logs of this.logs.values()) for (const log of logs) deleted += await log.runRetention(nowMs);
    return deleted;
  }

  /** One log-cleaner pass over every partition (tests, tools); the timer runs the same. */
  runCleaner(nowMs?: number): Promise<CleanResult> {
    return this.cleaner!.runOnce(nowMs);
  }

  async flushAll(): Promise<void> {
    for (const logs of this.logs.values()) for (const log of logs) await log.flush();
  }

  /** Flushes and closes every partition, then writes the clean-shutdown marker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.cleaner?.stop();
    await Promise.all([...this.nameLocks.values()].map((p) => p.catch(() => undefined)));
    const errors: unknown[] = [];
    const jobs = [...this.logs.values()].flat().map((log) => () => log.close().catch((e: unknown) => void errors.push(e)));
    await runPool(jobs, CLOSE_CONCURRENCY);
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
    await this.cleaner?.stop();
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

  /**
   * Opens partitions `from..to-1` of `topic` as new, empty logs (at most CREATE_CONCURRENCY at once across
   * the broker). A directory left by an older topic of this name is renamed away first: a failed rename
   * fails the creation, so old data is never reused. On failure every partition opened here is closed and
   * removed again, and the error says which resource ran out.
   */
  private async openNewPartitions(topic: string, from: number, to: number, cfg: LogConfig): Promise<PartitionLog[]> {
    const opened: PartitionLog[] = [];
    /** Directories of partitions whose open failed partway. */
    const unfinished: string[] = [];
    let failure: unknown;
    const jobs: (() => Promise<void>)[] = [];
    for (let p = from; p < to; p++) {
      jobs.push(() =>
        this.slots.run(async () => {
          if (failure !== undefined) return;
          const dir = path.join(this.dataDir, partitionDirName(topic, p));
          try {
            const old = await renameAway(dir).catch((e: NodeJS.ErrnoException) => {
              if (e.code === 'ENOENT') return undefined;
              throw e;
            });
            if (old !== undefined) void removeDirs([old]);
            opened[p - from] = await this.openPartition(topic, p, cfg, true);
          } catch (e) {
            failure ??= e;
            unfinished.push(dir);
          }
        }),
      );
    }
    await Promise.all(jobs.map((j) => j()));
    if (failure !== undefined) {
      await this.discard(opened.filter((l) => l !== undefined));
      for (const dir of unfinished) await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
      throw creationError(topic, failure, this.descriptors);
    }
    return opened;
  }

  /** Closes logs that never became visible and removes their directories. */
  private async discard(logs: readonly PartitionLog[]): Promise<void> {
    for (const log of logs) {
      await log.closeForDeletion();
      const doomed = await renameAway(log.dir).catch(() => log.dir);
      await fs.rm(doomed, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** Runs a creation's opening phase, visible to `commitTurn` of the others. */
  private async whileOpening<T>(partitions: number, fn: () => Promise<T>): Promise<T> {
    let finish!: () => void;
    const entry: Opening = { partitions, done: new Promise<void>((resolve) => (finish = resolve)) };
    this.opening.add(entry);
    try {
      return await fn();
    } finally {
      this.opening.delete(entry);
      finish();
    }
  }

  /**
   * Waits until the small creations still opening have finished opening too (or COMMIT_GROUP_MAX creations
   * wait), so that a burst of creations writes its catalog records together: one write and one fsync for
   * the lot instead of one each. The wait is bounded: only creations already opening count, and only small
   * ones.
   */
  private async commitTurn(): Promise<void> {
    const others = [...this.opening].filter((o) => o.partitions <= COMMIT_GROUP_MAX);
    if (others.length === 0) return;
    let group = this.commitGroup;
    if (group === undefined) {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      group = this.commitGroup = { size: 0, released, release };
    }
    if (++group.size >= COMMIT_GROUP_MAX) {
      this.commitGroup = undefined;
      group.release();
    }
    await Promise.race([Promise.all(others.map((o) => o.done)), group.released]);
    if (this.commitGroup === group && --group.size === 0) this.commitGroup = undefined;
  }

  /** Counts `partitions` more against maxPartitions, or throws POLICY_VIOLATION. */
  private reserve(topic: string, partitions: number): void {
    const now = this.partitionCount;
    if (now + partitions > this.limits.maxPartitions) {
      throw new KafkaError(
        ErrorCode.POLICY_VIOLATION,
        `creating ${partitions} partition(s) for topic '${topic}' would make ${now + partitions}, over the broker's limit of ${this.limits.maxPartitions} partitions in all (--max-partitions); delete topics or raise the limit`,
      );
    }
    this.reservedPartitions += partitions;
  }

  /** Runs `fn` after every earlier change to `name` has finished. */
  private withName<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const before = this.nameLocks.get(name) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(fn);
    const settled = run.catch(() => undefined);
    this.nameLocks.set(name, settled);
    void settled.then(() => {
      if (this.nameLocks.get(name) === settled) this.nameLocks.delete(name);
    });
    return run;
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

/** Renames `dir` to a unique `-delete` name next to it (durably); returns the new path. */
async function renameAway(dir: string): Promise<string> {
  const doomed = path.join(path.dirname(dir), deletedDirName(path.basename(dir)));
  await fs.rename(dir, doomed);
  await fsyncDir(path.dirname(dir));
  return doomed;
}

/** Removes renamed-away directories; never fails (a crash or error leaves `-delete` ones the next open removes). */
function removeDirs(dirs: readonly string[]): Promise<void> {
  return Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true }))).then(
    () => undefined,
    () => undefined,
  );
}

/** The error a failed creation reports: which limit ran out, when it was one. */
function creationError(topic: string, cause: unknown, descriptors: DescriptorBudget): KafkaError {
  if (cause instanceof KafkaError) return cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const what =
    code === 'EMFILE'
      ? `the process's open-file limit (RLIMIT_NOFILE ${descriptors.limit}) was reached; raise \`ulimit -n\` or lower --max-open-files (now ${descriptors.segmentFiles})`
      : code === 'ENFILE'
        ? 'the system-wide open-file limit was reached (fs.file-max)'
        : code === 'ENOSPC'
          ? 'the disk is full; free space or lower retention'
          : code === 'EDQUOT'
            ? 'the disk quota is exhausted'
            : `${code ?? String(cause)}`;
  return new StorageError('KAFKA_STORAGE_ERROR', `creating topic '${topic}' failed and was rolled back: ${what}`, { cause });
}

/** Bounds how many partition opens run at once. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
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
