/**
 * The data of one classic consumer group and its members: state, generation, chosen protocol, leader,
 * static-member mapping, and the callbacks of requests parked while a rebalance is in progress. The rules
 * that move it between states live in `coordinator.ts`.
 *
 * States follow Kafka's classic group protocol (KIP-62/KIP-345/KIP-394):
 * Empty → PreparingRebalance → CompletingRebalance → Stable, back to PreparingRebalance on any membership
 * or metadata change, and Dead once deleted.
 */

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export const GROUP_STATES: readonly GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];

export interface GroupProtocol {
  name: string;
  /** Opaque to the broker; handed to the leader exactly as the member sent it. */
  metadata: Buffer;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

export class Member {
  assignment: Buffer = EMPTY_BYTES;
  /** Set while the member's JoinGroup waits for the rebalance to complete. */
  joinWaiter: ((result: JoinResult) => void) | null = null;
  /** Set while the member's SyncGroup waits for the leader's assignment. */
  syncWaiter: ((result: SyncResult) => void) | null = null;
  sessionTimer: NodeJS.Timeout | null = null;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public sessionTimeoutMs: number,
    public rebalanceTimeoutMs: number,
    public protocolType: string,
    public protocols: GroupProtocol[],
  ) {}

  supports(protocolName: string): boolean {
    return this.protocols.some((p) => p.name === protocolName);
  }

  metadataFor(protocolName: string | null): Buffer {
    return this.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY_BYTES;
  }

  /** Same protocol names, order and metadata bytes: a rejoin that changes nothing. */
  sameProtocols(protocols: readonly GroupProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => {
      const mine = this.protocols[i]!;
      return mine.name === p.name && mine.metadata.equals(p.metadata);
    });
  }
}

export class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Members in join order; the first one becomes leader when the leader leaves. */
  readonly members = new Map<string, Member>();
  /** Member ids handed out with MEMBER_ID_REQUIRED that have not joined yet, with their expiry timers. */
  readonly pendingMembers = new Map<string, NodeJS.Timeout>();
  /** group.instance.id → current member id. */
  readonly staticMembers = new Map<string, string>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSync = new Set<string>();
  /** Deadline of the current PreparingRebalance (rebalance timeout or initial delay). */
  joinTimer: NodeJS.Timeout | null = null;
  /** Deadline for every member of a new generation to send SyncGroup. */
  syncTimer: NodeJS.Timeout | null = null;
  /** While the initial delay of a formerly empty group runs: its overall deadline and whether anyone joined. */
  initialDelay: { deadline: number; newMemberAdded: boolean } | null = null;
  /** When the group entered its current state (ms). */
  stateTimestamp: number;
  /** When the group last became empty (ms); offsets expire relative to it. */
  emptiedAt: number | null = null;

  constructor(
    readonly groupId: string,
    now: number,
  ) {
    this.stateTimestamp = now;
  }

  transition(state: GroupState, now: number): void {
    this.state = state;
    this.stateTimestamp = now;
  }

  get isEmptyOfMembers(): boolean {
    return this.members.size === 0 && this.pendingMembers.size === 0;
  }

  /** Every member has a JoinGroup parked and nobody is still fetching a member id. */
  get allMembersJoined(): boolean {
    if (this.pendingMembers.size > 0) return false;
    for (const m of this.members.values()) if (!m.joinWaiter) return false;
    return true;
  }

  /** The longest rebalance timeout of any member: how long a rebalance may wait for rejoins. */
  get rebalanceTimeoutMs(): number {
    let t = 0;
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  /** A static member id different from `memberId` owns `groupInstanceId`: the caller is a zombie. */
  isFenced(groupInstanceId: string | null, memberId: string): boolean {
    if (groupInstanceId === null) return false;
    const owner = this.staticMembers.get(groupInstanceId);
    return owner !== undefined && owner !== memberId;
  }

  /**
   * Whether a member offering `protocols` can join: an empty group takes any non-empty set; otherwise the
   * type must match and at least one protocol must be supported by every current member as well.
   */
  canSupport(protocolType: string, protocols: readonly GroupProtocol[]): boolean {
    if (protocolType === '' || protocols.length === 0) return false;
    if (this.members.size === 0) return true;
    if (protocolType !== this.protocolType) return false;
    return protocols.some((p) => {
      for (const m of this.members.values()) if (!m.supports(p.name)) return false;
      return true;
    });
  }

  /**
   * The protocol for the next generation: among those every member supports, the one most members list
   * first (each member votes for its most preferred candidate); ties go to the leader's preference order.
   */
  selectProtocol(): string | null {
    const all = [...this.members.values()];
    const reference = (this.leaderId ? this.members.get(this.leaderId) : undefined) ?? all[0];
    if (!reference) return null;
    const candidates = reference.protocols.map((p) => p.name).filter((name) => all.every((m) => m.supports(name)));
    if (candidates.length === 0) return null;
    const votes = new Map<string, number>(candidates.map((c) => [c, 0]));
    for (const m of all) {
      const choice = m.protocols.find((p) => votes.has(p.name));
      if (choice) votes.set(choice.name, votes.get(choice.name)! + 1);
    }
    let best = candidates[0]!;
    for (const c of candidates) if (votes.get(c)! > votes.get(best)!) best = c;
    return best;
  }

  /** The JoinGroup answer for `memberId` in the current generation (the leader also gets every member). */
  joinResultFor(memberId: string, skipAssignment = false): JoinResult {
    const isLeader = memberId === this.leaderId;
    return {
      errorCode: 0,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: this.leaderId ?? '',
      skipAssignment: isLeader && skipAssignment,
      memberId,
      members: isLeader
        ? [...this.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: m.metadataFor(this.protocolName),
          }))
        : [],
    };
  }
}

export function joinError(errorCode: number, memberId = ''): JoinResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  };
}

export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}
