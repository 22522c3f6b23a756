/**
 * The log cleaner (Kafka's LogCleaner, one thread's worth): compacts partitions whose cleanup.policy
 * contains "compact". Per partition and run, as Kafka 3.x's cleaner does:
 * - the dirty part starts at the cleaner checkpoint; the cleanable range is the sealed segments (never the
 *   active one) up to the first dirty segment holding a record newer than min.compaction.lag.ms;
 * - it is cleaned when its dirty bytes exceed min.cleanable.dirty.ratio of it, or when a dirty segment's
 *   first batch is older than max.compaction.lag.ms (KIP-354);
 * - pass 1 maps the latest offset per key of the dirty part (key-map.ts) into a map bounded by
 *   log.cleaner.dedupe.buffer.size; if it fills, this clean ends where it filled and the next one goes on;
 * - pass 2 streams each segment from the start of the log up to there through the record filter
 *   (rewrite.ts) and swaps a changed one in crash-safely (swap-files.ts).
 * Segments are read and written through buffers of log.cleaner.io.buffer.size (half each, as Kafka splits
 * it), never whole. All I/O is async and counted against log.cleaner.io.max.bytes.per.second; the decoding
 * passes yield to the event loop every YIELD_EVERY_BYTES of batches. Records are decoded here only, never on
 * produce or fetch.
 */
import type { Logger } from 'pino';
import { BATCH_HEADER_SIZE, BATCH_OFFSET, readBatchHeader } from '../../../protocol/batch-header.js';
import { initCompression } from '../../../protocol/compression/index.js';
import type { PartitionLog } from '../partition-log.js';
import type { LogSegment } from '../segment.js';
import { readCleanerCheckpoint, writeCleanerCheckpoint } from './checkpoint.js';
import { CleanPlan } from './key-map.js';
import { OffsetMap } from './offset-map.js';
import { RewriteState } from './rewrite.js';
import { type ReadLimits, segmentBatches } from './segment-reader.js';
import { CleanedFile } from './swap-files.js';
import { Throttle, YieldBudget } from './throttle.js';

const MiB = 1024 * 1024;

export interface CleanerConfig {
  /** log.cleaner.io.max.bytes.per.second (Kafka's default: unlimited). */
  ioMaxBytesPerSecond: number;
  /** log.cleaner.dedupe.buffer.size: the key map's memory bound (Kafka's default: 128 MiB). */
  dedupeBufferBytes?: number;
  /** log.cleaner.io.buffer.size: read plus write buffer (Kafka's default: 512 KiB). */
  ioBufferBytes?: number;
  /** log.cleaner.io.buffer.load.factor: how full the key map gets (Kafka's default: 0.9). */
  loadFactor?: number;
}

export const CLEANER_DEFAULTS = { dedupeBufferBytes: 128 * MiB, ioBufferBytes: 512 * 1024, loadFactor: 0.9 } as const;

export interface CleanResult {
  /** Segments rewritten and swapped in. */
  segmentsCleaned: number;
  bytesBefore: number;
  bytesAfter: number;
  /** Keys in the map, and the bytes its table took (0 when nothing was cleaned). */
  mapEntries: number;
  mapBytes: number;
  /** The key map filled: this clean stopped short of the cleanable range, the next one continues. */
  mapFull: boolean;
}

function emptyResult(): CleanResult {
  return { segmentsCleaned: 0, bytesBefore: 0, bytesAfter: 0, mapEntries: 0, mapBytes: 0, mapFull: false };
}

/** Where a clean left off because of an open transaction, so an unchanged log is not cleaned again for nothing. */
const heldAt = new WeakMap<PartitionLog, { checkpoint: bigint; cleanableEnd: bigint }>();
/** Each sealed segment's first batch's max timestamp (max.compaction.lag.ms), read once. */
const firstBatchTimestamps = new WeakMap<LogSegment, number>();

/** Compacts one partition if its config and dirty ratio call for it. */
export async function cleanPartition(log: PartitionLog, cfg: CleanerConfig, nowMs: number = Date.now()): Promise<CleanResult> {
  const result = emptyResult();
  const config = log.config;
  if (!config.compact) return result;
  if (log.cleanedUpTo === undefined) log.cleanedUpTo = await readCleanerCheckpoint(log.dir);
  const sealed = log.inactiveSegments();
  if (sealed.length === 0) return result;
  const checkpoint = log.cleanedUpTo;
  const firstDirty = checkpoint > sealed[0]!.baseOffset ? checkpoint : sealed[0]!.baseOffset;
  const cleanable: LogSegment[] = [];
  let total = 0;
  let dirty = 0;
  for (const seg of sealed) {
    const isDirty = seg.nextOffset > firstDirty;
    if (isDirty && config.minCompactionLagMs > 0 && Number(seg.maxTimestamp) > nowMs - config.minCompactionLagMs) break;
    cleanable.push(seg);
    total += seg.size;
    if (isDirty) dirty += seg.size;
  }
  if (dirty === 0) return result;
  const cleanableEnd = cleanable.at(-1)!.nextOffset;
  // Held back by an open transaction with nothing sealed since: nothing new can be decided, whatever the lag.
  const held = heldAt.get(log);
  if (held !== undefined && held.checkpoint === checkpoint && held.cleanableEnd === cleanableEnd) return result;
  const overdue = await pastMaxCompactionLag(log, sealed, firstDirty, nowMs);
  if (!overdue && !(dirty / total > config.minCleanableDirtyRatio)) return result;
  await initCompression();
  const throttle = new Throttle(cfg.ioMaxBytesPerSecond);
  const ioBuffer = cfg.ioBufferBytes ?? CLEANER_DEFAULTS.ioBufferBytes;
  const limits: ReadLimits = { bufferBytes: Math.max(1, Math.floor(ioBuffer / 2)), maxBatchBytes: config.maxMessageBytes };
  const plan = new CleanPlan(new OffsetMap(cfg.dedupeBufferBytes ?? CLEANER_DEFAULTS.dedupeBufferBytes), firstDirty, {
    loadFactor: cfg.loadFactor ?? CLEANER_DEFAULTS.loadFactor,
  });
  await buildKeyMap(cleanable, plan, limits, throttle);
  result.mapEntries = plan.map.size;
  result.mapBytes = plan.map.bytes;
  result.mapFull = plan.full;

  const state = new RewriteState(plan, { nowMs, deleteRetentionMs: config.deleteRetentionMs });
  for (const seg of cleanable) {
    if (seg.baseOffset >= plan.end) break;
    if (seg.deleted) continue;
    const cleaned = await rewriteSegment(log, seg, state, limits, throttle);
    if (cleaned === undefined) continue;
    if (await log.replaceWithSwap(seg)) {
      result.segmentsCleaned++;
      result.bytesBefore += cleaned.before;
      result.bytesAfter += cleaned.after;
    }
  }

  // Everything below the new checkpoint is decided: an open transaction's batches are seen again, with their
  // marker, by a later clean. Only when the map fills before anything past the transaction fits does the
  // checkpoint pass it (its batches then stay whole for good), so that cleaning always moves on.
  const undecided = plan.firstUndecided();
  let next = undecided !== undefined && undecided < plan.end ? undecided : plan.end;
  if (next <= firstDirty && plan.full) next = plan.end;
  // A full map means more to do next time; otherwise, with an open transaction, wait for a new sealed segment.
  if (undecided !== undefined && !plan.full) heldAt.set(log, { checkpoint: next, cleanableEnd });
  else heldAt.delete(log);
  // Only while the log is open: a deleted topic's directory may already belong to a new one of its name.
  if (next > checkpoint && log.isOpen) {
    log.cleanedUpTo = next;
    await writeCleanerCheckpoint(log.dir, next);
  }
  return result;
}

/** KIP-354: a dirty sealed segment whose first batch is older than max.compaction.lag.ms must be cleaned now. */
async function pastMaxCompactionLag(log: PartitionLog, sealed: readonly LogSegment[], firstDirty: bigint, nowMs: number): Promise<boolean> {
  const lag = log.config.maxCompactionLagMs;
  if (!Number.isFinite(lag) || lag >= Number.MAX_SAFE_INTEGER) return false;
  for (const seg of sealed) {
    if (seg.nextOffset <= firstDirty || seg.size < BATCH_HEADER_SIZE) continue;
    let first = firstBatchTimestamps.get(seg);
    if (first === undefined) {
      first = Number(readBatchHeader(await seg.read(0, BATCH_HEADER_SIZE)).maxTimestamp);
      firstBatchTimestamps.set(seg, first);
    }
    // Kafka skips segments without a record timestamp (-1).
    if (first > 0 && first < nowMs - Math.max(0, lag)) return true;
  }
  return false;
}

/** Pass 1: the dirty part's batches into the plan, until the cleanable range ends or the map is full. */
async function buildKeyMap(cleanable: readonly LogSegment[], plan: CleanPlan, limits: ReadLimits, throttle: Throttle): Promise<void> {
  const budget = new YieldBudget();
  for (const seg of cleanable) {
    if (seg.nextOffset <= plan.start) continue;
    // Start at the batch holding the first dirty offset (an index lookup), not at the segment's start.
    const from = seg.baseOffset >= plan.start ? 0 : ((await seg.findBatch(plan.start))?.position ?? 0);
    for await (const { raw } of segmentBatches(seg, limits, throttle, from)) {
      const more = plan.addBatch(raw);
      await budget.spend(raw.length, raw.readInt32BE(BATCH_OFFSET.recordCount));
      if (!more) {
        plan.finish();
        return;
      }
    }
    plan.endSegment(seg.nextOffset);
  }
  plan.finish();
}

/**
 * Pass 2 for one segment: its batches through the filter. The `.cleaned` file is only started at the first
 * batch that changes (the unchanged ones before it are then copied), so a segment with nothing to remove
 * costs a read and no write. Returns undefined when nothing changed, else the sizes, with the swap written.
 */
async function rewriteSegment(
  log: PartitionLog,
  seg: LogSegment,
  state: RewriteState,
  limits: ReadLimits,
  throttle: Throttle,
): Promise<{ before: number; after: number } | undefined> {
  const budget = new YieldBudget();
  let out: CleanedFile | undefined;
  try {
    for await (const { raw, position } of segmentBatches(seg, limits, throttle)) {
      const kept = state.filter(raw);
      await budget.spend(raw.length, raw.readInt32BE(BATCH_OFFSET.recordCount));
      if (out === undefined) {
        if (kept === raw) continue;
        out = await CleanedFile.create(log.dir, seg.baseOffset, limits.bufferBytes, (n) => throttle.account(n));
        // The unchanged batches before this one, copied through the same bounded reads.
        for await (const before of segmentBatches(seg, limits, throttle)) {
          if (before.position >= position) break;
          await out.append(before.raw);
        }
      }
      if (kept !== null) await out.append(kept);
    }
    if (out === undefined) return undefined;
    await out.commit();
    return { before: seg.size, after: out.size };
  } catch (e) {
    await out?.discard();
    throw e;
  }
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
    const sum = emptyResult();
    for (const log of this.logs()) {
      if (this.stopped) break;
      try {
        const r = await cleanPartition(log, this.cfg, nowMs);
        sum.segmentsCleaned += r.segmentsCleaned;
        sum.bytesBefore += r.bytesBefore;
        sum.bytesAfter += r.bytesAfter;
        sum.mapEntries = Math.max(sum.mapEntries, r.mapEntries);
        sum.mapBytes = Math.max(sum.mapBytes, r.mapBytes);
        sum.mapFull ||= r.mapFull;
        if (r.segmentsCleaned > 0 || r.mapFull) this.logger?.info({ topic: log.topic, partition: log.partition, ...r }, 'compacted');
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
