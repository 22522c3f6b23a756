/**
 * KIP-848 consumer-group state on disk (`consumer-groups.log` in the data dir), so a restarted broker
 * knows every group's epochs, target assignment and members: a member that heartbeats with its id and
 * epoch after the restart keeps its partitions, and no rebalance starts.
 *
 * The records follow, in spirit, the ones Kafka's group coordinator writes to __consumer_offsets
 * (ConsumerGroupMetadata, ConsumerGroupMemberMetadata + CurrentMemberAssignment, TargetAssignmentMember,
 * and their tombstones), on the same framed, CRC-checked log the committed offsets use (../../framed-log.ts):
 *   GROUP   groupId, group epoch, target-assignment epoch, assignor, topic-metadata fingerprint, emptiedAt
 *   MEMBER  groupId, memberId, identity, subscription, epochs, assigned and revoking partitions
 *   TARGET  groupId, memberId, its target partitions
 *   MEMBER_GONE / GROUP_GONE  tombstones
 * Only records whose bytes changed are written (the last written payload of each is kept), so a steady
 * heartbeat writes nothing. On open the log is replayed (a torn tail is truncated) and rewritten with the
 * live records; while running it is compacted again when dead records dominate, so it stays bounded.
 */
import path from 'node:path';
import { FramedLog } from '../../framed-log.js';
import { FramedStore } from '../../framed-store.js';
import { PayloadReader, PayloadWriter } from '../payload.js';
import { ASSIGNOR_NAMES, DEFAULT_ASSIGNOR, type AssignorName } from './assignors.js';
import { ConsumerGroup, ConsumerMember, type Partitions } from './consumer-group.js';
import { compileTopicRegex } from './regex.js';

export const CONSUMER_GROUPS_FILE = 'consumer-groups.log';

/** Record format version; bump and keep reading the old one if a layout ever changes. */
const FORMAT = 1;
const KIND_GROUP = 1;
const KIND_MEMBER = 2;
const KIND_TARGET = 3;
const KIND_MEMBER_GONE = 4;
const KIND_GROUP_GONE = 5;

/** Compact while running once the file is this big and mostly dead records (as the offsets log does). */
const COMPACT_MIN_BYTES = 4 * 1024 * 1024;
const COMPACT_DEAD_RATIO = 4;

/** The last written payload of each live record of one group. */
interface LiveGroup {
  meta: Buffer | null;
  /** The target-assignment epoch whose targets were last written in full. */
  targetEpoch: number;
  members: Map<string, Buffer>;
  targets: Map<string, Buffer>;
}

export interface ConsumerGroupStoreOptions {
  fsync?: boolean;
}

export class ConsumerGroupStore extends FramedStore {
  private readonly live = new Map<string, LiveGroup>();
  private liveBytes = 0;

  private constructor(log: FramedLog) {
    super(log);
  }

  /** Loads the log (truncating a torn tail), compacts it, and returns the groups it describes. */
  static open(dataDir: string, options: ConsumerGroupStoreOptions = {}): { store: ConsumerGroupStore; groups: ConsumerGroup[]; truncatedBytes: number; skippedRecords: number } {
    const { log, payloads, truncatedBytes } = FramedLog.open(path.join(dataDir, CONSUMER_GROUPS_FILE), options);
    const store = new ConsumerGroupStore(log);
    let skippedRecords = 0;
    for (const payload of payloads) {
      try {
        store.replay(payload);
      } catch {
        skippedRecords++; // a record of a layout this version cannot read: skipped, the rest still loads
      }
    }
    const groups: ConsumerGroup[] = [];
    for (const [groupId, g] of store.live) {
      try {
        groups.push(rebuild(groupId, g));
      } catch {
        skippedRecords++;
        store.forget(groupId);
      }
    }
    log.rewriteSync(store.livePayloads());
    return { store, groups, truncatedBytes, skippedRecords };
  }

  /**
   * Writes what changed of `group`: its metadata, the given members, and (when the target assignment moved)
   * every member's target. Cheap when nothing changed: each record is encoded and compared with the last one.
   */
  save(group: ConsumerGroup, members: Iterable<ConsumerMember>): void {
    const g = this.entry(group.groupId);
    const out: Buffer[] = [];
    const meta = encodeGroup(group);
    if (!g.meta?.equals(meta)) {
      const rec = Buffer.from(meta);
      this.replaceMeta(g, rec);
      out.push(rec);
    }
    const touched: string[] = [];
    for (const m of members) {
      if (group.members.get(m.memberId) !== m) continue;
      touched.push(m.memberId);
      const enc = encodeMember(group.groupId, m);
      if (!g.members.get(m.memberId)?.equals(enc)) {
        const rec = Buffer.from(enc);
        this.replaceIn(g.members, m.memberId, rec);
        out.push(rec);
      }
    }
    // Targets change as a whole when the assignment is recomputed; otherwise only a touched member's can
    // (a returning static member inherits one), so a plain heartbeat does not re-encode the whole group.
    const targetIds = g.targetEpoch !== group.assignmentEpoch ? [...group.target.keys()] : touched;
    g.targetEpoch = group.assignmentEpoch;
    for (const memberId of targetIds) {
      const parts = group.target.get(memberId);
      if (!parts) continue;
      const enc = encodeTarget(group.groupId, memberId, parts);
      if (!g.targets.get(memberId)?.equals(enc)) {
        const rec = Buffer.from(enc);
        this.replaceIn(g.targets, memberId, rec);
        out.push(rec);
      }
    }
    if (out.length > 0) this.queue(out);
  }

  /** A member left or was removed: its member and target records go. */
  removeMember(groupId: string, memberId: string): void {
    const g = this.live.get(groupId);
    if (!g || (!g.members.has(memberId) && !g.targets.has(memberId))) return;
    this.dropIn(g.members, memberId);
    this.dropIn(g.targets, memberId);
    this.queue([new PayloadWriter(64).int8(FORMAT).int8(KIND_MEMBER_GONE).string(groupId).string(memberId).toBuffer()]);
  }

  /** The group is forgotten (deleted, expired, or its id taken by a classic group). */
  deleteGroup(groupId: string): void {
    if (!this.live.has(groupId)) return;
    this.forget(groupId);
    this.queue([new PayloadWriter(64).int8(FORMAT).int8(KIND_GROUP_GONE).string(groupId).toBuffer()]);
  }

  /** Queues the changed records, then compacts when dead records dominate a big file. */
  private queue(payloads: Buffer[]): void {
    void this.write(payloads);
    const size = this.log.sizeBytes;
    if (size > COMPACT_MIN_BYTES && size > COMPACT_DEAD_RATIO * this.liveBytes) void this.compact();
  }

  protected livePayloads(): Buffer[] {
    const out: Buffer[] = [];
    for (const g of this.live.values()) {
      if (g.meta) out.push(g.meta);
      out.push(...g.members.values(), ...g.targets.values());
    }
    return out;
  }

  private entry(groupId: string): LiveGroup {
    let g = this.live.get(groupId);
    if (!g) this.live.set(groupId, (g = { meta: null, targetEpoch: -1, members: new Map(), targets: new Map() }));
    return g;
  }

  private forget(groupId: string): void {
    const g = this.live.get(groupId);
    if (!g) return;
    this.liveBytes -= (g.meta?.length ?? 0) + sumLengths(g.members) + sumLengths(g.targets);
    this.live.delete(groupId);
  }

  private replaceMeta(g: LiveGroup, rec: Buffer): void {
    this.liveBytes += rec.length - (g.meta?.length ?? 0);
    g.meta = rec;
  }

  private replaceIn(map: Map<string, Buffer>, key: string, rec: Buffer): void {
    this.liveBytes += rec.length - (map.get(key)?.length ?? 0);
    map.set(key, rec);
  }

  private dropIn(map: Map<string, Buffer>, key: string): void {
    this.liveBytes -= map.get(key)?.length ?? 0;
    map.delete(key);
  }

  /** Applies one record read at load time (its bytes become the live record; decoded later by rebuild). */
  private replay(payload: Buffer): void {
    const r = new PayloadReader(payload);
    if (r.int8() !== FORMAT) throw new Error('unknown record format');
    const kind = r.int8();
    const groupId = r.string() ?? '';
    const rec = Buffer.from(payload); // the load buffer is one big read; keep only this record
    switch (kind) {
      case KIND_GROUP:
        this.replaceMeta(this.entry(groupId), rec);
        break;
      case KIND_MEMBER:
        this.replaceIn(this.entry(groupId).members, r.string() ?? '', rec);
        break;
      case KIND_TARGET:
        this.replaceIn(this.entry(groupId).targets, r.string() ?? '', rec);
        break;
      case KIND_MEMBER_GONE: {
        const g = this.live.get(groupId);
        const memberId = r.string() ?? '';
        if (g) {
          this.dropIn(g.members, memberId);
          this.dropIn(g.targets, memberId);
        }
        break;
      }
      case KIND_GROUP_GONE:
        this.forget(groupId);
        break;
      default:
        throw new Error(`unknown record kind ${kind}`);
    }
  }
}

function sumLengths(map: Map<string, Buffer>): number {
  let n = 0;
  for (const b of map.values()) n += b.length;
  return n;
}

// ------------------------------------------------------------------ encoding

/**
 * Records are encoded into one reused writer and compared with the last written bytes; only a changed record
 * is copied out (tight) and appended, so an unchanged heartbeat allocates next to nothing.
 */
const scratch = new PayloadWriter(4096);

function header(kind: number, groupId: string): PayloadWriter {
  return scratch.reset().int8(FORMAT).int8(kind).string(groupId);
}

/** The encoded bytes, valid until the next encode: callers copy what they keep. */
function copy(w: PayloadWriter): Buffer {
  return w.toBuffer();
}

function writePartitions(w: PayloadWriter, parts: Partitions): void {
  const topics = [...parts].filter(([, s]) => s.size > 0);
  w.int32(topics.length);
  for (const [topicId, set] of topics) {
    w.string(topicId).int32(set.size);
    for (const p of set) w.int32(p); // insertion order: the same set in another order costs one extra write
  }
}

function readPartitions(r: PayloadReader): Partitions {
  const out: Partitions = new Map();
  const topics = r.int32();
  for (let i = 0; i < topics; i++) {
    const topicId = r.string() ?? '';
    const n = r.int32();
    const set = new Set<number>();
    for (let j = 0; j < n; j++) set.add(r.int32());
    out.set(topicId, set);
  }
  return out;
}

function encodeGroup(g: ConsumerGroup): Buffer {
  const w = header(KIND_GROUP, g.groupId).int32(g.groupEpoch).int32(g.assignmentEpoch).string(g.assignorName).string(g.metadataKey);
  return copy(w.int64(BigInt(g.emptiedAt ?? -1)));
}

function encodeMember(groupId: string, m: ConsumerMember): Buffer {
  const w = header(KIND_MEMBER, groupId).string(m.memberId).string(m.instanceId).string(m.clientId).string(m.clientHost);
  w.string(m.rackId).string(m.serverAssignor).int32(m.rebalanceTimeoutMs).int32(m.epoch).int32(m.previousEpoch).int8(m.staticLeft ? 1 : 0);
  w.int32(m.subscribedTopicNames.length);
  for (const t of m.subscribedTopicNames) w.string(t);
  w.string(m.subscribedTopicRegex);
  writePartitions(w, m.assigned);
  writePartitions(w, m.revoking);
  return copy(w);
}

function encodeTarget(groupId: string, memberId: string, parts: Partitions): Buffer {
  const w = header(KIND_TARGET, groupId).string(memberId);
  writePartitions(w, parts);
  return copy(w);
}

/** Decodes a group's live records into a ConsumerGroup (without timers; the manager starts those). */
function rebuild(groupId: string, live: LiveGroup): ConsumerGroup {
  const group = new ConsumerGroup(groupId);
  if (live.meta) {
    const r = new PayloadReader(live.meta);
    r.int8();
    r.int8();
    r.string();
    group.groupEpoch = r.int32();
    group.assignmentEpoch = r.int32();
    const assignor = r.string() ?? DEFAULT_ASSIGNOR;
    group.assignorName = (ASSIGNOR_NAMES as readonly string[]).includes(assignor) ? (assignor as AssignorName) : DEFAULT_ASSIGNOR;
    group.metadataKey = r.string() ?? '';
    const emptiedAt = Number(r.int64());
    group.emptiedAt = emptiedAt < 0 ? null : emptiedAt;
  }
  for (const rec of live.members.values()) {
    const r = new PayloadReader(rec);
    r.int8();
    r.int8();
    r.string();
    const memberId = r.string() ?? '';
    const instanceId = r.string();
    const member = new ConsumerMember(memberId, instanceId, r.string() ?? '', r.string() ?? '');
    member.rackId = r.string();
    member.serverAssignor = r.string();
    member.rebalanceTimeoutMs = r.int32();
    member.epoch = r.int32();
    member.previousEpoch = r.int32();
    member.staticLeft = r.int8() === 1;
    const n = r.int32();
    for (let i = 0; i < n; i++) member.subscribedTopicNames.push(r.string() ?? '');
    member.subscribedTopicRegex = r.string();
    // The regex was accepted when it was subscribed; compiling it again applies the same safety checks.
    member.regex = member.subscribedTopicRegex === null ? null : compileTopicRegex(member.subscribedTopicRegex);
    member.assigned = readPartitions(r);
    member.revoking = readPartitions(r);
    group.members.set(memberId, member);
    if (instanceId !== null) group.staticMembers.set(instanceId, memberId);
  }
  for (const [memberId, rec] of live.targets) {
    if (!group.members.has(memberId)) continue;
    const r = new PayloadReader(rec);
    r.int8();
    r.int8();
    r.string();
    r.string();
    group.target.set(memberId, readPartitions(r));
  }
  if (group.members.size > 0) group.emptiedAt = null;
  // A log cut between a group's records (a torn tail) can leave a member without its target, or the group
  // behind a member's epoch. Moving the group epoch past every member's recomputes the target at the next
  // heartbeat, rather than telling a member to give up everything and wait for some later change.
  let maxMemberEpoch = 0;
  for (const m of group.members.values()) maxMemberEpoch = Math.max(maxMemberEpoch, m.epoch);
  const incomplete = [...group.members.keys()].some((id) => !group.target.has(id)) || maxMemberEpoch > group.assignmentEpoch;
  if (incomplete) group.groupEpoch = Math.max(group.groupEpoch, maxMemberEpoch) + 1;
  return group;
}
