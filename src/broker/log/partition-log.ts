/**
 * The log of one topic partition: an ordered list of segments, the last one active.
 *
 * Appends are validated at once, then ordered through a promise chain: roll if needed, reserve the file
 * position and the offsets, stamp them in place and start one write, with up to two writes in flight. Writes
 * commit in log order; the high watermark (== log end offset: there is no replication) moves only over
 * writes that are done (with fsync=always, synced), and readers never see bytes past it. A failed write fails
 * every write after it, and the file is cut back to the committed bytes once none is left in flight. Reads run concurrently
 * with appends and with each other: they locate the batch through the sparse index and read one exact
 * byte range. Retention and DeleteRecords share the append chain because they change the segment list.
 */
import fs from 'node:fs/promises';
import { fsyncDir } from './atomic-file.js';
import { validateAppend, stampBatches } from './append-validation.js';
import { type BatchSummary, summarizeHeader, wholeBatches } from './batch-summary.js';
import { BATCH_HEADER_SIZE } from '../../protocol/batch-header.js';
import { StorageError } from './errors.js';
import { lastAtOrBefore } from './last-at-or-before.js';
import { MAX_RELATIVE_OFFSET } from './offset-index.js';
import { type LogConfig, maxSegmentMs } from './log-config.js';
import { type PartitionState, writePartitionState } from './partition-state.js';
import { firstRecordAtOrAfter } from './record-timestamps.js';
import { loadPartition, recoverSegment } from './recovery.js';
import { discardSwap, installSwap } from './cleaner/swap-files.js';
import { retentionPrefix } from './retention.js';
import type { ReadBuffers } from './read-buffers.js';
import { LogSegment, type SegmentEnv } from './segment.js';

export interface AppendOptions {
  /** Stamp batches with the broker clock; defaults to the topic's message.timestamp.type. */
  logAppendTime?: boolean;
  /** The broker clock in ms (tests); defaults to Date.now(). */
  now?: bigint;
  /**
   * The batches were sealed by EventBatchBuilder in this process and reached the log without crossing a
   * socket (the in-process link): their CRC32C is not recomputed. Everything else is still validated.
   */
  sealedInProcess?: boolean;
}

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  /** The stamped time under LogAppendTime, else -1. */
  logAppendTime: bigint;
  logStartOffset: bigint;
}

export interface ReadOptions {
  /** Return the first batch even if it exceeds maxBytes (Kafka does for the first partition of a fetch). Default true. */
  minOneBatch?: boolean;
  /** Where the bytes are read to (default: a fresh buffer); the caller returns `records` to it when done. */
  buffers?: ReadBuffers;
}

export interface ReadResult {
  /** Whole batches starting with the one holding the requested offset; null when there is nothing to return. */
  records: Buffer | null;
  highWatermark: bigint;
  logStartOffset: bigint;
}

export interface TimestampAndOffset {
  offset: bigint;
  timestamp: bigint;
}

/** Read positions remembered per partition (one per recently active consumer). */
const MAX_READ_HINTS = 64;

interface ReadHint {
  segment: LogSegment;
  position: number;
}

/**
 * Writes of one partition in flight at once. With one, a 1 MiB append waited alone for its thread-pool
 * round trip and the next sat idle behind it (a single producer reached ~1× a plain file append); with two
 * the next write is already queued when one finishes. More gains little on this path and holds more
 * request memory per partition.
 */
const MAX_WRITES_IN_FLIGHT = 2;

/** Appends up to this size are kept in memory as the log's tail (a copy: the request's memory is reused). */
const TAIL_MAX_BYTES = 64 * 1024;

interface TailAppend {
  segment: LogSegment;
  /** Where the append starts in the segment file. */
  position: number;
  bytes: Buffer;
  /** The append's batches, positions relative to `bytes`, offsets as stamped. */
  batches: readonly BatchSummary[];
}

interface Waiter {
  after: bigint;
  resolve: () => void;
}

export class PartitionLog {
  private segments: LogSegment[];
  private hw: bigint;
  private lso: bigint;
  private recoveryPoint: bigint;
  private persistedState: PartitionState | undefined;
  /**
   * Appends, rolls, retention and DeleteRecords, one at a time. An append's step ends once its write has
   * started; the other steps first wait for the writes in flight (drainWrites).
   */
  private chain: Promise<unknown> = Promise.resolve();
  /** Settle (never reject) once the write, and every earlier one, committed or failed; oldest first. */
  private readonly writesInFlight: Promise<void>[] = [];
  /** The newest entry of writesInFlight (or a resolved promise): awaiting it drains every write. */
  private lastWrite: Promise<void> = Promise.resolve();
  /** Why a write failed, while the writes after it settle and the last one cuts the file back. */
  private writeFailure: unknown;
  /** File position in the active segment after the last reserved write (== its size when none is in flight). */
  private writeEnd: number;
  /** The offset after the last reserved write (== the high watermark when none is in flight). */
  private nextOffset: bigint;
  /** Index entries the writes in flight may still add on commit (rolls keep room for them). */
  private indexEntriesInFlight = 0;
  /** fsyncs and checkpoint writes, off the append path. */
  private background: Promise<unknown> = Promise.resolve();
  private backgroundError: unknown;
  private readonly waiters = new Set<Waiter>();
  /** Keyed by the offset right after where a read ended. */
  private readonly readHints = new Map<bigint, ReadHint>();
  /** A copy of the latest append when it was small, for tailing consumers (see `readTail`). */
  private tail: TailAppend | undefined;
  /** Called after every append (parked fetches); a Set, so unsubscribing is O(1), not a scan. */
  private readonly appendListeners = new Set<(highWatermark: bigint) => void>();
  private closed: 'open' | 'closed' | 'deleted' = 'open';
  /** Set when a failed write could not be undone: appends are refused until the log is reopened. */
  private offline: string | undefined;

  private constructor(
    readonly topic: string,
    readonly partition: number,
    readonly dir: string,
    private cfg: LogConfig,
    private readonly env: SegmentEnv,
    segments: LogSegment[],
    state: PartitionState,
  ) {
    this.segments = segments;
    const last = segments.at(-1)!;
    this.hw = last.nextOffset;
    this.nextOffset = this.hw;
    this.writeEnd = last.size;
    const first = segments[0]!.baseOffset;
    this.lso = state.logStartOffset > first ? state.logStartOffset : first;
    if (this.lso > this.hw) this.lso = this.hw;
    this.recoveryPoint = state.recoveryPoint < this.hw ? state.recoveryPoint : this.hw;
  }

  /** Opens (and recovers unless `clean`) the partition directory, creating it if needed. */
  static async open(args: {
    dir: string;
    topic: string;
    partition: number;
    config: LogConfig;
    env: SegmentEnv;
    clean: boolean;
  }): Promise<PartitionLog> {
    const loaded = await loadPartition(args.dir, { clean: args.clean, indexing: args.config, env: args.env });
    const log = new PartitionLog(args.topic, args.partition, args.dir, args.config, args.env, loaded.segments, loaded.state);
    log.loadStats = { recoveredSegments: loaded.recoveredSegments, truncatedBytes: loaded.truncatedBytes };
    // The recovery point stays where it was: recovered bytes may still be only in the page cache, and the
    // next flush (roll, interval, close) moves it. What was read is what a reopen would read again (a missing
    // file reads as zeros), so it is rewritten only if it changed: a new partition costs no checkpoint write.
    log.persistedState = loaded.state;
    await log.writeState();
    return log;
  }

  /** What opening did: segments validated by recovery and bytes cut off (for the broker's log line). */
  loadStats: { recoveredSegments: number; truncatedBytes: number } = { recoveredSegments: 0, truncatedBytes: 0 };

  get config(): LogConfig {
    return this.cfg;
  }

  /** New topic configs take effect for the next append, roll and retention run. */
  setConfig(config: LogConfig): void {
    this.cfg = config;
  }

  /** One past the last readable offset (== log end offset: no replication). */
  get highWatermark(): bigint {
    return this.hw;
  }

  get logEndOffset(): bigint {
    return this.hw;
  }

  get logStartOffset(): bigint {
    return this.lso;
  }

  /** Bytes of all segments. */
  get sizeInBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first (tests, DescribeLogDirs). */
  segmentBaseOffsets(): bigint[] {
    return this.segments.map((s) => s.baseOffset);
  }

  // ---- append -----------------------------------------------------------------------------------------

  /**
   * Validates the concatenated v2 batches in `batches`, assigns them the next offsets (rewriting the
   * buffer in place), appends them with one write and resolves once they are readable. Rejects with a
   * StorageError with the Kafka code: CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE,
   * UNSUPPORTED_FOR_MESSAGE_FORMAT, INVALID_RECORD, KAFKA_STORAGE_ERROR.
   */
  append(batches: Buffer, opts: AppendOptions = {}): Promise<AppendResult> {
    try {
      return this.beginAppend(batches, opts);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * As `append`, but a payload that fails validation throws at once, before anything is queued: the
   * group-commit layer (append-coalescer.ts) then retries a group's members alone and still keeps their
   * order, since nothing else was queued in between. `batches` must stay untouched until the promise settles.
   */
  beginAppend(batches: Buffer, opts: AppendOptions = {}): Promise<AppendResult> {
    this.ensureWritable();
    const parsed = validateAppend(batches, this.cfg.maxMessageBytes, opts.sealedInProcess !== true);
    if (batches.length > this.cfg.segmentBytes) {
      throw new StorageError(
        'RECORD_LIST_TOO_LARGE',
        `${batches.length} bytes of batches exceed segment.bytes=${this.cfg.segmentBytes}; send fewer records per request`,
      );
    }
    // The chain step ends once the write is started (a holder, so the promise inside is not awaited there).
    return this.serialize(() => this.startWrite(batches, parsed, opts)).then((started) => started.done);
  }

  /**
   * In the append chain: waits for room (fewer than MAX_WRITES_IN_FLIGHT writes, no failed write being cut),
   * rolls if needed (after the writes in flight completed), then synchronously reserves the file position
   * and the offsets, stamps the batches and starts their write. The returned `done` settles after every
   * earlier write settled: commits, and so the high watermark, advance strictly in log order.
   */
  private async startWrite(batches: Buffer, parsed: BatchSummary[], opts: AppendOptions): Promise<{ done: Promise<AppendResult> }> {
    let offsets = 0n;
    for (const b of parsed) offsets += b.lastOffset - b.baseOffset + 1n;
    let now: bigint;
    for (;;) {
      this.ensureWritable();
      const inFlight = this.writesInFlight.length;
      if (inFlight >= MAX_WRITES_IN_FLIGHT || (inFlight > 0 && this.writeFailure !== undefined)) {
        await this.writesInFlight[0];
        continue;
      }
      now = opts.now ?? BigInt(Date.now());
      if (!this.needsRoll(batches.length, parsed.length, this.nextOffset + offsets - 1n, Number(now))) break;
      if (inFlight > 0) await this.lastWrite; // the old segment's writes commit before it is sealed
      else await this.roll();
    }
    // From here to the write's start nothing awaits: the reservation and the write order are the same.
    const logAppendTime = opts.logAppendTime ?? this.cfg.logAppendTime;
    const baseOffset = this.nextOffset;
    stampBatches(batches, parsed, baseOffset, logAppendTime ? now : undefined);
    const lastOffset = parsed.at(-1)!.lastOffset;
    const active = this.active;
    const position = this.writeEnd;
    const indexEntries = active.indexEntriesAtMost(parsed.length, batches.length);
    this.writeEnd = position + batches.length;
    this.nextOffset = lastOffset + 1n;
    this.indexEntriesInFlight += indexEntries;
    const written = active.writeAt(batches, position, this.cfg.fsync === 'always');
    const previous = this.lastWrite;
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    this.writesInFlight.push(settled);
    this.lastWrite = settled;
    const done = (async (): Promise<AppendResult> => {
      let failed: unknown;
      try {
        await written;
      } catch (e) {
        failed = e;
      }
      await previous; // never rejects: commits happen in log order
      try {
        // A write after a failed one fails too, even if its own bytes landed: the log has a hole before them.
        failed = this.writeFailure ?? failed;
        if (failed !== undefined) {
          this.writeFailure = failed;
          // The last write in flight cuts the file back to what was committed, once nothing else can land.
          if (this.writesInFlight.length === 1) await this.cutFailedWrites(active);
          throw storageError(`appending to ${this.topic}-${this.partition}`, failed);
        }
        active.commit(parsed, batches.length, Number(now));
        this.tail = batches.length <= TAIL_MAX_BYTES ? { segment: active, position, bytes: Buffer.from(batches), batches: parsed } : undefined;
        this.hw = lastOffset + 1n;
        // Synced before it became visible; the checkpoint file catches up on the next state write.
        if (this.cfg.fsync === 'always') this.recoveryPoint = this.hw;
        this.wakeWaiters();
        return { baseOffset, lastOffset, logAppendTime: logAppendTime ? now : -1n, logStartOffset: this.lso };
      } finally {
        this.indexEntriesInFlight -= indexEntries;
        this.writesInFlight.shift(); // this one: every earlier write settled before it
        settle();
      }
    })();
    return { done };
  }

  /**
   * After failed writes, with none left in flight: truncates the active segment back to its committed bytes
   * and resets the reservation to the high watermark, so the next append lands right after the last
   * acknowledged one. If the truncation fails the partition goes offline (recovery cuts it on restart).
   */
  private async cutFailedWrites(active: LogSegment): Promise<void> {
    await active.cutToCommitted();
    if (active.damaged) this.offline = `a failed write to ${active.paths.log} could not be rolled back`;
    this.writeEnd = active.size;
    this.nextOffset = this.hw;
    this.writeFailure = undefined;
  }

  /** Resolves once every write started so far has settled (for chain steps that change the segment list). */
  private drainWrites(): Promise<void> {
    return this.lastWrite;
  }

  private get active(): LogSegment {
    return this.segments.at(-1)!;
  }

  private ensureWritable(): void {
    if (this.closed === 'deleted') throw new StorageError('UNKNOWN_TOPIC_OR_PARTITION', `${this.topic}-${this.partition} was deleted`);
    if (this.closed === 'closed') throw new StorageError('KAFKA_STORAGE_ERROR', `${this.topic}-${this.partition} is closed`);
    if (this.offline !== undefined) {
      throw new StorageError('KAFKA_STORAGE_ERROR', `${this.topic}-${this.partition} is offline: ${this.offline}; restart the broker to recover it`);
    }
  }

  /** Whether an append of `bytes` in `batches` batches ending at `lastOffset` must go to a new segment. */
  private needsRoll(bytes: number, batches: number, lastOffset: bigint, nowMs: number): boolean {
    const a = this.active;
    if (this.writeEnd === 0) return false;
    const full = this.writeEnd + bytes > this.cfg.segmentBytes;
    const old = a.firstAppendMs !== undefined && nowMs - a.firstAppendMs >= maxSegmentMs(this.cfg);
    const offsetsOverflow = lastOffset - a.baseOffset > MAX_RELATIVE_OFFSET;
    const indexFull = !a.indexHasRoomFor(this.indexEntriesInFlight + a.indexEntriesAtMost(batches, bytes));
    return full || old || offsetsOverflow || indexFull;
  }

  /** Starts a new active segment at the log end; the old one is sealed (flushed) in the background. */
  private async roll(): Promise<void> {
    const old = this.active;
    let fresh: LogSegment;
    try {
      fresh = await LogSegment.create(this.dir, this.hw, this.cfg, this.env);
      await fsyncDir(this.dir);
    } catch (e) {
      throw storageError(`rolling a segment of ${this.topic}-${this.partition}`, e);
    }
    this.segments = [...this.segments, fresh];
    this.writeEnd = 0;
    const newRecoveryPoint = fresh.baseOffset;
    // Not awaited: a failure is kept in backgroundError (close() reports it and skips the clean marker).
    this.inBackground(async () => {
      await old.seal();
      if (newRecoveryPoint > this.recoveryPoint) this.recoveryPoint = newRecoveryPoint;
      await this.writeState();
    }).catch(() => undefined);
  }

  // ---- read -------------------------------------------------------------------------------------------

  /**
   * Whole batches from the one holding `offset`, up to `maxBytes` (at least one batch unless
   * `minOneBatch` is false). `offset == highWatermark` returns null records; outside
   * [logStartOffset, highWatermark] throws OFFSET_OUT_OF_RANGE.
   */
  async read(offset: bigint, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    // A segment swapped by the cleaner during the read may have been read at its old positions (or failed
    // there): wait for the swap to finish, then read again.
    for (;;) {
      if (this.swapping !== undefined) await this.swapping;
      const generation = this.cleanGeneration;
      let result: ReadResult;
      try {
        result = await this.readOnce(offset, maxBytes, opts);
      } catch (e) {
        if (generation !== this.cleanGeneration) continue;
        throw e;
      }
      if (generation === this.cleanGeneration) return result;
      if (result.records !== null) opts.buffers?.release(result.records);
    }
  }

  private async readOnce(offset: bigint, maxBytes: number, opts: ReadOptions): Promise<ReadResult> {
    const highWatermark = this.hw;
    const logStartOffset = this.lso;
    const empty = { records: null, highWatermark, logStartOffset };
    if (offset < logStartOffset || offset > highWatermark) {
      throw new StorageError(
        'OFFSET_OUT_OF_RANGE',
        `offset ${offset} of ${this.topic}-${this.partition} is outside the log [${logStartOffset}, ${highWatermark}]; reset to earliest or latest`,
      );
    }
    if (offset === highWatermark) return empty;
    const fromTail = this.readTail(offset, maxBytes, opts, highWatermark, logStartOffset);
    if (fromTail !== undefined) return fromTail;
    const segments = this.segments;
    const hint = this.takeReadHint(offset, segments);
    const buffers = opts.buffers;
    let seg: LogSegment | undefined = hint?.segment;
    try {
      if (hint !== undefined) {
        // A consumer continuing where its last fetch ended: one read, no index lookup.
        let data = await hint.segment.read(hint.position, Math.max(BATCH_HEADER_SIZE, Math.min(maxBytes, hint.segment.size - hint.position)), buffers);
        const first = summarizeHeader(data, 0, data.length);
        if (first !== undefined && first.baseOffset <= offset && offset <= first.lastOffset) {
          if (first.size > data.length) {
            buffers?.release(data);
            if (opts.minOneBatch === false) return empty;
            data = await hint.segment.read(hint.position, first.size, buffers);
          }
          return this.readResult(hint.segment, hint.position, data, highWatermark, logStartOffset, buffers);
        }
        buffers?.release(data);
      }
      for (let i = segmentIndexFor(segments, offset); i < segments.length; i++) {
        seg = segments[i]!;
        const batch = await seg.findBatch(offset);
        if (batch === undefined) continue;
        if (batch.size > maxBytes && opts.minOneBatch === false) return empty;
        const length = Math.max(batch.size, Math.min(maxBytes, seg.size - batch.position));
        const data = await seg.read(batch.position, length, buffers);
        return this.readResult(seg, batch.position, data, highWatermark, logStartOffset, buffers);
      }
    } catch (e) {
      if (seg?.deleted) {
        throw new StorageError('OFFSET_OUT_OF_RANGE', `offset ${offset} of ${this.topic}-${this.partition} was deleted by retention while being read`);
      }
      throw storageError(`reading ${this.topic}-${this.partition}`, e);
    }
    return empty;
  }

  /**
   * Serves a read from the copy of the latest append when that append ends the log and holds `offset`: a
   * consumer woken by the append it waited for gets it without a file read (one thread-pool round trip
   * less on the long-poll path). The same whole batches, limits and read hint as a read from the file.
   */
  private readTail(offset: bigint, maxBytes: number, opts: ReadOptions, highWatermark: bigint, logStartOffset: bigint): ReadResult | undefined {
    const tail = this.tail;
    if (tail === undefined || tail.segment.deleted) return undefined;
    const batches = tail.batches;
    const last = batches[batches.length - 1]!;
    if (last.lastOffset + 1n !== highWatermark || offset < batches[0]!.baseOffset) return undefined;
    let i = 0;
    while (batches[i]!.lastOffset < offset) i++;
    const first = batches[i]!;
    if (first.size > maxBytes && opts.minOneBatch === false) return { records: null, highWatermark, logStartOffset };
    let end = first.position + first.size;
    let next = first.lastOffset + 1n;
    for (let j = i + 1; j < batches.length; j++) {
      const b = batches[j]!;
      if (b.position + b.size - first.position > maxBytes) break;
      end = b.position + b.size;
      next = b.lastOffset + 1n;
    }
    if (this.readHints.size >= MAX_READ_HINTS) this.readHints.delete(this.readHints.keys().next().value!);
    this.readHints.set(next, { segment: tail.segment, position: tail.position + end });
    return { records: tail.bytes.subarray(first.position, end), highWatermark, logStartOffset };
  }

  /** Trims `data` (read at `position` of `seg`) to whole batches and remembers where the next read starts. */
  private readResult(seg: LogSegment, position: number, data: Buffer, highWatermark: bigint, logStartOffset: bigint, buffers?: ReadBuffers): ReadResult {
    const { length, nextOffset } = wholeBatches(data);
    if (length === 0) {
      buffers?.release(data);
      return { records: null, highWatermark, logStartOffset };
    }
    if (this.readHints.size >= MAX_READ_HINTS) this.readHints.delete(this.readHints.keys().next().value!);
    this.readHints.set(nextOffset, { segment: seg, position: position + length });
    return { records: data.subarray(0, length), highWatermark, logStartOffset };
  }

  /** The position a previous read ended at, if it ended exactly before `offset` and is still valid. */
  private takeReadHint(offset: bigint, segments: readonly LogSegment[]): ReadHint | undefined {
    const hint = this.readHints.get(offset);
    if (hint === undefined) return undefined;
    this.readHints.delete(offset);
    if (hint.segment.deleted) return undefined;
    if (hint.position < hint.segment.size) return hint;
    // The previous read ended a segment: the next one starts at this offset if the log rolled there.
    const next = segments[segments.indexOf(hint.segment) + 1];
    return next !== undefined && next.baseOffset === offset && next.size > 0 ? { segment: next, position: 0 } : undefined;
  }

  /** Resolves once the high watermark is above `afterOffset`, or when `signal` aborts or the log closes. */
  waitForData(afterOffset: bigint, signal?: AbortSignal): Promise<void> {
    if (this.hw > afterOffset || this.closed !== 'open' || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter: Waiter = {
        after: afterOffset,
        resolve: () => {
          this.waiters.delete(waiter);
          signal?.removeEventListener('abort', waiter.resolve);
          resolve();
        },
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', waiter.resolve, { once: true });
    });
  }

  /** Calls `listener(highWatermark)` after every append; returns the unsubscribe. */
  onAppend(listener: (highWatermark: bigint) => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  private wakeWaiters(): void {
    for (const w of this.waiters) if (this.hw > w.after) w.resolve();
    // A listener that unsubscribes others while being called (a fetch parked on several partitions) is fine:
    // entries deleted during iteration are skipped.
    for (const listener of this.appendListeners) listener(this.hw);
  }

  // ---- ListOffsets ------------------------------------------------------------------------------------

  earliestOffset(): bigint {
    return this.lso;
  }

  latestOffset(): bigint {
    return this.hw;
  }

  /** The first record with timestamp >= `timestamp` (at or after the log start), or undefined if none. */
  async offsetForTimestamp(timestamp: bigint): Promise<TimestampAndOffset | undefined> {
    return this.findByTimestamp(this.segments, timestamp);
  }

  /** The first record carrying the largest timestamp in the log (ListOffsets MAX_TIMESTAMP), or undefined. */
  async maxTimestamp(): Promise<TimestampAndOffset | undefined> {
    const segments = this.segments;
    let best: LogSegment | undefined;
    for (const s of segments) if (!s.isEmpty && s.nextOffset > this.lso && (best === undefined || s.maxTimestamp > best.maxTimestamp)) best = s;
    if (best === undefined || best.maxTimestamp < 0n) return undefined;
    return this.findByTimestamp(segments.slice(segments.indexOf(best)), best.maxTimestamp);
  }

  private async findByTimestamp(segments: readonly LogSegment[], timestamp: bigint): Promise<TimestampAndOffset | undefined> {
    for (const seg of segments) {
      if (seg.isEmpty || seg.maxTimestamp < timestamp || seg.nextOffset <= this.lso) continue;
      const batch = await seg.findBatchByTimestamp(timestamp);
      if (batch === undefined || batch.lastOffset < this.lso) continue;
      const found = await firstRecordAtOrAfter(await seg.read(batch.position, batch.size), timestamp, this.cfg.maxMessageBytes);
      return { offset: found.offset < this.lso ? this.lso : found.offset, timestamp: found.timestamp };
    }
    return undefined;
  }

  // ---- DeleteRecords and retention --------------------------------------------------------------------

  /**
   * Advances the log start offset to `offset` (DeleteRecords; persisted before resolving) and deletes the
   * segments wholly below it. Returns the new log start offset (the low watermark).
   */
  deleteRecordsBefore(offset: bigint): Promise<bigint> {
    return this.serialize(async () => {
      await this.drainWrites();
      if (offset > this.hw || offset < 0n) {
        throw new StorageError('OFFSET_OUT_OF_RANGE', `cannot delete records before ${offset}: the log ends at ${this.hw}`);
      }
      if (offset > this.lso) {
        this.lso = offset;
        await this.deletePrefix(retentionPrefix(this.retentionViews(), { retentionMs: -1, retentionBytes: -1 }, 0, this.lso));
        await this.inBackground(() => this.writeState());
      }
      return this.lso;
    });
  }

  /** Deletes segments past retention.ms / retention.bytes; returns how many. The broker calls it on a timer. */
  runRetention(nowMs: number = Date.now()): Promise<number> {
    return this.serialize(async () => {
      await this.drainWrites();
      if (this.closed !== 'open') return 0;
      const count = retentionPrefix(await this.retentionViewsWithMtime(), this.cfg, nowMs, this.lso);
      if (count > 0) {
        await this.deletePrefix(count);
        await this.inBackground(() => this.writeState());
      }
      return count;
    });
  }

  private retentionViews(): { size: number; largestTimestampMs: number; nextOffset: bigint }[] {
    return this.segments.map((s) => ({ size: s.size, largestTimestampMs: Number(s.maxTimestamp), nextOffset: s.nextOffset }));
  }

  private async retentionViewsWithMtime(): Promise<{ size: number; largestTimestampMs: number; nextOffset: bigint }[]> {
    const views = this.retentionViews();
    for (let i = 0; i < views.length - 1; i++) {
      // Kafka falls back to the file's modification time for segments without record timestamps.
      if (views[i]!.largestTimestampMs < 0) views[i]!.largestTimestampMs = (await fs.stat(this.segments[i]!.paths.log)).mtimeMs;
    }
    return views;
  }

  private async deletePrefix(count: number): Promise<void> {
    if (count === 0) return;
    const doomed = this.segments.slice(0, count);
    this.segments = this.segments.slice(count);
    const first = this.segments[0]!.baseOffset;
    if (first > this.lso) this.lso = first;
    // A rolled segment is sealed in the background, which reopens its file through the handle cache:
    // let that finish first, or it would find the file gone (ENOENT) or recreate its index files.
    await this.background.catch(() => undefined);
    for (const seg of doomed) await seg.delete();
  }

  // ---- compaction (the cleaner in ./cleaner drives these) ------------------------------------------------

  /** Bumped when the cleaner starts and ends a swap; reads that straddle a swap run again. */
  private cleanGeneration = 0;
  /** Set while a swap replaces a segment's files: reads wait for it rather than read a file being replaced. */
  private swapping: Promise<void> | undefined;
  /** Offsets below this were compacted (the cleaner's dirty-ratio checkpoint; undefined until it read its file). */
  cleanedUpTo: bigint | undefined;

  /** Not closed or deleted (a recreated topic of the same name is another PartitionLog). */
  get isOpen(): boolean {
    return this.closed === 'open';
  }

  /** The sealed segments, oldest first (never the active one). */
  inactiveSegments(): readonly LogSegment[] {
    return this.closed === 'open' ? this.segments.slice(0, -1) : [];
  }

  /**
   * Replaces `old` by the swap file the cleaner wrote for it (see cleaner/swap-files.ts), in the append chain
   * so retention and DeleteRecords never see half a swap. False (and the swap removed) when `old` is gone.
   */
  replaceWithSwap(old: LogSegment): Promise<boolean> {
    return this.serialize(async () => {
      await this.drainWrites();
      const i = this.segments.indexOf(old);
      if (this.closed !== 'open' || i < 0 || i === this.segments.length - 1 || old.deleted) {
        await discardSwap(this.dir, old.baseOffset);
        return false;
      }
      // Let a background seal of this segment finish before its files change under it.
      await this.background.catch(() => undefined);
      let swapped!: () => void;
      this.swapping = new Promise<void>((resolve) => (swapped = resolve));
      this.cleanGeneration++;
      await old.close();
      old.deleted = true;
      this.readHints.clear();
      try {
        await installSwap(this.dir, old.baseOffset);
        // A read of the old segment between its close and the rename may have cached a handle of the old
        // file under the same path: drop it, or the new segment would read the old bytes through it.
        await old.close();
        const fresh = new LogSegment(this.dir, old.baseOffset, this.cfg, this.env);
        fresh.size = (await fs.stat(fresh.paths.log)).size;
        await recoverSegment(fresh, i > 0 ? this.segments[i - 1]!.nextOffset : fresh.baseOffset);
        await fresh.persistIndexes(true);
        this.segments = this.segments.map((s) => (s === old ? fresh : s));
        this.env.residency.touch(fresh);
      } catch (e) {
        // The swap is durable: a restart completes it. Until then this partition cannot be trusted for writes.
        this.offline = `a compaction swap of ${old.paths.log} failed (${String(e)})`;
        throw storageError(`swapping a compacted segment of ${this.topic}-${this.partition}`, e);
      } finally {
        this.cleanGeneration++;
        this.swapping = undefined;
        swapped();
      }
      return true;
    });
  }

  // ---- durability -------------------------------------------------------------------------------------

  /** Forces everything appended so far to disk and advances the recovery point. */
  flush(): Promise<void> {
    return this.inBackground(async () => {
      const upTo = this.hw;
      const segments = this.segments;
      for (const s of segments) await s.sync();
      if (upTo > this.recoveryPoint) this.recoveryPoint = upTo;
      await this.writeState();
    });
  }

  /** Flushes, seals the active segment and closes every file. Pending appends finish first. */
  async close(): Promise<void> {
    if (this.closed !== 'open') return;
    await this.serialize(async () => {
      await this.drainWrites();
      this.closed = 'closed';
      await this.inBackground(async () => {
        await this.active.seal();
        this.recoveryPoint = this.hw;
        await this.writeState();
      });
      for (const s of this.segments) await s.close();
    });
    this.releaseWaiters();
    if (this.backgroundError !== undefined) throw storageError(`closing ${this.topic}-${this.partition}`, this.backgroundError);
  }

  /**
   * Closes every file without flushing or checkpointing, leaving the directory as a crash would (the
   * page cache aside). For crash tests; the next open recovers.
   */
  async abandon(): Promise<void> {
    if (this.closed !== 'open') return;
    this.closed = 'closed';
    await this.closeUnflushed();
  }

  /**
   * Closes without flushing, for topic deletion (the LogManager then renames the directory away). Appends
   * from now on get UNKNOWN_TOPIC_OR_PARTITION; in-flight ones finish first.
   */
  async closeForDeletion(): Promise<void> {
    this.closed = 'deleted';
    await this.closeUnflushed();
  }

  /** Lets queued work settle, then closes the segment files without flushing and wakes every waiter. */
  private async closeUnflushed(): Promise<void> {
    await this.chain.catch(() => undefined);
    await this.drainWrites();
    await this.background.catch(() => undefined);
    for (const s of this.segments) await s.close();
    this.releaseWaiters();
  }

  private releaseWaiters(): void {
    for (const w of this.waiters) w.resolve();
    this.appendListeners.clear();
  }

  private async writeState(): Promise<void> {
    const state = { recoveryPoint: this.recoveryPoint, logStartOffset: this.lso };
    const prev = this.persistedState;
    if (prev && prev.recoveryPoint === state.recoveryPoint && prev.logStartOffset === state.logStartOffset) return;
    await writePartitionState(this.dir, state);
    this.persistedState = state;
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Runs `fn` after earlier background work; a failure is remembered and reported by close(). */
  private inBackground(fn: () => Promise<void>): Promise<void> {
    const run = this.background.then(fn);
    this.background = run.catch((e: unknown) => {
      this.backgroundError ??= e;
    });
    return run;
  }
}

/** Index of the last segment whose base offset is <= `offset` (0 if none). */
function segmentIndexFor(segments: readonly LogSegment[], offset: bigint): number {
  return Math.max(0, lastAtOrBefore(segments.length, (i) => segments[i]!.baseOffset, offset));
}

function storageError(what: string, cause: unknown): StorageError {
  if (cause instanceof StorageError) return cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const hint =
    code === 'ENOSPC'
      ? ': the disk is full; free space or lower retention'
      : code === 'EMFILE'
        ? ': the process is out of file descriptors; raise `ulimit -n`, or lower --max-open-files or --max-connections'
        : '';
  return new StorageError('KAFKA_STORAGE_ERROR', `${what} failed (${code ?? String(cause)})${hint}`, { cause });
}
