/**
 * The KIP-848 side of the group coordinator: ConsumerGroupHeartbeat (join, heartbeat, leave, static
 * leave), session expiry, ConsumerGroupDescribe, and the member-epoch check of offset commits. Classic and
 * consumer groups share one id space: the coordinator asks `has()` before letting a classic request
 * through, and this manager asks `classicBusy()` before taking a group id.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../../protocol/errors.js';
import { ASSIGNOR_NAMES, DEFAULT_ASSIGNOR, type AssignableTopic, type AssignorName } from './assignors.js';
import { ConsumerGroup, ConsumerMember, addTo, isSubset, type Partitions } from './consumer-group.js';
import type { ConsumerGroupStore } from './group-store.js';
import { UnsafeRegexError, compileTopicRegex } from './regex.js';

export interface ConsumerProtocolConfig {
  /** group.consumer.session.timeout.ms */
  sessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms */
  heartbeatIntervalMs: number;
  /** group.consumer.max.size */
  maxSize: number;
}

export const DEFAULT_CONSUMER_PROTOCOL_CONFIG: Readonly<ConsumerProtocolConfig> = Object.freeze({
  sessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 5_000,
  maxSize: 2_147_483_647,
});

export interface TopicView {
  byName(name: string): AssignableTopic | undefined;
  all(): Iterable<AssignableTopic>;
}

export interface HeartbeatParams {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  topicPartitions: { topicId: string; partitions: number[] }[] | null;
  clientId: string;
  clientHost: string;
}

export interface HeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: { topicId: string; partitions: number[] }[] } | null;
}

const LEAVE_EPOCH = -1;
const STATIC_LEAVE_EPOCH = -2;

export class ConsumerGroupManager {
  private readonly groups = new Map<string, ConsumerGroup>();

  constructor(
    readonly config: ConsumerProtocolConfig,
    /** True when a classic group with members holds this id (then a consumer heartbeat is refused). */
    private readonly classicBusy: (groupId: string) => boolean,
    /** Called when a consumer group takes over an id an empty classic group held (keeps its offsets). */
    private readonly takeOver: (groupId: string) => void,
    private readonly onError: (err: unknown) => void,
    /** Where group state is persisted; without one it lives in memory only (unit tests). */
    private readonly store: ConsumerGroupStore | null = null,
  ) {}

  /**
   * Takes over groups loaded from the store at start-up. Every member's session timer (and, for a member
   * that owes a revocation, its rebalance deadline) starts now: nobody could heartbeat while the broker was
   * down, so the clocks restart from the load, as Kafka's do when a coordinator loads a group.
   */
  restore(groups: Iterable<ConsumerGroup>): void {
    for (const group of groups) {
      this.groups.set(group.groupId, group);
      for (const member of group.members.values()) {
        this.startTimer(group, member);
        this.armRevocationDeadline(group, member);
      }
    }
  }

  /** Resolves once every change made so far is on disk (ConsumerGroupHeartbeat answers after it). */
  written(): Promise<void> {
    return this.store?.written() ?? Promise.resolve();
  }

  has(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  group(groupId: string): ConsumerGroup | undefined {
    return this.groups.get(groupId);
  }

  all(): IterableIterator<ConsumerGroup> {
    return this.groups.values();
  }

  /** Forgets an empty consumer group (a classic member wants the id, or DeleteGroups). */
  drop(groupId: string): void {
    const group = this.groups.get(groupId);
    if (group) for (const m of group.members.values()) this.clearTimer(m);
    this.groups.delete(groupId);
    this.store?.deleteGroup(groupId);
  }

  heartbeat(p: HeartbeatParams, topics: TopicView): HeartbeatResult {
    const fail = (errorCode: number, errorMessage: string | null = null): HeartbeatResult => ({
      errorCode,
      errorMessage,
      memberId: null,
      memberEpoch: p.memberEpoch,
      heartbeatIntervalMs: 0,
      assignment: null,
    });
    if (p.groupId === '') return fail(ErrorCode.INVALID_REQUEST, 'GroupId can\'t be empty.');
    if (p.instanceId === '') return fail(ErrorCode.INVALID_REQUEST, 'InstanceId can\'t be empty.');
    if (p.memberEpoch === 0 && (p.subscribedTopicNames === null && p.subscribedTopicRegex === null)) {
      return fail(ErrorCode.INVALID_REQUEST, 'SubscribedTopicNames or SubscribedTopicRegex must be set in first request.');
    }
    if (p.memberEpoch === 0 && p.topicPartitions === null) return fail(ErrorCode.INVALID_REQUEST, 'TopicPartitions must be set when (re-)joining.');
    if (p.memberEpoch !== 0 && p.memberId === '') return fail(ErrorCode.INVALID_REQUEST, 'MemberId can\'t be empty.');
    if (p.memberEpoch < STATIC_LEAVE_EPOCH) return fail(ErrorCode.INVALID_REQUEST, `MemberEpoch is invalid: ${p.memberEpoch}.`);
    if (p.memberEpoch === STATIC_LEAVE_EPOCH && p.instanceId === null) return fail(ErrorCode.INVALID_REQUEST, 'InstanceId can\'t be null when leaving with epoch -2.');
    if (p.serverAssignor !== null && !(ASSIGNOR_NAMES as readonly string[]).includes(p.serverAssignor)) {
      return fail(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${p.serverAssignor} is not supported. Supported assignors: ${ASSIGNOR_NAMES.join(', ')}.`);
    }
    let regex: RegExp | null = null;
    if (p.subscribedTopicRegex !== null && p.subscribedTopicRegex !== '') {
      try {
        regex = compileTopicRegex(p.subscribedTopicRegex);
      } catch (err) {
        if (err instanceof UnsafeRegexError) return fail(ErrorCode.INVALID_REQUEST, err.message);
        throw err;
      }
    }

    let group = this.groups.get(p.groupId);
    if (!group) {
      if (p.memberEpoch !== 0) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Group ${p.groupId} has no member ${p.memberId}.`);
      // Kafka 3.9: a classic group with members keeps its id; this request is for "not a consumer group".
      if (this.classicBusy(p.groupId)) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${p.groupId} is not a consumer group.`);
      this.takeOver(p.groupId);
      group = new ConsumerGroup(p.groupId);
      this.groups.set(p.groupId, group);
    }

    if (p.memberEpoch === LEAVE_EPOCH || p.memberEpoch === STATIC_LEAVE_EPOCH) return this.leave(group, p, fail);

    let member: ConsumerMember | undefined;
    let changed = false;
    if (p.memberEpoch === 0) {
      const staticId = p.instanceId !== null ? group.staticMembers.get(p.instanceId) : undefined;
      const old = staticId !== undefined ? group.members.get(staticId) : undefined;
      if (old) {
        if (!old.staticLeft) return fail(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${p.instanceId} is still in use by member ${old.memberId}.`);
        // A static member returning: a new member id inherits the old one's epoch and assignment.
        member = new ConsumerMember(p.memberId !== '' ? p.memberId : randomUUID(), p.instanceId, p.clientId, p.clientHost);
        member.epoch = old.epoch;
        member.assigned = old.assigned;
        member.revoking = old.revoking;
        member.subscribedTopicNames = old.subscribedTopicNames;
        member.regex = old.regex;
        member.subscribedTopicRegex = old.subscribedTopicRegex;
        this.clearTimer(old);
        group.members.delete(old.memberId);
        this.store?.removeMember(group.groupId, old.memberId);
        const target = group.target.get(old.memberId);
        group.target.delete(old.memberId);
        if (target) group.target.set(member.memberId, target);
        group.members.set(member.memberId, member);
        group.staticMembers.set(p.instanceId!, member.memberId);
      } else {
        const existing = p.memberId !== '' ? group.members.get(p.memberId) : undefined;
        if (existing) {
          // A member rejoining with epoch 0 (after a fence): it starts over with nothing owned.
          member = existing;
          member.epoch = 0;
          member.assigned = new Map();
          member.revoking = new Map();
        } else {
          if (group.members.size >= this.config.maxSize) return fail(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${this.config.maxSize} members.`);
          member = new ConsumerMember(p.memberId !== '' ? p.memberId : randomUUID(), p.instanceId, p.clientId, p.clientHost);
          group.members.set(member.memberId, member);
          group.emptiedAt = null;
          if (p.instanceId !== null) group.staticMembers.set(p.instanceId, member.memberId);
          changed = true;
        }
      }
    } else {
      member = group.members.get(p.memberId);
      if (!member || member.staticLeft) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${p.memberId} is not a member of group ${p.groupId}.`);
      const owned = p.topicPartitions === null ? null : toPartitions(p.topicPartitions);
      // Kafka's check: a newer epoch than ours is fenced; an older one is fenced too, unless it is the
      // previous epoch of a member whose response was lost and who owns no more than it is assigned.
      if (p.memberEpoch > member.epoch) return fail(ErrorCode.FENCED_MEMBER_EPOCH, `The member epoch ${p.memberEpoch} is newer than ${member.epoch}.`);
      if (p.memberEpoch < member.epoch && !(p.memberEpoch === member.previousEpoch && owned !== null && isSubset(owned, member.assigned))) {
        return fail(ErrorCode.FENCED_MEMBER_EPOCH, `The member epoch ${p.memberEpoch} is older than ${member.epoch}.`);
      }
    }
    member.staticLeft = false;
    member.clientId = p.clientId;
    member.clientHost = p.clientHost;
    if (p.rackId !== null) member.rackId = p.rackId;
    if (p.rebalanceTimeoutMs > 0) member.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
    if (p.subscribedTopicNames !== null && !sameList(p.subscribedTopicNames, member.subscribedTopicNames)) {
      member.subscribedTopicNames = [...new Set(p.subscribedTopicNames)].sort();
      changed = true;
    }
    if (p.subscribedTopicRegex !== null && p.subscribedTopicRegex !== (member.subscribedTopicRegex ?? '')) {
      member.subscribedTopicRegex = p.subscribedTopicRegex === '' ? null : p.subscribedTopicRegex;
      member.regex = regex;
      changed = true;
    }
    if (p.serverAssignor !== null && p.serverAssignor !== member.serverAssignor) {
      member.serverAssignor = p.serverAssignor;
      group.assignorName = p.serverAssignor as AssignorName;
      changed = true;
    } else if (member.serverAssignor === null && group.members.size === 1) {
      group.assignorName = DEFAULT_ASSIGNOR;
    }
    this.startTimer(group, member);

    const subscribed = group.subscribedTopics((n) => topics.byName(n), () => topics.all());
    const metadataKey = [...subscribed.values()].map((t) => `${t.id}:${t.partitions}`).sort().join(',');
    if (metadataKey !== group.metadataKey) {
      group.metadataKey = metadataKey;
      changed = true;
    }
    if (changed) group.groupEpoch++;
    if (group.assignmentEpoch < group.groupEpoch) group.computeTarget(subscribed);
    group.reconcile(member, p.topicPartitions === null ? null : toPartitions(p.topicPartitions));
    this.armRevocationDeadline(group, member);
    this.store?.save(group, [member]);

    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: member.epoch,
      heartbeatIntervalMs: this.config.heartbeatIntervalMs,
      assignment: { topicPartitions: fromPartitions(member.assigned) },
    };
  }

  private leave(group: ConsumerGroup, p: HeartbeatParams, fail: (code: number, msg?: string | null) => HeartbeatResult): HeartbeatResult {
    let member = group.members.get(p.memberId);
    if (!member && p.instanceId !== null) {
      const id = group.staticMembers.get(p.instanceId);
      if (id !== undefined) member = group.members.get(id);
    }
    if (!member) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${p.memberId} is not a member of group ${p.groupId}.`);
    const left = { errorCode: ErrorCode.NONE, errorMessage: null, memberId: member.memberId, memberEpoch: p.memberEpoch, heartbeatIntervalMs: 0, assignment: null };
    if (p.memberEpoch === STATIC_LEAVE_EPOCH && member.instanceId !== null) {
      // The instance will come back: keep its assignment until the session timeout, as Kafka does.
      member.staticLeft = true;
      this.startTimer(group, member);
      this.store?.save(group, [member]);
      return left;
    }
    this.removeMember(group, member);
    return left;
  }

  private removeMember(group: ConsumerGroup, member: ConsumerMember): void {
    this.clearTimer(member);
    group.members.delete(member.memberId);
    group.target.delete(member.memberId);
    if (member.instanceId !== null && group.staticMembers.get(member.instanceId) === member.memberId) group.staticMembers.delete(member.instanceId);
    group.groupEpoch++;
    if (group.members.size === 0) group.emptiedAt = Date.now();
    this.store?.removeMember(group.groupId, member.memberId);
    this.store?.save(group, []);
  }

  /**
   * A member told to revoke must acknowledge within its rebalance timeout, or it is removed so the
   * partitions it holds can move (Kafka's rebalance-timeout fencing); a heartbeating but stuck member
   * would otherwise hold them forever.
   */
  private armRevocationDeadline(group: ConsumerGroup, member: ConsumerMember): void {
    if (member.revoking.size === 0) {
      if (member.revocationTimer) clearTimeout(member.revocationTimer);
      member.revocationTimer = null;
      return;
    }
    if (member.revocationTimer) return;
    member.revocationTimer = setTimeout(() => {
      try {
        member.revocationTimer = null;
        if (group.members.get(member.memberId) === member && member.revoking.size > 0) this.removeMember(group, member);
      } catch (err) {
        this.onError(err);
      }
    }, member.rebalanceTimeoutMs);
    member.revocationTimer.unref();
  }

  private startTimer(group: ConsumerGroup, member: ConsumerMember): void {
    // Only the session timer restarts on a heartbeat; the revocation deadline keeps running.
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = setTimeout(() => {
      try {
        if (group.members.get(member.memberId) === member) this.removeMember(group, member);
      } catch (err) {
        this.onError(err);
      }
    }, this.config.sessionTimeoutMs);
    member.sessionTimer.unref();
  }

  private clearTimer(member: ConsumerMember): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    if (member.revocationTimer) clearTimeout(member.revocationTimer);
    member.sessionTimer = null;
    member.revocationTimer = null;
  }

  /**
   * OffsetCommit/OffsetFetch/TxnOffsetCommit against a consumer group: a known member at its current
   * epoch, or no member and a negative epoch on an empty group (an admin or manual-assignment commit).
   */
  validateOffsetCommit(groupId: string, memberId: string, memberEpoch: number): number {
    const group = this.groups.get(groupId);
    if (!group) return ErrorCode.NONE;
    if (memberEpoch < 0 && memberId === '' && group.members.size === 0) return ErrorCode.NONE;
    const member = group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (memberEpoch !== member.epoch) return ErrorCode.STALE_MEMBER_EPOCH;
    return ErrorCode.NONE;
  }

  /** OffsetFetch v9: without a member id and epoch (an admin) anyone may read; a member must be current. */
  validateOffsetFetch(groupId: string, memberId: string | null, memberEpoch: number): number {
    const group = this.groups.get(groupId);
    if (!group || (memberId === null && memberEpoch < 0)) return ErrorCode.NONE;
    const member = memberId === null ? undefined : group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    return memberEpoch === member.epoch ? ErrorCode.NONE : ErrorCode.STALE_MEMBER_EPOCH;
  }

  close(): void {
    for (const g of this.groups.values()) for (const m of g.members.values()) this.clearTimer(m);
  }
}

function toPartitions(list: readonly { topicId: string; partitions: readonly number[] }[]): Partitions {
  const out: Partitions = new Map();
  for (const t of list) for (const p of t.partitions) addTo(out, t.topicId, p);
  return out;
}

export function fromPartitions(map: Partitions): { topicId: string; partitions: number[] }[] {
  return [...map].filter(([, s]) => s.size > 0).map(([topicId, s]) => ({ topicId, partitions: [...s].sort((a, b) => a - b) }));
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  const s = [...new Set(a)].sort();
  return s.length === b.length && s.every((x, i) => x === b[i]);
}
