/**
 * One KIP-848 consumer group: its members, the group epoch (bumped on any membership, subscription or
 * topic-metadata change), the target assignment and its epoch, and per-member reconciliation. A member
 * moves towards its target in two steps, as Kafka's does: first it is told to revoke what it must give up
 * (its epoch stays), and once it acknowledges that in a heartbeat it gets the target epoch and the
 * partitions that no other member still holds; partitions still held elsewhere follow on later heartbeats.
 */
import { ASSIGNORS, type AssignableTopic, type AssignorName, type TargetAssignment } from './assignors.js';

export type Partitions = Map<string, Set<number>>;

export class ConsumerMember {
  epoch = 0;
  previousEpoch = -1;
  /** Partitions the member may use now. */
  assigned: Partitions = new Map();
  /** Partitions the member was told to give up and has not yet acknowledged giving up. */
  revoking: Partitions = new Map();
  subscribedTopicNames: string[] = [];
  subscribedTopicRegex: string | null = null;
  /** Compiled form of subscribedTopicRegex (see regex.ts). */
  regex: RegExp | null = null;
  rackId: string | null = null;
  serverAssignor: string | null = null;
  rebalanceTimeoutMs = 300_000;
  sessionTimer: NodeJS.Timeout | null = null;
  /** Runs while the member owes a revocation: past its rebalance timeout it is removed, as Kafka does. */
  revocationTimer: NodeJS.Timeout | null = null;
  /** True after a static member left with epoch -2: its assignment waits for the instance to return. */
  staticLeft = false;

  constructor(
    public memberId: string,
    readonly instanceId: string | null,
    public clientId: string,
    public clientHost: string,
  ) {}

  subscribes(topic: string): boolean {
    return this.subscribedTopicNames.includes(topic) || (this.regex !== null && this.regex.test(topic));
  }
}

export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead';

export class ConsumerGroup {
  readonly members = new Map<string, ConsumerMember>();
  readonly staticMembers = new Map<string, string>();
  groupEpoch = 0;
  assignmentEpoch = 0;
  target: TargetAssignment = new Map();
  /** Fingerprint of the subscribed topics' ids and partition counts, to notice created/grown topics. */
  metadataKey = '';
  assignorName: AssignorName = 'uniform';
  /** When the last member left (ms), for offsets retention; null while it has members. */
  emptiedAt: number | null = null;

  constructor(readonly groupId: string) {}

  get state(): ConsumerGroupState {
    if (this.members.size === 0) return 'Empty';
    if (this.assignmentEpoch < this.groupEpoch) return 'Assigning';
    for (const m of this.members.values()) if (m.epoch !== this.assignmentEpoch || m.revoking.size > 0) return 'Reconciling';
    return 'Stable';
  }

  /** The subscribed topics that exist, by name. */
  subscribedTopics(lookup: (name: string) => AssignableTopic | undefined, allTopics: () => Iterable<AssignableTopic>): Map<string, AssignableTopic> {
    const out = new Map<string, AssignableTopic>();
    let needsScan = false;
    for (const m of this.members.values()) {
      for (const name of m.subscribedTopicNames) {
        const t = lookup(name);
        if (t) out.set(name, t);
      }
      if (m.regex) needsScan = true;
    }
    if (needsScan) {
      for (const t of allTopics()) {
        if (out.has(t.name)) continue;
        for (const m of this.members.values()) if (m.regex?.test(t.name)) out.set(t.name, t);
      }
    }
    return out;
  }

  /** Recomputes the target assignment at the group epoch. */
  computeTarget(topics: ReadonlyMap<string, AssignableTopic>): void {
    const members = [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      topics: new Set([...topics.keys()].filter((n) => m.subscribes(n))),
      previous: this.target.get(m.memberId) ?? new Map<string, Set<number>>(),
    }));
    this.target = ASSIGNORS[this.assignorName](members, topics);
    this.assignmentEpoch = this.groupEpoch;
  }

  /** Who holds each partition (assigned or still revoking), other than `except`. */
  private heldElsewhere(except: ConsumerMember, topicId: string, partition: number): boolean {
    for (const m of this.members.values()) {
      if (m === except) continue;
      if (m.assigned.get(topicId)?.has(partition) || m.revoking.get(topicId)?.has(partition)) return true;
    }
    return false;
  }

  /**
   * Moves `member` towards its target. `owned` is what the member reported owning in this heartbeat (null
   * when it did not say): revocations count as acknowledged once `owned` no longer lists them.
   */
  reconcile(member: ConsumerMember, owned: Partitions | null): void {
    if (member.revoking.size > 0) {
      if (owned === null || intersects(owned, member.revoking)) return;
      member.revoking = new Map();
    }
    const target = this.target.get(member.memberId) ?? new Map<string, Set<number>>();
    const keep: Partitions = new Map();
    const revoke: Partitions = new Map();
    for (const [topicId, parts] of member.assigned) {
      for (const p of parts) addTo(target.get(topicId)?.has(p) ? keep : revoke, topicId, p);
    }
    if (revoke.size > 0) {
      member.assigned = keep;
      member.revoking = revoke;
      return;
    }
    if (member.epoch !== this.assignmentEpoch) {
      member.previousEpoch = member.epoch;
      member.epoch = this.assignmentEpoch;
    }
    for (const [topicId, parts] of target) {
      for (const p of parts) {
        if (member.assigned.get(topicId)?.has(p)) continue;
        if (!this.heldElsewhere(member, topicId, p)) addTo(member.assigned, topicId, p);
      }
    }
  }
}

export function addTo(map: Partitions, topicId: string, partition: number): void {
  let set = map.get(topicId);
  if (!set) map.set(topicId, (set = new Set()));
  set.add(partition);
}

function intersects(a: Partitions, b: Partitions): boolean {
  for (const [topicId, parts] of b) {
    const other = a.get(topicId);
    if (other) for (const p of parts) if (other.has(p)) return true;
  }
  return false;
}

/** True when every partition of `a` is in `b`. */
export function isSubset(a: Partitions, b: Partitions): boolean {
  for (const [topicId, parts] of a) {
    const other = b.get(topicId);
    for (const p of parts) if (!other?.has(p)) return false;
  }
  return true;
}
