/**
 * One log segment: a `.log` file of raw record batches starting at `baseOffset`, with its sparse offset
 * and time indexes (Kafka's LogSegment). It appends pre-validated batches, finds the batch holding an
 * offset or a timestamp, and reads exact byte ranges. Loading and recovery live in recovery.ts.
 *
 * Only the committed prefix (`size` bytes) is ever read: bytes of an append in flight are invisible until
 * `commit`, which is what keeps readers at or below the high watermark.
 */
import fs from 'node:fs/promises';
import { BATCH_HEADER_SIZE } from '../../protocol/batch-header.js';
import { type BatchSummary, summarizeHeader } from './batch-summary.js';
import { segmentPaths } from './file-names.js';
import type { BorrowedHandle, HandleCache } from './handle-cache.js';
import type { IndexHolder, IndexResidency } from './index-residency.js';
import { OffsetIndex } from './offset-index.js';
import type { ReadBuffers } from './read-buffers.js';
import { readExactly, readInto, type StorageIo } from './storage-io.js';
import { TimeIndex } from './time-index.js';

/** Shared by every segment of a LogManager. */
export interface SegmentEnv {
  readonly io: StorageIo;
  readonly handles: HandleCache;
  readonly residency: IndexResidency;
}

export interface SegmentIndexing {
  indexIntervalBytes: number;
  maxIndexBytes: number;
}

/** Bytes read per step when scanning batch headers from an index position. */
const HEADER_SCAN_BLOCK = 16 * 1024;

export class LogSegment implements IndexHolder {
  readonly paths: { log: string; index: string; timeIndex: string };
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  /** Committed bytes: readers never see past this. */
  size = 0;
  /** One past the last committed offset (== baseOffset while empty). */
  nextOffset: bigint;
  /** Largest batch max-timestamp in the segment, and the base offset of that batch; -1 if none. */
  maxTimestamp = -1n;
  offsetOfMaxTimestamp = -1n;
  /** Wall-clock ms of the first append in this process (segment.ms counts from it). */
  firstAppendMs: number | undefined;
  /** Counts writes and the writes covered by the last fsync: unflushed while they differ. */
  private writes = 0;
  private syncedWrites = 0;
  deleted = false;
  private bytesSinceIndexEntry = 0;
  /** Takes appends. Its file is opened on demand through the handle cache, which closes it when idle. */
  private active = false;

  constructor(
    readonly dir: string,
    readonly baseOffset: bigint,
    private readonly indexing: SegmentIndexing,
    private readonly env: SegmentEnv,
  ) {
    this.paths = segmentPaths(dir, baseOffset);
    this.offsetIndex = new OffsetIndex(this.paths.index, baseOffset, indexing.maxIndexBytes);
    this.timeIndex = new TimeIndex(this.paths.timeIndex, baseOffset, indexing.maxIndexBytes);
    this.nextOffset = baseOffset;
  }

  /**
   * A new, empty segment whose files exist and which takes appends. If any of its files cannot be made, the
   * log file it opened is closed and the files it made are removed before the error is rethrown.
   */
  static async create(dir: string, baseOffset: bigint, indexing: SegmentIndexing, env: SegmentEnv): Promise<LogSegment> {
    const seg = new LogSegment(dir, baseOffset, indexing, env);
    seg.offsetIndex.reset();
    seg.timeIndex.reset();
    const h = await env.handles.create(seg.paths.log);
    try {
      await seg.offsetIndex.persist(false);
      await seg.timeIndex.persist(false);
    } catch (e) {
      h.release();
      env.handles.invalidate(seg.paths.log);
      await Promise.all([seg.paths.log, seg.paths.index, seg.paths.timeIndex].map((f) => fs.rm(f, { force: true }))).catch(() => undefined);
      throw e;
    }
    h.release();
    seg.active = true;
    return seg;
  }

  get isActive(): boolean {
    return this.active;
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  get indexBytes(): number {
    return this.offsetIndex.residentBytes + this.timeIndex.residentBytes;
  }

  /** Makes this (the last segment after loading) take appends at `size`; its file opens on the first one. */
  async openForAppend(): Promise<void> {
    // The active segment's indexes stay in memory (appends add to them) until it is sealed.
    this.env.residency.forget(this);
    await Promise.all([this.offsetIndex.ensureLoaded(), this.timeIndex.ensureLoaded()]);
    this.active = true;
  }

  // ---- write path -------------------------------------------------------------------------------------

  /**
   * Writes `buf` (whole, already validated and offset-stamped batches) after the committed bytes, and
   * fsyncs when `sync`. On any failure the file is truncated back to `size`, so nothing partial stays
   * behind, and the error is rethrown; if even the truncation fails, `damaged` is set. Not visible to
   * readers until `commit`.
   */
  async write(buf: Buffer, sync: boolean): Promise<void> {
    try {
      await this.writeAt(buf, this.size, sync);
    } catch (e) {
      await this.cutToCommitted();
      throw e;
    }
  }

  /**
   * Writes `buf` at `position` (at or after the committed bytes; the partition log reserves positions so
   * that two writes may be in flight) and fsyncs when `sync`. On failure nothing is undone here: the log
   * calls `cutToCommitted` once every write in flight has settled. Not visible to readers until `commit`.
   */
  async writeAt(buf: Buffer, position: number, sync: boolean): Promise<void> {
    if (!this.active) throw new Error(`segment ${this.paths.log} is not open for appends`);
    const h = await this.env.handles.acquire(this.paths.log, true);
    const fh = h.fh;
    try {
      await this.env.io.write(fh, buf, position);
      this.writes++;
      if (sync) {
        const upTo = this.writes;
        await this.env.io.sync(fh);
        // Another write's fsync may have finished later and covered more: never move back.
        this.syncedWrites = Math.max(this.syncedWrites, upTo);
      }
    } finally {
      h.release();
    }
  }

  /**
   * Truncates the file back to the committed bytes after failed writes, so nothing partial or uncommitted
   * stays behind; if even that fails, `damaged` is set (the log then takes the partition offline).
   */
  async cutToCommitted(): Promise<void> {
    try {
      const h = await this.env.handles.acquire(this.paths.log, true);
      try {
        await this.env.io.truncate(h.fh, this.size);
      } finally {
        h.release();
      }
    } catch {
      this.damaged = true;
    }
  }

  /** A failed write could not be undone: the file may hold bytes past `size`. */
  damaged = false;

  /** Written since the last fsync. */
  get unflushed(): boolean {
    return this.writes !== this.syncedWrites;
  }

  /**
   * Makes batches just written visible and indexes them. `batches` positions are relative to the write, which
   * must start at the committed end (the log commits its writes in order).
   */
  commit(batches: readonly BatchSummary[], bytes: number, nowMs: number): void {
    const start = this.size;
    for (const b of batches) this.indexBatch(b, start + b.position);
    this.size = start + bytes;
    this.firstAppendMs ??= nowMs;
  }

  /**
   * Records one batch at file position `position` in the indexes (appends and recovery share it):
   * an entry once more than `index.interval.bytes` passed since the last, as Kafka's LogSegment does.
   */
  indexBatch(b: BatchSummary, position: number): void {
    this.noteBatch(b);
    if (this.bytesSinceIndexEntry > this.indexing.indexIntervalBytes) {
      this.offsetIndex.append(b.baseOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += b.size;
  }

  /** Takes a batch's offsets and timestamp into account without indexing it (a trusted tail on load). */
  noteBatch(b: BatchSummary): void {
    if (b.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = b.maxTimestamp;
      this.offsetOfMaxTimestamp = b.baseOffset;
    }
    this.nextOffset = b.lastOffset + 1n;
  }

  /** Starts indexing from scratch (recovery rebuilds both indexes while it walks the log). */
  resetIndexes(): void {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.bytesSinceIndexEntry = 0;
    this.maxTimestamp = -1n;
    this.offsetOfMaxTimestamp = -1n;
    this.nextOffset = this.baseOffset;
  }

  /** Continues indexing after a trusted index: `bytesSince` bytes follow the last entry. */
  resumeIndexing(bytesSince: number): void {
    this.bytesSinceIndexEntry = bytesSince;
  }

  /** True when the next batch would not fit the indexes (Kafka rolls on a full index). */
  get indexFull(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull;
  }

  /** Whether both indexes have room for `entries` more entries (writes in flight add theirs on commit). */
  indexHasRoomFor(entries: number): boolean {
    return this.offsetIndex.hasRoomFor(entries) && this.timeIndex.hasRoomFor(entries);
  }

  /** At most how many index entries a write of `batches` batches and `bytes` bytes adds (see indexBatch). */
  indexEntriesAtMost(batches: number, bytes: number): number {
    // An entry needs more than index.interval.bytes since the previous one, except the first.
    return Math.min(batches, 1 + Math.floor(bytes / (this.indexing.indexIntervalBytes + 1)));
  }

  async sync(): Promise<void> {
    if (!this.unflushed) return;
    const upTo = this.writes;
    // fsync acts on the file, not the descriptor: a handle reopened after eviction flushes earlier writes too.
    const h = await this.env.handles.acquire(this.paths.log, this.active);
    try {
      await this.env.io.sync(h.fh);
    } finally {
      h.release();
    }
    this.syncedWrites = Math.max(this.syncedWrites, upTo);
  }

  /** Persists the indexes; `sync` also fsyncs them. */
  async persistIndexes(sync: boolean): Promise<void> {
    await this.offsetIndex.persist(sync);
    await this.timeIndex.persist(sync);
  }

  /**
   * Ends appends to this segment (roll or close): a final time-index entry for its largest timestamp,
   * indexes and log flushed. Its cached handle stays for reads until the cache evicts it.
   */
  async seal(): Promise<void> {
    if (this.maxTimestamp >= 0n) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    await this.persistIndexes(true);
    await this.sync();
    this.active = false;
    this.env.residency.touch(this);
  }

  async close(): Promise<void> {
    this.active = false;
    this.env.handles.invalidate(this.paths.log);
    this.env.residency.forget(this);
  }

  /** Removes the segment's files (retention, deletion); in-flight reads finish on their open handle. */
  async delete(): Promise<void> {
    this.deleted = true;
    await this.close();
    await Promise.all([
      fs.rm(this.paths.log, { force: true }),
      fs.rm(this.paths.index, { force: true }),
      fs.rm(this.paths.timeIndex, { force: true }),
    ]);
  }

  unloadIndexes(): boolean {
    if (this.isActive) return false;
    if (!this.offsetIndex.isPersisted || !this.timeIndex.isPersisted) return false;
    this.offsetIndex.unload();
    this.timeIndex.unload();
    return true;
  }

  // ---- read path --------------------------------------------------------------------------------------

  /**
   * Reads `length` committed bytes at `position` with one positional read into an exact-size buffer, from
   * `buffers` if given (the caller then owns returning it).
   */
  async read(position: number, length: number, buffers?: ReadBuffers): Promise<Buffer> {
    const h = await this.borrow();
    try {
      return await readExactly(h.fh, position, length, buffers ? (n) => buffers.acquire(n) : undefined);
    } finally {
      h.release();
    }
  }

  /** The first batch whose last offset is >= `offset` (the one holding it), or undefined past the end. */
  async findBatch(offset: bigint): Promise<BatchSummary | undefined> {
    const start = await this.withIndexes(() => this.offsetIndex.lookup(offset));
    return this.scanHeaders(start.position, (b) => b.lastOffset >= offset);
  }

  /** The first batch from the time-index position on whose max timestamp is >= `timestamp`. */
  async findBatchByTimestamp(timestamp: bigint): Promise<BatchSummary | undefined> {
    const position = await this.withIndexes(() => {
      const hint = this.timeIndex.lookupBefore(timestamp);
      return hint === undefined ? 0 : this.offsetIndex.lookup(hint.offset).position;
    });
    return this.scanHeaders(position, (b) => b.maxTimestamp >= timestamp);
  }

  /**
   * Walks batch headers from `position` through the committed bytes, reading blocks rather than single
   * headers, and returns the first batch `stop` accepts.
   */
  async scanHeaders(position: number, stop: (b: BatchSummary) => boolean): Promise<BatchSummary | undefined> {
    const limit = this.size;
    if (position >= limit) return undefined;
    const h = await this.borrow();
    try {
      const block = Buffer.allocUnsafe(Math.min(HEADER_SCAN_BLOCK, limit - position));
      let blockPos = 0;
      let blockLen = 0;
      let pos = position;
      while (pos + BATCH_HEADER_SIZE <= limit) {
        if (pos < blockPos || pos + BATCH_HEADER_SIZE > blockPos + blockLen) {
          blockPos = pos;
          blockLen = await readInto(h.fh, block, pos, Math.min(block.length, limit - pos));
        }
        const b = summarizeHeader(block, pos - blockPos, blockLen, pos);
        if (b === undefined || pos + b.size > limit) return undefined;
        if (stop(b)) return b;
        pos += b.size;
      }
      return undefined;
    } finally {
      h.release();
    }
  }

  /**
   * Runs `lookup` with both indexes in memory, loading them if they were unloaded. The check and the lookup
   * run in one synchronous step: another read may unload them between an await and its continuation.
   */
  private async withIndexes<T>(lookup: () => T): Promise<T> {
    for (;;) {
      if (this.offsetIndex.isLoaded && this.timeIndex.isLoaded) {
        if (!this.isActive) this.env.residency.touch(this);
        return lookup();
      }
      await Promise.all([this.offsetIndex.ensureLoaded(), this.timeIndex.ensureLoaded()]);
    }
  }

  /** A cached handle: the read-write one while active (appends share it), else a read-only one. */
  private borrow(): Promise<BorrowedHandle> {
    return this.env.handles.acquire(this.paths.log, this.active);
  }
}
