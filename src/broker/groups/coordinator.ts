/**
 * The group coordinator: Kafka's classic rebalance protocol and committed offsets, for every group (this
 * broker coordinates all of them). Wire-format free: handlers translate requests into these calls.
 *
 * Behaviour follows Apache Kafka's GroupCoordinator (classic protocol): which error each request gets in
 * each state, MEMBER_ID_REQUIRED (KIP-394), static membership (KIP-345), the pending-sync deadline, and
 * offset retention for empty groups (KIP-211).
 *
 * Timers are cheap and event-driven: one session timer per member, refreshed (not recreated) on each
 * heartbeat, plus at most one rebalance or sync deadline per group while a rebalance runs, and one
 * retention sweep for the whole coordinator. An idle group costs no CPU.
 */
import { randomUUID } from 'node:crypto';
import { subscribedTopics } from './subscription.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type GroupConfig, resolveGroupConfig } from './group-config.js';
import {
  EMPTY_BYTES,
  Group,
  type GroupProtocol,
  type GroupState,
  type JoinResult,
  Member,
  type SyncResult,
  joinError,
  syncError,
} from './group.js';
import type { CommittedOffset, OffsetStore, OffsetToCommit } from './offset-store.js';
import { ConsumerGroupManager } from './consumer-protocol/manager.js';
import type { ConsumerGroup, ConsumerGroupState } from './consumer-protocol/consumer-group.js';
import type { ConsumerGroupStore } from './consumer-protocol/group-store.js';

export interface JoinParams {
  groupId: string;
  /** '' for a member joining for the first time. */
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  /** -1 (JoinGroup v0) means "same as the session timeout". */
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
  clientId: string;
  clientHost: string;
  /** JoinGroup v4+: a new member first gets MEMBER_ID_REQUIRED and an id to rejoin with. */
  requireKnownMemberId: boolean;
}

export interface SyncParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface MemberRef {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export interface CommitParams extends MemberRef {
  offsets: OffsetToCommit[];
}

export interface FetchedOffset {
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface GroupDescription {
  errorCode: number;
  groupId: string;
  state: GroupState;
  protocolType: string;
  protocolName: string;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    metadata: Buffer;
    assignment: Buffer;
  }[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  /** A classic state, or a consumer group's (Assigning, Reconciling). */
  state: GroupState | ConsumerGroupState;
  groupType: string;
}

export interface CoordinatorOptions {
  config?: Partial<GroupConfig>;
  /** Called with unexpected errors from timer callbacks (which have no request to answer). */
  onError?: (err: unknown) => void;
  /** KIP-848 group state on disk and the groups loaded from it (see consumer-protocol/group-store.ts). */
  consumerGroupStore?: { store: ConsumerGroupStore; groups: readonly ConsumerGroup[] };
}

export class GroupCoordinator {
  readonly config: GroupConfig;
  private readonly groups = new Map<string, Group>();
  private readonly retentionTimer: NodeJS.Timeout;
  private closed = false;
  private readonly onError: (err: unknown) => void;
  /** KIP-848 consumer groups; they share the group-id space and the offsets store with classic groups. */
  readonly consumerGroups: ConsumerGroupManager;

  constructor(
    private readonly store: OffsetStore,
    options: CoordinatorOptions = {},
  ) {
    this.config = resolveGroupConfig(options.config);
    this.onError = options.onError ?? (() => {});
    this.consumerGroups = new ConsumerGroupManager(
      { sessionTimeoutMs: this.config.consumerSessionTimeoutMs, heartbeatIntervalMs: this.config.consumerHeartbeatIntervalMs, maxSize: this.config.maxGroupSize },
      (groupId) => {
        const g = this.groups.get(groupId);
        return g !== undefined && g.state !== 'Empty' && g.state !== 'Dead';
      },
      (groupId) => {
        // An empty classic group (offsets only) becomes a consumer group; its committed offsets stay.
        const g = this.groups.get(groupId);
        if (g && g.isEmptyOfMembers) {
          if (g.joinTimer) clearTimeout(g.joinTimer);
          this.groups.delete(groupId);
        }
      },
      (err) => this.onError(err),
      options.consumerGroupStore?.store ?? null,
    );
    this.consumerGroups.restore(options.consumerGroupStore?.groups ?? []);
    // Groups known only from their committed offsets (e.g. after a restart) exist, empty; an id a restored
    // consumer group holds is that group's.
    const now = Date.now();
    for (const groupId of store.groupIds()) {
      if (this.consumerGroups.has(groupId)) continue;
      const group = new Group(groupId, now);
      group.emptiedAt = store.emptiedAt(groupId);
      this.groups.set(groupId, group);
    }
    this.retentionTimer = setInterval(() => this.guard(() => this.expireOffsets()), this.config.offsetsRetentionCheckIntervalMs);
    this.retentionTimer.unref();
  }

  // ---------------------------------------------------------------- JoinGroup

  join(p: JoinParams): Promise<JoinResult> {
    if (this.closed) return Promise.resolve(joinError(ErrorCode.NOT_COORDINATOR, p.memberId));
    if (p.groupId === '') return Promise.resolve(joinError(ErrorCode.INVALID_GROUP_ID, p.memberId));
    if (p.sessionTimeoutMs < this.config.minSessionTimeoutMs || p.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return Promise.resolve(joinError(ErrorCode.INVALID_SESSION_TIMEOUT, p.memberId));
    }
    // As Kafka (JoinGroup v0 has no rebalance timeout): none given, or one <= 0, means the session timeout, so
    // the pending-SyncGroup deadline derived from it never collapses to 0 ms.
    const rebalanceTimeoutMs = p.rebalanceTimeoutMs <= 0 ? p.sessionTimeoutMs : p.rebalanceTimeoutMs;
    const params = { ...p, rebalanceTimeoutMs };
    const consumerGroup = this.consumerGroups.group(p.groupId);
    if (consumerGroup) {
      // Kafka 3.9 (no online upgrade): a consumer group with members refuses classic joiners.
      if (consumerGroup.members.size > 0) return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, p.memberId));
      this.consumerGroups.drop(p.groupId);
    }
    let group = this.groups.get(p.groupId);
    if (!group) {
      if (p.memberId !== '') return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, p.memberId));
      group = new Group(p.groupId, Date.now());
    }
    if (group.state === 'Dead') return Promise.resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, p.memberId));
    if (!group.canSupport(p.protocolType, p.protocols)) {
      return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, p.memberId));
    }
    this.groups.set(group.groupId, group);
    return p.memberId === '' ? this.joinNewMember(group, params) : this.joinKnownMember(group, params);
  }

  private joinNewMember(group: Group, p: JoinParams): Promise<JoinResult> {
    if (group.members.size + group.pendingMembers.size >= this.config.maxGroupSize) {
      return Promise.resolve(joinError(ErrorCode.GROUP_MAX_SIZE_REACHED));
    }
    if (p.groupInstanceId !== null) {
      const newId = `${p.groupInstanceId}-${randomUUID()}`;
      const oldId = group.staticMembers.get(p.groupInstanceId);
      const old = oldId === undefined ? undefined : group.members.get(oldId);
      return old ? this.replaceStaticMember(group, old, newId, p) : this.addMemberAndRebalance(group, newId, p);
    }
    const newId = `${p.clientId}-${randomUUID()}`;
    if (p.requireKnownMemberId) {
      // KIP-394: hand out the id first, so a client that dies before rejoining leaves no member behind.
      this.addPendingMember(group, newId, p.sessionTimeoutMs);
      return Promise.resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, newId));
    }
    return this.addMemberAndRebalance(group, newId, p);
  }

  private joinKnownMember(group: Group, p: JoinParams): Promise<JoinResult> {
    const pendingTimer = group.pendingMembers.get(p.memberId);
    if (pendingTimer) {
      clearTimeout(pendingTimer);
      group.pendingMembers.delete(p.memberId);
      return this.addMemberAndRebalance(group, p.memberId, p);
    }
    if (group.isFenced(p.groupInstanceId, p.memberId)) return Promise.resolve(joinError(ErrorCode.FENCED_INSTANCE_ID, p.memberId));
    const member = group.members.get(p.memberId);
    if (!member || (p.groupInstanceId !== null && group.staticMembers.get(p.groupInstanceId) !== p.memberId)) {
      return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, p.memberId));
    }
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, p);
      case 'CompletingRebalance':
        // The member lost our JoinGroup answer: send it again unless its metadata changed.
        if (member.sameProtocols(p.protocols)) {
          this.touch(group, member);
          return Promise.resolve(group.joinResultFor(member.memberId));
        }
        return this.updateMemberAndRebalance(group, member, p);
      case 'Stable':
        // A follower rejoining with unchanged metadata gets the current generation; the leader rejoining or
        // anyone changing their subscription starts a new rebalance.
        if (member.memberId !== group.leaderId && member.sameProtocols(p.protocols)) {
          this.touch(group, member);
          return Promise.resolve(group.joinResultFor(member.memberId));
        }
        return this.updateMemberAndRebalance(group, member, p);
      default:
        return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, p.memberId));
    }
  }

  private addPendingMember(group: Group, memberId: string, sessionTimeoutMs: number): void {
    const timer = setTimeout(
      () =>
        this.guard(() => {
          if (!group.pendingMembers.delete(memberId)) return;
          if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group);
          else this.dropIfUseless(group);
        }),
      sessionTimeoutMs,
    );
    timer.unref();
    group.pendingMembers.set(memberId, timer);
  }

  private addMemberAndRebalance(group: Group, memberId: string, p: JoinParams): Promise<JoinResult> {
    const member = memberFrom(memberId, p);
    if (group.members.size === 0) group.protocolType = p.protocolType;
    if (group.leaderId === null) group.leaderId = memberId;
    group.members.set(memberId, member);
    if (p.groupInstanceId !== null) group.staticMembers.set(p.groupInstanceId, memberId);
    if (group.initialDelay) group.initialDelay.newMemberAdded = true;
    return this.awaitRebalance(group, member);
  }

  /** Parks `member`'s JoinGroup until the rebalance completes, starting one unless one is under way. */
  private awaitRebalance(group: Group, member: Member): Promise<JoinResult> {
    const result = new Promise<JoinResult>((resolve) => (member.joinWaiter = resolve));
    this.startSessionTimer(group, member);
    if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group);
    else this.prepareRebalance(group);
    return result;
  }

  private updateMemberAndRebalance(group: Group, member: Member, p: JoinParams): Promise<JoinResult> {
    member.protocols = p.protocols;
    member.protocolType = p.protocolType;
    member.sessionTimeoutMs = p.sessionTimeoutMs;
    member.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
    member.clientId = p.clientId;
    member.clientHost = p.clientHost;
    // A duplicate JoinGroup replaces the parked one, which is told to rejoin.
    member.joinWaiter?.(joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
    return this.awaitRebalance(group, member);
  }

  /**
   * KIP-345: a static member restarted with a new member id. The old id is fenced (any request it still has
   * parked gets FENCED_INSTANCE_ID) and the new one takes its place — without a rebalance if the group is
   * stable and the protocol choice would not change.
   */
  private replaceStaticMember(group: Group, old: Member, newId: string, p: JoinParams): Promise<JoinResult> {
    answerParked(old, ErrorCode.FENCED_INSTANCE_ID);
    if (old.sessionTimer) clearTimeout(old.sessionTimer);
    const member = memberFrom(newId, p);
    member.assignment = old.assignment;
    // Keep the member's position (join order) in the map.
    const entries = [...group.members.entries()].map(([id, m]): [string, Member] => (id === old.memberId ? [newId, member] : [id, m]));
    group.members.clear();
    for (const [id, m] of entries) group.members.set(id, m);
    group.staticMembers.set(p.groupInstanceId!, newId);
    if (group.leaderId === old.memberId) group.leaderId = newId;
    if (group.pendingSync.delete(old.memberId)) group.pendingSync.add(newId);

    switch (group.state) {
      case 'Stable': {
        const selected = group.selectProtocol();
        if (selected !== null && selected === group.protocolName) {
          this.startSessionTimer(group, member);
          return Promise.resolve(group.joinResultFor(newId, true));
        }
        return this.updateMemberAndRebalance(group, member, p);
      }
      case 'CompletingRebalance':
        this.startSessionTimer(group, member);
        return Promise.resolve(group.joinResultFor(newId));
      default: {
        const result = new Promise<JoinResult>((resolve) => (member.joinWaiter = resolve));
        this.startSessionTimer(group, member);
        this.tryCompleteJoin(group);
        return result;
      }
    }
  }

  // ------------------------------------------------------------ rebalancing

  private prepareRebalance(group: Group): void {
    if (group.state !== 'Stable' && group.state !== 'CompletingRebalance' && group.state !== 'Empty') return;
    const now = Date.now();
    if (group.state === 'CompletingRebalance') {
      for (const m of group.members.values()) {
        m.assignment = EMPTY_BYTES;
        const waiter = m.syncWaiter;
        m.syncWaiter = null;
        waiter?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      }
    }
    this.clearSyncDeadline(group);
    const wasEmpty = group.state === 'Empty';
    group.transition('PreparingRebalance', now);
    const timeout = group.rebalanceTimeoutMs;
    if (wasEmpty && this.config.initialRebalanceDelayMs > 0) {
      group.initialDelay = { deadline: now + timeout, newMemberAdded: false };
      this.armJoinTimer(group, Math.min(this.config.initialRebalanceDelayMs, timeout), () => this.onInitialDelay(group));
      return;
    }
    this.armJoinTimer(group, timeout, () => this.completeJoin(group));
    this.tryCompleteJoin(group);
  }

  /** Kafka's InitialDelayedJoin: keep waiting while new members keep arriving, up to the rebalance timeout. */
  private onInitialDelay(group: Group): void {
    const delay = group.initialDelay;
    if (!delay) return;
    const remaining = delay.deadline - Date.now();
    if (delay.newMemberAdded && remaining > 0) {
      delay.newMemberAdded = false;
      this.armJoinTimer(group, Math.min(this.config.initialRebalanceDelayMs, remaining), () => this.onInitialDelay(group));
      return;
    }
    this.completeJoin(group);
  }

  private armJoinTimer(group: Group, ms: number, fire: () => void): void {
    if (group.joinTimer) clearTimeout(group.joinTimer);
    group.joinTimer = setTimeout(() => {
      group.joinTimer = null;
      this.guard(fire);
    }, ms);
    group.joinTimer.unref();
  }

  private tryCompleteJoin(group: Group): void {
    if (group.state === 'PreparingRebalance' && !group.initialDelay && group.allMembersJoined) this.completeJoin(group);
  }

  /** Ends PreparingRebalance: members that did not rejoin are dropped, the next generation starts. */
  private completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    if (group.joinTimer) clearTimeout(group.joinTimer);
    group.joinTimer = null;
    group.initialDelay = null;
    for (const m of [...group.members.values()]) if (!m.joinWaiter) this.removeMember(group, m);
    if (group.leaderId === null || !group.members.has(group.leaderId)) {
      group.leaderId = group.members.keys().next().value ?? null;
    }
    const now = Date.now();
    group.generationId++;
    if (group.members.size === 0) {
      group.protocolName = null;
      group.transition('Empty', now);
      if (this.store.hasOffsets(group.groupId)) this.markEmptied(group, now);
      else this.dropIfUseless(group);
      return;
    }
    group.protocolName = group.selectProtocol();
    group.transition('CompletingRebalance', now);
    for (const m of group.members.values()) {
      const waiter = m.joinWaiter;
      m.joinWaiter = null;
      group.pendingSync.add(m.memberId);
      this.startSessionTimer(group, m);
      waiter?.(group.joinResultFor(m.memberId));
    }
    // Members that never send SyncGroup must not hold the group forever.
    const generation = group.generationId;
    group.syncTimer = setTimeout(
      () => this.guard(() => this.onSyncDeadline(group, generation)),
      group.rebalanceTimeoutMs,
    );
    group.syncTimer.unref();
  }

  private onSyncDeadline(group: Group, generation: number): void {
    group.syncTimer = null;
    if (group.generationId !== generation) return;
    if (group.state !== 'CompletingRebalance' && group.state !== 'Stable') return;
    if (group.pendingSync.size === 0) return;
    for (const id of [...group.pendingSync]) {
      const m = group.members.get(id);
      if (m) this.removeMember(group, m);
    }
    group.pendingSync.clear();
    this.prepareRebalance(group);
  }

  private clearSyncDeadline(group: Group): void {
    if (group.syncTimer) clearTimeout(group.syncTimer);
    group.syncTimer = null;
    group.pendingSync.clear();
  }

  private markEmptied(group: Group, now: number): void {
    group.emptiedAt = now;
    this.store.markEmptied(group.groupId, now);
  }

  // ---------------------------------------------------------------- members

  private startSessionTimer(group: Group, member: Member): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = setTimeout(() => this.guard(() => this.onSessionExpired(group, member)), member.sessionTimeoutMs);
    member.sessionTimer.unref();
  }

  /** Heartbeat, commit or sync from a live member: push its session deadline out (no new timer). */
  private touch(group: Group, member: Member): void {
    if (member.sessionTimer) member.sessionTimer.refresh();
    else this.startSessionTimer(group, member);
  }

  private onSessionExpired(group: Group, member: Member): void {
    if (group.members.get(member.memberId) !== member) return;
    // A member parked in JoinGroup/SyncGroup is waiting on us, not dead; the rebalance deadlines cover it.
    if (member.joinWaiter || member.syncWaiter) {
      member.sessionTimer?.refresh();
      return;
    }
    member.sessionTimer = null;
    this.removeMemberAndUpdateGroup(group, member);
  }

  private removeMember(group: Group, member: Member): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = null;
    group.members.delete(member.memberId);
    group.pendingSync.delete(member.memberId);
    if (member.groupInstanceId !== null && group.staticMembers.get(member.groupInstanceId) === member.memberId) {
      group.staticMembers.delete(member.groupInstanceId);
    }
    if (group.leaderId === member.memberId) group.leaderId = group.members.keys().next().value ?? null;
  }

  private removeMemberAndUpdateGroup(group: Group, member: Member): void {
    answerParked(member, ErrorCode.UNKNOWN_MEMBER_ID);
    this.removeMember(group, member);
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.prepareRebalance(group);
    else if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group);
  }

  /** Resolves the caller to a current member, or the error Kafka gives a stale/unknown one. */
  private validateMember(group: Group, memberId: string, groupInstanceId: string | null): Member | number {
    if (group.isFenced(groupInstanceId, memberId)) return ErrorCode.FENCED_INSTANCE_ID;
    const member = group.members.get(memberId);
    return member ?? ErrorCode.UNKNOWN_MEMBER_ID;
  }

  // ---------------------------------------------------------------- SyncGroup

  sync(p: SyncParams): Promise<SyncResult> {
    const group = this.groups.get(p.groupId);
    if (this.closed) return Promise.resolve(syncError(ErrorCode.NOT_COORDINATOR));
    if (!group) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (group.state === 'Dead') return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const member = this.validateMember(group, p.memberId, p.groupInstanceId);
    if (typeof member === 'number') return Promise.resolve(syncError(member));
    if (p.generationId !== group.generationId) return Promise.resolve(syncError(ErrorCode.ILLEGAL_GENERATION));
    if (
      (p.protocolType !== null && p.protocolType !== group.protocolType) ||
      (p.protocolName !== null && p.protocolName !== group.protocolName)
    ) {
      return Promise.resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    switch (group.state) {
      case 'Empty':
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'CompletingRebalance': {
        this.touch(group, member);
        this.syncReceived(group, member.memberId);
        member.syncWaiter?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        const result = new Promise<SyncResult>((resolve) => (member.syncWaiter = resolve));
        if (member.memberId === group.leaderId) {
          const given = new Map(p.assignments.map((a) => [a.memberId, a.assignment]));
          for (const m of group.members.values()) m.assignment = given.get(m.memberId) ?? EMPTY_BYTES;
          group.transition('Stable', Date.now());
          for (const m of group.members.values()) {
            const waiter = m.syncWaiter;
            m.syncWaiter = null;
            waiter?.(this.syncResult(group, m));
          }
        }
        return result;
      }
      case 'Stable':
        this.touch(group, member);
        this.syncReceived(group, member.memberId);
        return Promise.resolve(this.syncResult(group, member));
      default:
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private syncResult(group: Group, member: Member): SyncResult {
    return { errorCode: 0, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment };
  }

  private syncReceived(group: Group, memberId: string): void {
    group.pendingSync.delete(memberId);
    if (group.pendingSync.size === 0 && group.syncTimer) {
      clearTimeout(group.syncTimer);
      group.syncTimer = null;
    }
  }

  // ---------------------------------------------------------------- Heartbeat

  heartbeat(p: MemberRef): number {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    const group = this.groups.get(p.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (group.state === 'Empty') return ErrorCode.UNKNOWN_MEMBER_ID;
    const member = this.validateMember(group, p.memberId, p.groupInstanceId);
    if (typeof member === 'number') return member;
    if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.touch(group, member);
    return group.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  // --------------------------------------------------------------- LeaveGroup

  leave(groupId: string, leaving: readonly { memberId: string; groupInstanceId: string | null }[]): LeaveResult {
    if (this.closed) return { errorCode: ErrorCode.NOT_COORDINATOR, members: [] };
    const group = this.groups.get(groupId);
    if (!group) {
      return { errorCode: 0, members: leaving.map((m) => ({ ...m, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })) };
    }
    if (group.state === 'Dead') return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const members = leaving.map((l) => ({ ...l, errorCode: this.leaveOne(group, l.memberId, l.groupInstanceId) }));
    this.dropIfUseless(group);
    return { errorCode: 0, members };
  }

  private leaveOne(group: Group, memberId: string, groupInstanceId: string | null): number {
    let id = memberId;
    if (groupInstanceId !== null) {
      const owner = group.staticMembers.get(groupInstanceId);
      if (owner === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (memberId !== '' && owner !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
      id = owner;
    }
    const pending = group.pendingMembers.get(id);
    if (pending) {
      clearTimeout(pending);
      group.pendingMembers.delete(id);
      this.tryCompleteJoin(group);
      return ErrorCode.NONE;
    }
    const member = group.members.get(id);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeMemberAndUpdateGroup(group, member);
    return ErrorCode.NONE;
  }

  // ------------------------------------------------------------ OffsetCommit

  /** Commits `offsets` if the caller may; returns the error for all of them (0 when stored). */
  commitOffsets(p: CommitParams): number {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    if (p.groupId === '') return ErrorCode.INVALID_GROUP_ID;
    if (this.consumerGroups.has(p.groupId)) {
      // KIP-848 group: the generation field carries the member epoch.
      const errorCode = this.consumerGroups.validateOffsetCommit(p.groupId, p.memberId, p.generationId);
      if (errorCode === ErrorCode.NONE) this.store.commit(p.groupId, p.offsets);
      return errorCode;
    }
    let group = this.groups.get(p.groupId);
    if (!group) {
      // Only a consumer managing its own partitions (no generation) may create a group by committing.
      if (p.generationId >= 0) return ErrorCode.ILLEGAL_GENERATION;
      group = new Group(p.groupId, Date.now());
      this.groups.set(p.groupId, group);
    }
    if (group.state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    let member: Member | undefined;
    if (p.generationId >= 0 || p.memberId !== '' || p.groupInstanceId !== null) {
      const m = this.validateMember(group, p.memberId, p.groupInstanceId);
      if (typeof m === 'number') return m;
      if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
      member = m;
    } else if (group.state !== 'Empty') {
      // The group is managed by its members; an outsider must not move their offsets.
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    if (member) this.touch(group, member);
    this.store.commit(p.groupId, p.offsets);
    this.dropIfUseless(group);
    return ErrorCode.NONE;
  }

  /**
   * TxnOffsetCommit's check of the committing member (v3+ send their generation and member id; older
   * versions send none, and nothing is checked, as Kafka). 0 when the caller may commit for the group.
   */
  checkTransactionalCommit(groupId: string, generationId: number, memberId: string, groupInstanceId: string | null): number {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    if (generationId < 0 && memberId === '' && groupInstanceId === null) return ErrorCode.NONE;
    if (this.consumerGroups.has(groupId)) return this.consumerGroups.validateOffsetCommit(groupId, memberId, generationId);
    const group = this.groups.get(groupId);
    if (!group) return ErrorCode.ILLEGAL_GENERATION;
    const m = this.validateMember(group, memberId, groupInstanceId);
    if (typeof m === 'number') return m;
    return generationId === group.generationId ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
  }

  /** Stores the offsets of a committed transaction (checked when they were sent, see src/broker/txn). */
  async commitTransactionalOffsets(groupId: string, offsets: readonly OffsetToCommit[]): Promise<void> {
    let group = this.groups.get(groupId);
    if (!group) this.groups.set(groupId, (group = new Group(groupId, Date.now())));
    await this.store.commit(groupId, offsets);
    this.dropIfUseless(group);
  }

  /** Resolves once every commit accepted so far is written; OffsetCommit awaits it before acknowledging. */
  offsetsWritten(): Promise<void> {
    return this.store.written();
  }

  // ------------------------------------------------------------- OffsetFetch

  /**
   * Committed offsets of `groupId` for the given partitions, or every committed offset when `topics` is null.
   * A partition without a commit gets offset -1.
   */
  fetchOffsets(groupId: string, topics: readonly { name: string; partitions: readonly number[] }[] | null): { name: string; partitions: FetchedOffset[] }[] {
    const committed = this.store.offsetsOf(groupId);
    const present = (partition: number, c: CommittedOffset | undefined): FetchedOffset =>
      c
        ? { partition, offset: c.offset, leaderEpoch: c.leaderEpoch, metadata: c.metadata ?? '', errorCode: 0 }
        : { partition, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: 0 };
    if (topics === null) {
      return [...committed].map(([name, parts]) => ({
        name,
        partitions: [...parts].sort((a, b) => a[0] - b[0]).map(([partition, c]) => present(partition, c)),
      }));
    }
    return topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((partition) => present(partition, committed.get(t.name)?.get(partition))),
    }));
  }

  // ------------------------------------------------------------ OffsetDelete

  /**
   * OffsetDelete, as Kafka: a group with members may only lose offsets of topics none of its members
   * subscribes to (the others get GROUP_SUBSCRIBED_TO_TOPIC); a group of another protocol type with members
   * gets NON_EMPTY_GROUP; an unknown group GROUP_ID_NOT_FOUND. Returns the group error and per-partition codes.
   */
  async deleteOffsets(groupId: string, topics: readonly { name: string; partitions: readonly number[] }[]): Promise<{ errorCode: number; partitions: Map<string, number> }> {
    const codes = new Map<string, number>();
    const fail = (errorCode: number) => ({ errorCode, partitions: codes });
    if (this.closed) return fail(ErrorCode.NOT_COORDINATOR);
    if (groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
    const group = this.groups.get(groupId);
    if (!group || group.state === 'Dead') return fail(ErrorCode.GROUP_ID_NOT_FOUND);
    const hasMembers = !group.isEmptyOfMembers;
    if (hasMembers && group.protocolType !== 'consumer') return fail(ErrorCode.NON_EMPTY_GROUP);
    const subscribed = new Set<string>();
    if (hasMembers) {
      for (const m of group.members.values()) {
        // Before a protocol is chosen, any of the member's protocols may become the group's.
        const candidates = group.protocolName ? [m.metadataFor(group.protocolName)] : m.protocols.map((p) => p.metadata);
        for (const meta of candidates) for (const t of subscribedTopics(meta) ?? []) subscribed.add(t);
      }
    }
    const doomed: { topic: string; partition: number }[] = [];
    for (const t of topics) {
      for (const partition of t.partitions) {
        if (subscribed.has(t.name)) codes.set(`${t.name}:${partition}`, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
        else doomed.push({ topic: t.name, partition });
      }
    }
    await this.store.deleteOffsets(groupId, doomed);
    this.dropIfUseless(group);
    return { errorCode: ErrorCode.NONE, partitions: codes };
  }

  // ------------------------------------------------------ Describe/List/Delete

  describe(groupId: string): GroupDescription {
    if (this.consumerGroups.has(groupId)) {
      // As Kafka 3.9 (DescribeGroups up to v5): a group that is not classic describes as Dead, without an
      // error (v6, KIP-1043, would say GROUP_ID_NOT_FOUND); ConsumerGroupDescribe describes it.
      return { errorCode: 0, groupId, state: 'Dead', protocolType: '', protocolName: '', members: [] };
    }
    const group = this.groups.get(groupId);
    if (!group) {
      return { errorCode: 0, groupId, state: 'Dead', protocolType: '', protocolName: '', members: [] };
    }
    // Like Kafka, member metadata and assignments are only shown once the group is stable.
    const stable = group.state === 'Stable';
    return {
      errorCode: 0,
      groupId,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocolName: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadataFor(group.protocolName) : EMPTY_BYTES,
        assignment: stable ? m.assignment : EMPTY_BYTES,
      })),
    };
  }

  /** Every group, optionally only those in one of `states` / of one of `types` (case-insensitive). */
  list(states: readonly string[] = [], types: readonly string[] = []): ListedGroup[] {
    const stateSet = new Set(states.map((s) => s.toLowerCase()));
    const typeSet = new Set(types.map((t) => t.toLowerCase()));
    const out: ListedGroup[] = [];
    for (const g of this.groups.values()) {
      if (g.state === 'Dead') continue;
      if (stateSet.size > 0 && !stateSet.has(g.state.toLowerCase())) continue;
      if (typeSet.size > 0 && !typeSet.has('classic')) continue;
      out.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state, groupType: 'classic' });
    }
    for (const g of this.consumerGroups.all()) {
      if (stateSet.size > 0 && !stateSet.has(g.state.toLowerCase())) continue;
      if (typeSet.size > 0 && !typeSet.has('consumer')) continue;
      out.push({ groupId: g.groupId, protocolType: 'consumer', state: g.state, groupType: 'consumer' });
    }
    return out;
  }

  deleteGroups(groupIds: readonly string[]): { groupId: string; errorCode: number }[] {
    return groupIds.map((groupId) => {
      if (this.closed) return { groupId, errorCode: ErrorCode.NOT_COORDINATOR };
      if (groupId === '') return { groupId, errorCode: ErrorCode.INVALID_GROUP_ID };
      const consumerGroup = this.consumerGroups.group(groupId);
      if (consumerGroup) {
        if (consumerGroup.members.size > 0) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
        this.consumerGroups.drop(groupId);
        this.store.deleteGroup(groupId);
        return { groupId, errorCode: 0 };
      }
      const group = this.groups.get(groupId);
      if (!group) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
      if (group.state !== 'Empty' || !group.isEmptyOfMembers) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
      this.deleteGroup(group);
      return { groupId, errorCode: 0 };
    });
  }

  private deleteGroup(group: Group): void {
    group.transition('Dead', Date.now());
    if (group.joinTimer) clearTimeout(group.joinTimer);
    this.clearSyncDeadline(group);
    this.groups.delete(group.groupId);
    this.store.deleteGroup(group.groupId);
  }

  /** An empty group with nothing committed is forgotten (Kafka marks it Dead). */
  private dropIfUseless(group: Group): void {
    if (group.state === 'Empty' && group.isEmptyOfMembers && !this.store.hasOffsets(group.groupId)) {
      group.transition('Dead', Date.now());
      this.groups.delete(group.groupId);
      this.store.deleteGroup(group.groupId);
    }
  }

  /** Forgets committed offsets of a deleted topic in every group. */
  deleteTopic(topic: string): void {
    this.store.deleteTopic(topic);
  }

  // --------------------------------------------------------------- retention

  /**
   * KIP-211: offsets of a group with members never expire; once the group is empty they expire together,
   * `offsets.retention` after it emptied. Offsets of a group that never had members (manual assignment)
   * expire one by one, `offsets.retention` after their commit.
   */
  expireOffsets(now = Date.now()): void {
    const retention = this.config.offsetsRetentionMs;
    // Empty consumer groups: forgotten at once without offsets, else `offsets.retention` after emptying.
    for (const g of [...this.consumerGroups.all()]) {
      if (g.members.size > 0) continue;
      const hasOffsets = this.store.hasOffsets(g.groupId);
      if (!hasOffsets || (g.emptiedAt !== null && now - g.emptiedAt >= retention)) {
        this.consumerGroups.drop(g.groupId);
        if (hasOffsets) this.store.deleteGroup(g.groupId);
      }
    }
    for (const group of [...this.groups.values()]) {
      if (group.state !== 'Empty' || !group.isEmptyOfMembers) continue;
      if (!this.store.hasOffsets(group.groupId)) {
        this.dropIfUseless(group);
        continue;
      }
      if (group.emptiedAt !== null) {
        if (now - group.emptiedAt >= retention) this.deleteGroup(group);
        continue;
      }
      const expired: { topic: string; partition: number }[] = [];
      for (const [topic, parts] of this.store.offsetsOf(group.groupId)) {
        for (const [partition, c] of parts) if (now - c.commitTimestamp >= retention) expired.push({ topic, partition });
      }
      this.store.deleteOffsets(group.groupId, expired);
      this.dropIfUseless(group);
    }
  }

  // ------------------------------------------------------------------ admin

  /** Current state of a group for tools and tests; undefined if unknown. */
  group(groupId: string): Readonly<Group> | undefined {
    return this.groups.get(groupId);
  }

  /** Every group known: with members or with committed offsets (metrics and tools). */
  groupIds(): string[] {
    return [...new Set([...this.groups.keys(), ...this.store.groupIds()])];
  }

  get groupCount(): number {
    return this.groups.size;
  }

  /** Stops every timer and answers parked requests with NOT_COORDINATOR (clients look us up again). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.retentionTimer);
    this.consumerGroups.close();
    for (const group of this.groups.values()) {
      if (group.joinTimer) clearTimeout(group.joinTimer);
      if (group.syncTimer) clearTimeout(group.syncTimer);
      for (const t of group.pendingMembers.values()) clearTimeout(t);
      for (const m of group.members.values()) {
        if (m.sessionTimer) clearTimeout(m.sessionTimer);
        answerParked(m, ErrorCode.NOT_COORDINATOR);
      }
    }
  }

  private guard(fn: () => void): void {
    if (this.closed) return;
    try {
      fn();
    } catch (err) {
      this.onError(err);
    }
  }
}

function memberFrom(memberId: string, p: JoinParams): Member {
  return new Member(memberId, p.groupInstanceId, p.clientId, p.clientHost, p.sessionTimeoutMs, p.rebalanceTimeoutMs, p.protocolType, p.protocols);
}

/** Answers the member's parked JoinGroup and SyncGroup, if any, with `errorCode`; neither stays parked. */
function answerParked(member: Member, errorCode: number): void {
  const join = member.joinWaiter;
  const sync = member.syncWaiter;
  member.joinWaiter = null;
  member.syncWaiter = null;
  join?.(joinError(errorCode, member.memberId));
  sync?.(syncError(errorCode));
}
