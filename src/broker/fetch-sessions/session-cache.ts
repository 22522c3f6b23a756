/**
 * Incremental fetch sessions (KIP-227): the broker remembers the partitions a client fetches, so each
 * later request lists only what changed and each response only the partitions with news. The facts follow
 * Kafka's FetchSession.scala (FetchManager, FetchSessionCache):
 * - epoch -1 (final): a full, sessionless fetch; a session named by the request is closed first.
 * - epoch 0 (initial): a full fetch that creates a session (closing any it names); the id is 0 if the
 *   cache is full and nothing may be evicted, and the client simply fetches without one.
 * - epoch > 0: the session must exist (FETCH_SESSION_ID_NOT_FOUND) with exactly this epoch
 *   (INVALID_FETCH_SESSION_EPOCH); the request's partitions are added or updated, forgotten_topics_data
 *   removed, and the epoch moves on (wrapping from INT32_MAX to 1). A session left empty is closed.
 * - a session created with topic ids (v13+) used by a request without them, or the reverse, is
 *   FETCH_SESSION_TOPIC_ID_ERROR.
 * - eviction: a session unused for 2 minutes (Kafka's fixed min.incremental.fetch.session.eviction.ms)
 *   goes first; else the smallest session older than that, if the new one has more partitions; a
 *   follower's (privileged) session may also evict any consumer's.
 * Sessions are not tied to a connection (as Kafka: a client may reconnect and carry on); the cache's slot
 * count and request sizes bound them.
 */
import { ErrorCode } from '../../protocol/errors.js';

/** Kafka's FetchMetadata.FINAL_EPOCH / INITIAL_EPOCH. */
export const FINAL_EPOCH = -1;
export const INITIAL_EPOCH = 0;
/** Kafka's MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS (a constant there, not a setting). */
export const SESSION_EVICTION_MS = 120_000;
const INT32_MAX = 0x7fffffff;

/** What the session remembers of one partition: the request's part and what the last response said. */
export interface SessionPartition {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: bigint;
  maxBytes: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
}

export interface FetchSession {
  readonly id: number;
  readonly privileged: boolean;
  readonly usesTopicIds: boolean;
  readonly createdMs: number;
  lastUsedMs: number;
  /** The epoch the next request must carry. */
  epoch: number;
  /** Insertion order is fetch order; partitions that answered move to the end (Kafka's round robin). */
  readonly partitions: Map<string, SessionPartition>;
}

export function nextEpoch(epoch: number): number {
  return epoch < 0 ? FINAL_EPOCH : epoch === INT32_MAX ? 1 : epoch + 1;
}

/** The session's key for a partition: topic id with ids (v13+), else the name. */
export function partitionKey(usesTopicIds: boolean, topic: string, topicId: string, partition: number): string {
  return `${usesTopicIds ? topicId : topic}\u0000${partition}`;
}

export type SessionLookup = { session: FetchSession; error: 0 } | { session: undefined; error: number };

export class FetchSessionCache {
  /** By id, in creation order (never re-inserted): the first is the oldest. */
  private readonly sessions = new Map<number, FetchSession>();
  /** The same sessions, re-inserted on each use: the first is the one unused longest. */
  private readonly byLastUse = new Map<number, FetchSession>();

  constructor(
    readonly slots: number,
    private readonly evictionMs = SESSION_EVICTION_MS,
    private readonly randomId: () => number = () => 1 + Math.floor(Math.random() * (INT32_MAX - 1)),
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id);
  }

  remove(id: number): boolean {
    this.byLastUse.delete(id);
    return this.sessions.delete(id);
  }

  /** The session an incremental request (epoch > 0) continues, or the error Kafka answers. */
  lookup(id: number, epoch: number, usesTopicIds: boolean): SessionLookup {
    const session = this.sessions.get(id);
    if (!session) return { session: undefined, error: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
    if (session.epoch !== epoch) return { session: undefined, error: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
    if (session.usesTopicIds !== usesTopicIds) return { session: undefined, error: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR };
    return { session, error: 0 };
  }

  /** Marks a session used by a request and moves its epoch on. */
  touch(session: FetchSession, now: number): void {
    session.lastUsedMs = now;
    this.byLastUse.delete(session.id);
    this.byLastUse.set(session.id, session);
    session.epoch = nextEpoch(session.epoch);
  }

  /**
   * A new session for `partitions` (its first response already sent them all), or undefined when the
   * cache is full and nothing may be evicted. Finding a stale session, or that none is old enough to be
   * evicted, is O(1) (the maps' orders); only choosing among old sessions scans the cache, and only when a
   * session is created into a full cache, never on a fetch that continues one.
   */
  create(partitions: Map<string, SessionPartition>, privileged: boolean, usesTopicIds: boolean, now: number): FetchSession | undefined {
    if (this.slots <= 0) return undefined;
    if (this.sessions.size >= this.slots && !this.tryEvict(privileged, partitions.size, now)) return undefined;
    let id: number;
    do id = this.randomId();
    while (id === 0 || this.sessions.has(id));
    const session: FetchSession = { id, privileged, usesTopicIds, createdMs: now, lastUsedMs: now, epoch: nextEpoch(INITIAL_EPOCH), partitions };
    this.sessions.set(id, session);
    this.byLastUse.set(id, session);
    return session;
  }

  private tryEvict(privileged: boolean, size: number, now: number): boolean {
    const stalest = this.byLastUse.values().next().value;
    if (stalest === undefined) return false;
    if (now - stalest.lastUsedMs > this.evictionMs) return this.remove(stalest.id);
    const oldest = this.sessions.values().next().value!;
    if (!privileged && now - oldest.createdMs <= this.evictionMs) return false; // none old enough to evict
    // Kafka's evictable sets: by anyone once older than the eviction time; by a follower also any
    // consumer's session. The least valuable is ordered by (privileged, size, id); the newcomer (id 0)
    // wins only if it is privileged and that one is not, or it has more partitions.
    let least: FetchSession | undefined;
    for (const s of this.sessions.values()) {
      const old = now - s.createdMs > this.evictionMs;
      if (!(old || (privileged && !s.privileged))) continue;
      if (!least || compareValue(s, least) < 0) least = s;
    }
    if (!least) return false;
    const newcomerFirst = privileged !== least.privileged ? (privileged ? 1 : -1) : size - least.partitions.size;
    if (newcomerFirst <= 0) return false;
    return this.remove(least.id);
  }
}

function compareValue(a: FetchSession, b: FetchSession): number {
  if (a.privileged !== b.privileged) return a.privileged ? 1 : -1;
  if (a.partitions.size !== b.partitions.size) return a.partitions.size - b.partitions.size;
  return a.id - b.id;
}

const CACHES = new WeakMap<object, FetchSessionCache>();

/**
 * The broker's session cache, created on the first fetch that asks for a session. Keyed by the broker's
 * services object, which every listener's context shares (a session may move between listeners, as Kafka).
 */
export function sessionCacheOf(services: object, slots: number): FetchSessionCache {
  let c = CACHES.get(services);
  if (!c) CACHES.set(services, (c = new FetchSessionCache(slots)));
  return c;
}
