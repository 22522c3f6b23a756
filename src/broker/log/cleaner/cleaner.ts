/**
 * The log cleaner (Kafka's LogCleaner, one thread's worth): compacts partitions whose cleanup.policy
 * contains "compact". Per partition and run:
 * - the cleanable range is the sealed segments (never the active one) up to the first one holding a record
 *   newer than min.compaction.lag.ms;
 * - it is cleaned only when its dirty bytes (segments not yet cleaned by this process) reach
 *   min.cleanable.dirty.ratio of it;
 * - pass 1 builds the latest offset per key (key-map.ts), pass 2 rewrites each segment that changes
 *   (rewrite.ts) and swaps it in crash-safely (swap-files.ts).
 * All I/O is async and counted against log.cleaner.io.max.bytes.per.second; the decoding passes yield to the
 * event loop every YIELD_EVERY_BYTES of batches. Records are decoded here only, never on produce or fetch.
 */
import type { Logger } from 'pino';
import { initCompression } from '../../../protocol/compression/index.js';
import type { PartitionLog } from '../partition-log.js';
import { readCleanerCheckpoint, writeCleanerCheckpoint } from './checkpoint.js';
import { CleanPlan } from './key-map.js';
import { rewriteSegment } from './rewrite.js';
import { writeSwap } from './swap-files.js';
import { Throttle } from './throttle.js';

export interface CleanerConfig {
  /** log.cleaner.io.max.bytes.per.second (Kafka's default: unlimited). */
  ioMaxBytesPerSecond: number;
}

export interface CleanResult {
  /** Segments rewritten and swapped in. */
  segmentsCleaned: number;
  bytesBefore: number;
  bytesAfter: number;
}

/** Compacts one partition if its config and dirty ratio call for it. */
export async function cleanPartition(log: PartitionLog, cfg: CleanerConfig, nowMs: number = Date.now()): Promise<CleanResult> {
  const result: CleanResult = { segmentsCleaned: 0, bytesBefore: 0, bytesAfter: 0 };
  const config = log.config;
  if (!config.compact) return result;
  if (log.cleanedUpTo === undefined) log.cleanedUpTo = await readCleanerCheckpoint(log.dir);
  const cleanedUpTo = log.cleanedUpTo;
  const cleanable = [];
  for (const seg of log.inactiveSegments()) {
    if (config.minCompactionLagMs > 0 && Number(seg.maxTimestamp) > nowMs - config.minCompactionLagMs) break;
    cleanable.push(seg);
  }
  let total = 0;
  let dirty = 0;
  for (const seg of cleanable) {
    total += seg.size;
    if (seg.nextOffset > cleanedUpTo) dirty += seg.size;
  }
  if (total === 0 || dirty / total < config.minCleanableDirtyRatio) return result;
  await initCompression();
  const throttle = new Throttle(cfg.ioMaxBytesPerSecond);
  const plan = new CleanPlan();
  for (const seg of cleanable) {
    const bytes = await seg.read(0, seg.size);
    await throttle.account(bytes.length);
    await plan.addSegment(bytes);
  }
  plan.finish();
  const upTo = cleanable.at(-1)!.nextOffset;
  for (const seg of cleanable) {
    if (seg.deleted) continue;
    const bytes = await seg.read(0, seg.size);
    await throttle.account(bytes.length);
    const cleaned = await rewriteSegment(bytes, plan, { nowMs, deleteRetentionMs: config.deleteRetentionMs });
    if (cleaned.equals(bytes)) continue;
    await writeSwap(log.dir, seg.baseOffset, cleaned);
    await throttle.account(cleaned.length);
    if (await log.replaceWithSwap(seg)) {
      result.segmentsCleaned++;
      result.bytesBefore += bytes.length;
      result.bytesAfter += cleaned.length;
    }
  }
  // Only while the log is open: a deleted topic's directory may already belong to a new one of its name.
  if (upTo > cleanedUpTo && log.isOpen) {
    log.cleanedUpTo = upTo;
    await writeCleanerCheckpoint(log.dir, upTo);
  }
  return result;
}

/** Runs `cleanPartition` over `logs()` every `backoffMs` (log.cleaner.backoff.ms), one partition at a time. */
export class LogCleaner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly logs: () => Iterable<PartitionLog>,
    private readonly cfg: CleanerConfig & { backoffMs: number },
    private readonly logger?: Logger,
  ) {}

  start(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.runOnce().then(() => undefined).finally(() => {
        this.running = undefined;
        this.start();
      });
    }, this.cfg.backoffMs);
    this.timer.unref();
  }

  /** One pass over every compacted partition. Errors are logged per partition; the others still run. */
  async runOnce(nowMs?: number): Promise<CleanResult> {
    const sum: CleanResult = { segmentsCleaned: 0, bytesBefore: 0, bytesAfter: 0 };
    for (const log of this.logs()) {
      if (this.stopped) break;
      try {
        const r = await cleanPartition(log, this.cfg, nowMs);
        sum.segmentsCleaned += r.segmentsCleaned;
        sum.bytesBefore += r.bytesBefore;
        sum.bytesAfter += r.bytesAfter;
        if (r.segmentsCleaned > 0) this.logger?.info({ topic: log.topic, partition: log.partition, ...r }, 'compacted');
      } catch (err) {
        this.logger?.error({ err, topic: log.topic, partition: log.partition }, 'compaction failed');
      }
    }
    return sum;
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
