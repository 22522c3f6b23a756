/**
 * How one Fetch request uses the session cache (session-cache.ts has the rules): which partitions it reads,
 * and, once read, which of them its response carries and what the session remembers.
 */
import { ZERO_UUID } from '../../protocol/primitives.js';
import type { FetchRequest, FetchResponse } from '../../protocol/messages/fetch.js';
import { FINAL_EPOCH, INITIAL_EPOCH, nextEpoch, type FetchSession, type FetchSessionCache, partitionKey, type SessionPartition } from './session-cache.js';

type TopicIn = FetchRequest['topics'][number];
/** A new session's epoch, which its first incremental request carries. */
const FIRST_EPOCH = nextEpoch(INITIAL_EPOCH);
type PartitionOut = FetchResponse['responses'][number]['partitions'][number];

export type FetchContext =
  /** A full fetch; `create`: make a session of its partitions afterwards (epoch 0). */
  | { kind: 'full'; create: boolean; error: 0 }
  /** An incremental fetch: read `topics` (the whole session), answer only what changed. */
  | { kind: 'incremental'; session: FetchSession; topics: TopicIn[]; error: 0 }
  /** The request names a session it may not use: a top-level error and no partitions. */
  | { kind: 'error'; error: number };

/** Topic ids came in with Fetch v13; sessions are keyed by them from then on. */
export function usesTopicIds(version: number): boolean {
  return version >= 13;
}

/** Only for requests that ask for sessions (session id != 0 or epoch != -1). */
export function fetchContext(cache: FetchSessionCache, req: FetchRequest, version: number, now: number): FetchContext {
  const ids = usesTopicIds(version);
  if (req.sessionEpoch === FINAL_EPOCH || req.sessionEpoch === INITIAL_EPOCH) {
    if (req.sessionId !== 0) cache.remove(req.sessionId); // a full request closes the session it names
    return { kind: 'full', create: req.sessionEpoch === INITIAL_EPOCH, error: 0 };
  }
  const found = cache.lookup(req.sessionId, req.sessionEpoch, ids);
  const session = found.session;
  if (session === undefined) return { kind: 'error', error: found.error };
  for (const t of req.topics) {
    for (const p of t.partitions) {
      const key = partitionKey(ids, t.topic, t.topicId, p.partition);
      const cached = session.partitions.get(key);
      if (cached) {
        cached.fetchOffset = p.fetchOffset;
        cached.maxBytes = p.partitionMaxBytes;
      } else {
        session.partitions.set(key, { topic: t.topic, topicId: t.topicId, partition: p.partition, fetchOffset: p.fetchOffset, maxBytes: p.partitionMaxBytes, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n });
      }
    }
  }
  for (const f of req.forgottenTopicsData) for (const p of f.partitions) session.partitions.delete(partitionKey(ids, f.topic, f.topicId, p));
  if (session.partitions.size === 0) {
    // Kafka closes a session left empty and answers without one.
    cache.remove(session.id);
    return { kind: 'full', create: false, error: 0 };
  }
  cache.touch(session, now);
  return { kind: 'incremental', session, topics: sessionTopics(session, ids), error: 0 };
}

/** The session's partitions as request topics (grouped by topic, in the session's order). */
function sessionTopics(session: FetchSession, ids: boolean): TopicIn[] {
  const byTopic = new Map<string, TopicIn>();
  for (const p of session.partitions.values()) {
    const k = ids ? p.topicId : p.topic;
    let t = byTopic.get(k);
    if (!t) byTopic.set(k, (t = { topic: p.topic, topicId: p.topicId ?? ZERO_UUID, partitions: [] }));
    t.partitions.push({ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: p.fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: p.maxBytes, replicaDirectoryId: ZERO_UUID });
  }
  return [...byTopic.values()];
}

/**
 * Whether an incremental response must carry this partition (Kafka's maybeUpdateResponseData): it has
 * records or an error, or its high watermark, last stable offset or log start moved. Remembers what it
 * answered; an error forgets the high watermark so the partition is sent again next time.
 */
export function mustRespond(cached: SessionPartition, out: PartitionOut): boolean {
  let respond = (out.records?.length ?? 0) > 0;
  if (cached.highWatermark !== out.highWatermark) {
    respond = true;
    cached.highWatermark = out.highWatermark;
  }
  if (cached.lastStableOffset !== out.lastStableOffset) {
    respond = true;
    cached.lastStableOffset = out.lastStableOffset;
  }
  if (cached.logStartOffset !== out.logStartOffset) {
    respond = true;
    cached.logStartOffset = out.logStartOffset;
  }
  if (out.errorCode !== 0) {
    respond = true;
    cached.highWatermark = -1n;
  }
  return respond;
}

const LAST_CREATED = 'fetchSessions.lastCreated';

/**
 * Beyond Kafka: when a connection creates a session, the previous session it created is closed if it was
 * never continued (its epoch is still the first). A client that asks for a new session on every fetch and
 * never uses it (@platformatic/kafka sends epoch 0 each time) then holds one session per connection, not
 * every slot of the cache with a copy of its partitions (1,000 of 1,000 partitions: ~160 MB). A client
 * that does use sessions continues each one before it would make another, so it loses nothing.
 */
export function createdOnConnection(cache: FetchSessionCache, connectionState: Map<string, unknown>, created: FetchSession | undefined): void {
  const previous = connectionState.get(LAST_CREATED) as FetchSession | undefined;
  if (previous !== undefined && previous !== created && previous.epoch === FIRST_EPOCH && cache.get(previous.id) === previous) cache.remove(previous.id);
  if (created) connectionState.set(LAST_CREATED, created);
  else connectionState.delete(LAST_CREATED);
}

/** The partitions of a full fetch's response, as a new session remembers them. */
export function sessionPartitionsOf(topics: TopicIn[], results: PartitionOut[], ids: boolean): Map<string, SessionPartition> {
  const out = new Map<string, SessionPartition>();
  let i = 0;
  for (const t of topics) {
    for (const p of t.partitions) {
      const r = results[i++]!;
      out.set(partitionKey(ids, t.topic, t.topicId, p.partition), {
        topic: t.topic,
        topicId: t.topicId,
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        maxBytes: p.partitionMaxBytes,
        highWatermark: r.errorCode !== 0 ? -1n : r.highWatermark,
        lastStableOffset: r.lastStableOffset,
        logStartOffset: r.logStartOffset,
      });
    }
  }
  return out;
}
