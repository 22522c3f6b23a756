/**
 * Committed offsets of every group, in memory and in a framed append-only log (`group-offsets.log` in the
 * data dir). Each OffsetCommit is one frame; the change is visible at once and its write is queued (the
 * thread pool writes it; commits made meanwhile share the next write and fsync), and the returned promise
 * resolves once it is written, so a caller that acknowledges after it survives a killed broker. On open the
 * log is replayed (a torn tail is truncated) and compacted to one entry per live (group, topic, partition);
 * while running it is compacted again, in the same queue, when dead entries dominate.
 */
import path from 'node:path';
import { FramedLog } from '../framed-log.js';
import { FramedStore } from '../framed-store.js';
import { PayloadReader, PayloadWriter } from './payload.js';

export const OFFSETS_FILE = 'group-offsets.log';

/** Entry format version; bump and keep reading the old one if the layout ever changes. */
const FORMAT = 1;
const KIND_COMMIT = 1;
const KIND_DELETE_OFFSETS = 2;
const KIND_DELETE_GROUP = 3;
const KIND_GROUP_EMPTIED = 4;

/** Compact while running once the file is this big and mostly dead entries. */
const COMPACT_MIN_BYTES = 16 * 1024 * 1024;
const COMPACT_DEAD_RATIO = 4;

export interface CommittedOffset {
  offset: bigint;
  /** -1 when the client did not send one. */
  leaderEpoch: number;
  metadata: string | null;
  /** Wall-clock ms of the commit. */
  commitTimestamp: number;
}

export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
}

interface GroupOffsets {
  topics: Map<string, Map<number, CommittedOffset>>;
  /** When the group last became empty (ms), if it did; drives offset retention. */
  emptiedAt: number | null;
}

export interface OffsetStoreOptions {
  fsync?: boolean;
}

export class OffsetStore extends FramedStore {
  private readonly groups = new Map<string, GroupOffsets>();
  private liveCount = 0;

  private constructor(log: FramedLog) {
    super(log);
  }

  /** Loads `<dataDir>/group-offsets.log`, truncating a torn tail, and compacts it. */
  static open(dataDir: string, options: OffsetStoreOptions = {}): { store: OffsetStore; truncatedBytes: number } {
    const { log, payloads, truncatedBytes } = FramedLog.open(path.join(dataDir, OFFSETS_FILE), options);
    const store = new OffsetStore(log);
    for (const payload of payloads) store.apply(payload);
    log.rewriteSync(store.livePayloads());
    return { store, truncatedBytes };
  }

  /** Durably records `offsets` for `group` (one frame), then makes them visible. */
  commit(group: string, offsets: readonly OffsetToCommit[], now = Date.now()): Promise<void> {
    if (offsets.length === 0) return Promise.resolve();
    const w = new PayloadWriter(64 + offsets.length * 48).int8(FORMAT).int8(KIND_COMMIT).string(group);
    w.int64(BigInt(now)).int32(offsets.length);
    for (const o of offsets) {
      w.string(o.topic).int32(o.partition).int64(o.offset).int32(o.leaderEpoch).string(o.metadata);
    }
    this.applyCommit(group, offsets, now);
    const written = this.write(w.toBuffer());
    this.maybeCompact();
    return written;
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(group)?.topics.get(topic)?.get(partition);
  }

  /** Every committed offset of `group`, by topic then partition (live view; do not mutate). */
  offsetsOf(group: string): ReadonlyMap<string, ReadonlyMap<number, CommittedOffset>> {
    return this.groups.get(group)?.topics ?? new Map();
  }

  hasOffsets(group: string): boolean {
    const g = this.groups.get(group);
    return g !== undefined && g.topics.size > 0;
  }

  /** Groups that have committed offsets or a recorded empty time. */
  groupIds(): IterableIterator<string> {
    return this.groups.keys();
  }

  emptiedAt(group: string): number | null {
    return this.groups.get(group)?.emptiedAt ?? null;
  }

  /** Records that `group` has no members since `at` (ms), so retention can count from there after a restart. */
  markEmptied(group: string, at = Date.now()): Promise<void> {
    const w = new PayloadWriter(32).int8(FORMAT).int8(KIND_GROUP_EMPTIED).string(group).int64(BigInt(at));
    this.groupEntry(group).emptiedAt = at;
    return this.write(w.toBuffer());
  }

  deleteOffsets(group: string, partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    if (partitions.length === 0) return Promise.resolve();
    const w = new PayloadWriter().int8(FORMAT).int8(KIND_DELETE_OFFSETS).string(group).int32(partitions.length);
    for (const p of partitions) w.string(p.topic).int32(p.partition);
    this.applyDeleteOffsets(group, partitions);
    return this.write(w.toBuffer());
  }

  /** Forgets the group and all its offsets. */
  deleteGroup(group: string): Promise<void> {
    if (!this.groups.has(group)) return Promise.resolve();
    this.applyDeleteGroup(group);
    return this.write(new PayloadWriter(32).int8(FORMAT).int8(KIND_DELETE_GROUP).string(group).toBuffer());
  }

  /** Forgets every group's offsets for a deleted topic. */
  deleteTopic(topic: string): void {
    for (const [group, g] of this.groups) {
      const parts = g.topics.get(topic);
      if (!parts) continue;
      this.deleteOffsets(group, [...parts.keys()].map((partition) => ({ topic, partition })));
    }
  }

  /** One entry per live offset, plus each group's empty time. */
  protected livePayloads(): Buffer[] {
    const payloads: Buffer[] = [];
    for (const [group, g] of this.groups) {
      for (const [topic, parts] of g.topics) {
        for (const [partition, c] of parts) {
          payloads.push(
            new PayloadWriter(64)
              .int8(FORMAT)
              .int8(KIND_COMMIT)
              .string(group)
              .int64(BigInt(c.commitTimestamp))
              .int32(1)
              .string(topic)
              .int32(partition)
              .int64(c.offset)
              .int32(c.leaderEpoch)
              .string(c.metadata)
              .toBuffer(),
          );
        }
      }
      if (g.emptiedAt !== null) {
        payloads.push(
          new PayloadWriter(32).int8(FORMAT).int8(KIND_GROUP_EMPTIED).string(group).int64(BigInt(g.emptiedAt)).toBuffer(),
        );
      }
    }
    return payloads;
  }

  private maybeCompact(): void {
    const size = this.log.sizeBytes;
    // ~64 bytes per live entry is a generous estimate; compacting is a few ms for thousands of offsets.
    if (size > COMPACT_MIN_BYTES && size > COMPACT_DEAD_RATIO * 64 * Math.max(1, this.liveCount)) this.compact();
  }

  private groupEntry(group: string): GroupOffsets {
    let g = this.groups.get(group);
    if (!g) {
      g = { topics: new Map(), emptiedAt: null };
      this.groups.set(group, g);
    }
    return g;
  }

  private applyCommit(group: string, offsets: readonly OffsetToCommit[], now: number): void {
    const g = this.groupEntry(group);
    for (const o of offsets) {
      let parts = g.topics.get(o.topic);
      if (!parts) {
        parts = new Map();
        g.topics.set(o.topic, parts);
      }
      if (!parts.has(o.partition)) this.liveCount++;
      parts.set(o.partition, { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, commitTimestamp: now });
    }
  }

  private applyDeleteOffsets(group: string, partitions: readonly { topic: string; partition: number }[]): void {
    const g = this.groups.get(group);
    if (!g) return;
    for (const p of partitions) {
      const parts = g.topics.get(p.topic);
      if (parts?.delete(p.partition)) this.liveCount--;
      if (parts && parts.size === 0) g.topics.delete(p.topic);
    }
  }

  private applyDeleteGroup(group: string): void {
    const g = this.groups.get(group);
    if (!g) return;
    for (const parts of g.topics.values()) this.liveCount -= parts.size;
    this.groups.delete(group);
  }

  /** Replays one entry read at load time; an entry of an unknown format or kind is skipped. */
  private apply(payload: Buffer): void {
    const r = new PayloadReader(payload);
    if (r.int8() !== FORMAT) return;
    const kind = r.int8();
    const group = r.string() ?? '';
    switch (kind) {
      case KIND_COMMIT: {
        const at = Number(r.int64());
        const n = r.int32();
        const offsets: OffsetToCommit[] = [];
        for (let i = 0; i < n; i++) {
          offsets.push({ topic: r.string() ?? '', partition: r.int32(), offset: r.int64(), leaderEpoch: r.int32(), metadata: r.string() });
        }
        this.applyCommit(group, offsets, at);
        break;
      }
      case KIND_DELETE_OFFSETS: {
        const n = r.int32();
        const parts: { topic: string; partition: number }[] = [];
        for (let i = 0; i < n; i++) parts.push({ topic: r.string() ?? '', partition: r.int32() });
        this.applyDeleteOffsets(group, parts);
        break;
      }
      case KIND_DELETE_GROUP:
        this.applyDeleteGroup(group);
        break;
      case KIND_GROUP_EMPTIED:
        this.groupEntry(group).emptiedAt = Number(r.int64());
        break;
      default:
        break;
    }
  }
}
