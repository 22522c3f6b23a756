/**
 * Fetch (key 1), v4–17 (record batches v2 only; topic IDs from v13).
 *
 * Whole batches from each partition up to its max bytes and the request's max bytes, the latter capped by the
 * broker's fetch.max.bytes; the first partition with data returns at least one batch even when it is larger
 * (KIP-74). Reads hold read memory (read-memory.ts) until their response is written, and wait when it is
 * taken. Short of min_bytes, the fetch parks until an append to one of its partitions wakes it, max_wait_ms
 * passes, or the connection closes. A client that asks for a fetch session (KIP-227; session id != 0 or
 * epoch != -1) gets one from src/broker/fetch-sessions/; the sessionless full fetch pays one comparison for
 * it. read_committed (isolation level 1) stops at the last stable offset and
 * lists the aborted transactions of what it returns (src/broker/txn/read-committed.ts).
 */
import { ErrorCode, errorCodeOf } from '../../protocol/errors.js';
import { EMPTY_BUFFER, ZERO_UUID } from '../../protocol/primitives.js';
import { Fetch, type FetchRequest, type FetchResponse } from '../../protocol/messages/fetch.js';
import type { RequestContext } from '../context.js';
import type { PartitionLog, ReadResult } from '../log/partition-log.js';
import { BATCH_LENGTH_PREFIX, BATCH_OFFSET } from '../../protocol/batch-header.js';
import { CONNECTION_READ_MEMORY, type ConnectionReadMemory, holdUntilWritten, ReadMemory } from '../read-memory.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';
import { abortedTransactionsFor, READ_COMMITTED, trimToStable } from '../txn/read-committed.js';
import '../txn/service.js';
import { AclOperation, allowedOnCluster, allowedOnTopic } from '../acl/check.js';
import { recordQuota, throttleDelay } from '../quotas/throttle.js';
import { defineHandler } from './handler.js';
import { FINAL_EPOCH, type FetchSession, partitionKey, sessionCacheOf } from '../fetch-sessions/session-cache.js';
import { createdOnConnection, type FetchContext, fetchContext, mustRespond, sessionPartitionsOf, usesTopicIds } from '../fetch-sessions/fetch-context.js';

type TopicOut = FetchResponse['responses'][number];
type PartitionOut = TopicOut['partitions'][number];

interface Target {
  topic: string | null;
  topicId: string;
  partition: number;
  fetchOffset: bigint;
  maxBytes: number;
  /** Error found while resolving the topic (unknown name or id). */
  error: number;
}

function partitionOut(partitionIndex: number, errorCode: number, highWatermark = -1n, logStartOffset = -1n, records: Buffer = EMPTY_BUFFER): PartitionOut {
  return {
    partitionIndex,
    errorCode,
    highWatermark,
    lastStableOffset: highWatermark,
    logStartOffset,
    divergingEpoch: { epoch: -1, endOffset: -1n },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1n, epoch: -1 },
    abortedTransactions: [],
    preferredReadReplica: -1,
    records,
  };
}

function withStable(out: PartitionOut, stable: bigint | undefined): PartitionOut {
  if (stable !== undefined) out.lastStableOffset = stable;
  return out;
}

function resolveTargets(ctx: RequestContext, req: FetchRequest, version: number, topicsIn: FetchRequest['topics']): Target[] {
  const out: Target[] = [];
  const topics = ctx.broker.topics;
  // ACLs (none without --authorizer): a follower needs CLUSTER_ACTION, a consumer READ on each topic,
  // checked before existence so a refused client learns nothing about which topics exist.
  const authorizer = ctx.broker.services.authorizer;
  const fromFollower = (version >= 15 ? req.replicaState.replicaId : req.replicaId) >= 0;
  const followerRefused = authorizer !== undefined && fromFollower && !allowedOnCluster(ctx, AclOperation.CLUSTER_ACTION);
  for (const t of topicsIn) {
    let name: string | null = t.topic;
    let error = 0;
    if (version >= 13) {
      const info = topics.byId(t.topicId);
      name = info?.name ?? null;
      if (!info) error = ErrorCode.UNKNOWN_TOPIC_ID;
    }
    if (authorizer !== undefined && error === 0 && (followerRefused || (!fromFollower && !allowedOnTopic(ctx, AclOperation.READ, name!)))) {
      error = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    } else if (version < 13 && !topics.get(t.topic)) {
      error = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    }
    for (const p of t.partitions) {
      out.push({ topic: name, topicId: t.topicId, partition: p.partition, fetchOffset: p.fetchOffset, maxBytes: p.partitionMaxBytes, error });
    }
  }
  return out;
}

interface ReadPass {
  results: PartitionOut[];
  bytes: number;
  /** Read memory this pass holds (connection and broker budgets): given back once its response is written. */
  held: number;
  /** Some partition answered with an error: return at once rather than park. */
  hasError: boolean;
  /** Some partition was left unread for want of memory: return at once (waiting would not free it). */
  starved: boolean;
}

/** A read and the read memory it holds, counted under fetch `fetch` of the connection (0: read-ahead). */
interface HeldRead {
  read: ReadResult | null;
  held: number;
  fetch: number;
}

/**
 * Read-ahead for consumers catching up: after a fetch that filled its byte budget, the next range is read
 * while the response is being sent, so the file read and the network send overlap instead of alternating.
 * One per partition per connection; used only if the next fetch asks for exactly that offset and budget.
 * It holds memory of the connection's budget (taken only if free at once, so read-ahead never makes a
 * connection's memory exceed its limit) and is the first thing given up when memory is short.
 */
interface ReadAhead {
  log: PartitionLog;
  offset: bigint;
  budget: number;
  result: Promise<HeldRead>;
}

const READ_AHEAD = 'fetch.readAhead';
/** Below this a fetch is a tailing consumer's, and reading ahead would only waste memory. */
const READ_AHEAD_MIN_BYTES = 256 * 1024;
const INT32_MAX = 0x7fffffff;

function readAheads(ctx: RequestContext): Map<string, ReadAhead> {
  let m = ctx.connectionState.get(READ_AHEAD) as Map<string, ReadAhead> | undefined;
  if (!m) ctx.connectionState.set(READ_AHEAD, (m = new Map()));
  return m;
}

/** The offset after the last whole batch in `records`. */
function offsetAfter(records: Buffer): bigint {
  let pos = 0;
  let next = -1n;
  while (pos + BATCH_OFFSET.recordCount <= records.length) {
    const size = records.readInt32BE(pos + BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
    if (size <= BATCH_LENGTH_PREFIX || pos + size > records.length) break;
    next = records.readBigInt64BE(pos) + BigInt(records.readInt32BE(pos + BATCH_OFFSET.lastOffsetDelta)) + 1n;
    pos += size;
  }
  return next;
}

/** Gives up a read that will not be sent: its pooled buffer and its read memory. */
function drop(memory: ConnectionReadMemory, r: HeldRead | null): void {
  if (!r) return;
  if (r.read?.records) memory.buffers.release(r.read.records);
  memory.release(r.fetch, r.held);
}

/** Drops every read-ahead of this connection (memory is short, or the connection reads elsewhere). */
function dropReadAheads(ctx: RequestContext, memory: ConnectionReadMemory): void {
  const cache = readAheads(ctx);
  for (const ahead of cache.values()) void ahead.result.then((r) => drop(memory, r));
  cache.clear();
  memory.onShed(null);
}

/**
 * Reads `budget` bytes of `log` from `offset` within the connection's read memory, for fetch `fetch`: a
 * read-ahead started earlier for exactly this offset and budget, else a fresh read. Waits while the memory
 * is taken by earlier responses; null when it is taken by later ones (waiting could deadlock: see
 * read-memory.ts) or the connection closed. `first`: the response has no data yet, so one batch larger
 * than the budget is still returned whole (KIP-74) and counted beyond the reservation.
 */
async function readPartition(ctx: RequestContext, memory: ConnectionReadMemory, fetch: number, key: string, log: PartitionLog, offset: bigint, budget: number, first: boolean): Promise<HeldRead | null> {
  const cache = readAheads(ctx);
  const ahead = cache.get(key);
  if (ahead) {
    cache.delete(key);
    if (cache.size === 0) memory.onShed(null);
  }
  if (ahead && ahead.log === log && ahead.offset === offset && ahead.budget === budget && offset >= log.logStartOffset) {
    const r = await ahead.result;
    // The log only grows at the end; what was read is still the log, unless retention removed it meanwhile.
    if (r.read?.records && offset >= log.logStartOffset) {
      memory.adopt(fetch, r.held);
      return { read: { records: r.read.records, highWatermark: log.highWatermark, logStartOffset: log.logStartOffset }, held: r.held, fetch };
    }
    drop(memory, r);
  } else if (ahead) {
    void ahead.result.then((r) => drop(memory, r));
  }
  const reserved = memory.reserve(fetch, budget, ctx.signal);
  if (reserved === false || (reserved !== true && !(await reserved))) return null;
  let read: ReadResult;
  try {
    read = await log.read(offset, budget, { buffers: memory.buffers, minOneBatch: first });
  } catch (err) {
    memory.release(fetch, budget);
    throw err;
  }
  const size = read.records?.length ?? 0;
  if (size > budget) memory.force(fetch, size - budget);
  else memory.release(fetch, budget - size);
  return { read, held: size, fetch };
}

function startReadAhead(ctx: RequestContext, memory: ConnectionReadMemory, key: string, log: PartitionLog, records: Buffer, budget: number): void {
  if (records.length < READ_AHEAD_MIN_BYTES || records.length < budget / 2) return;
  const next = offsetAfter(records);
  if (next < 0n || next >= log.highWatermark) return;
  if (!memory.tryReserve(budget)) return; // no room without waiting: the next fetch simply reads then
  // At most the budget (no oversize first batch): a read-ahead never holds more than it reserved.
  const result = log.read(next, budget, { buffers: memory.buffers, minOneBatch: false }).then(
    (read): HeldRead => {
      const size = read.records?.length ?? 0;
      memory.release(0, budget - size);
      return { read, held: size, fetch: 0 };
    },
    (): HeldRead => {
      memory.release(0, budget);
      return { read: null, held: 0, fetch: 0 };
    },
  );
  const cache = readAheads(ctx);
  const replaced = cache.get(key);
  if (replaced) void replaced.result.then((r) => drop(memory, r));
  cache.set(key, { log, offset: next, budget, result });
  memory.onShed(() => dropReadAheads(ctx, memory));
}

/** read_committed fetches get the transaction coordinator's view of each partition (src/broker/txn). */
type Committed = TransactionCoordinator['partitions'] | undefined;

async function readAll(ctx: RequestContext, memory: ConnectionReadMemory, fetch: number, targets: Target[], requestMaxBytes: number, readAhead = false, committed: Committed = undefined): Promise<ReadPass> {
  const results: PartitionOut[] = [];
  let bytes = 0;
  let held = 0;
  let hasError = false;
  let starved = false;
  for (const t of targets) {
    if (t.error !== 0 || t.topic === null) {
      results.push(partitionOut(t.partition, t.error || ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
      hasError = true;
      continue;
    }
    const log = ctx.broker.topics.partition(t.topic, t.partition);
    if (!log) {
      results.push(partitionOut(t.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
      hasError = true;
      continue;
    }
    const budget = Math.min(t.maxBytes, requestMaxBytes - bytes);
    const stable = committed === undefined ? undefined : committed.lastStableOffset(log);
    if (budget <= 0 || t.fetchOffset === log.highWatermark || (stable !== undefined && t.fetchOffset >= stable && t.fetchOffset <= log.highWatermark)) {
      results.push(withStable(partitionOut(t.partition, 0, log.highWatermark, log.logStartOffset), stable));
      continue;
    }
    try {
      const key = `${t.topic}\u0000${t.partition}`;
      const got = await readPartition(ctx, memory, fetch, key, log, t.fetchOffset, budget, bytes === 0);
      if (got === null) {
        // No memory without risking a deadlock (or the connection closed): no data for now; the high
        // watermark tells the client there is more, and it fetches again.
        results.push(partitionOut(t.partition, 0, log.highWatermark, log.logStartOffset));
        starved = true;
        continue;
      }
      let records = got.read?.records ?? EMPTY_BUFFER;
      if (stable !== undefined) records = trimToStable(records, stable);
      // Only the first data in the response may exceed the limits (KIP-74); later oversize batches wait.
      if (bytes > 0 && records.length > budget) {
        drop(memory, got);
        records = EMPTY_BUFFER;
      } else held += got.held;
      bytes += records.length;
      const read = got.read ?? { highWatermark: log.highWatermark, logStartOffset: log.logStartOffset };
      const out = partitionOut(t.partition, 0, read.highWatermark, read.logStartOffset, records);
      if (committed !== undefined && stable !== undefined) {
        const loading = committed.ready(log); // the partition's .txnindex, read once
        if (loading) await loading;
        out.lastStableOffset = stable;
        out.abortedTransactions = abortedTransactionsFor(committed, log, t.fetchOffset, records);
      }
      results.push(out);
      if (readAhead) startReadAhead(ctx, memory, key, log, records, budget);
    } catch (err) {
      const code = errorCodeOf(err, ErrorCode.KAFKA_STORAGE_ERROR);
      if (code !== ErrorCode.OFFSET_OUT_OF_RANGE) ctx.logger.error({ err, topic: t.topic, partition: t.partition }, 'fetch read failed');
      results.push(partitionOut(t.partition, code, log.highWatermark, log.logStartOffset));
      hasError = true;
    }
  }
  return { results, bytes, held, hasError, starved };
}

/** Gives back a pass that will not be sent (short of min_bytes: it is read again). */
function dropPass(memory: ConnectionReadMemory, fetch: number, pass: ReadPass): void {
  for (const r of pass.results) if (r.records && r.records.length > 0) memory.buffers.release(r.records);
  memory.release(fetch, pass.held);
}

/**
 * Resolves after the next append to any of `targets`' partitions, after `ms`, or on abort. One listener per
 * partition however often the request names it; unsubscribing is O(1) (the log keeps listeners in a Set).
 */
function parkUntilAppend(ctx: RequestContext, targets: Target[], ms: number, committed: Committed = undefined): { woken: Promise<void>; cancel(): void } {
  let cancel = (): void => {};
  const woken = new Promise<void>((resolve) => {
    const unsubscribes: Array<() => void> = [];
    // read_committed: the commit marker's append comes before the last stable offset moves (the
    // transaction closes after it; an abort only after its .txnindex write), so also wake on the close.
    const closes = committed === undefined ? undefined : new AbortController();
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      for (const u of unsubscribes) u();
      closes?.abort();
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', done);
      resolve();
    };
    const logs = new Set<PartitionLog>();
    for (const t of targets) {
      const log = t.topic === null ? undefined : ctx.broker.topics.partition(t.topic, t.partition);
      if (log && !logs.has(log)) {
        logs.add(log);
        unsubscribes.push(log.onAppend(done));
        if (closes) void committed!.whenClosed(log, closes.signal).then(done);
      }
    }
    const timer = setTimeout(done, ms);
    ctx.signal.addEventListener('abort', done, { once: true });
    cancel = done;
  });
  return { woken, cancel };
}

/** The connection's read memory (connection.ts sets it); a connection-less caller gets an unshared one. */
function readMemoryOf(ctx: RequestContext): ConnectionReadMemory {
  let m = ctx.connectionState.get(CONNECTION_READ_MEMORY) as ConnectionReadMemory | undefined;
  if (!m) {
    const cfg = ctx.config;
    m = new ReadMemory(cfg.readMemoryBytes).forConnection(cfg.maxPendingResponseBytes);
    ctx.connectionState.set(CONNECTION_READ_MEMORY, m);
  }
  return m;
}

function targetsFromFollower(req: FetchRequest, version: number): boolean {
  return (version >= 15 ? req.replicaState.replicaId : req.replicaId) >= 0;
}

/**
 * An incremental fetch's response: only the partitions with news (mustRespond), each topic once; the
 * partitions that answered move to the end of the session so the next fetches serve the others first when
 * max_bytes cuts a response short (Kafka's round robin).
 */
function incrementalResponse(session: FetchSession, topicsIn: FetchRequest['topics'], pass: ReadPass, throttleTimeMs: number, fetch: number, ids: boolean): FetchResponse {
  const responses: TopicOut[] = [];
  let i = 0;
  for (const t of topicsIn) {
    let partitions: PartitionOut[] | undefined;
    for (const p of t.partitions) {
      const out = pass.results[i++]!;
      const key = partitionKey(ids, t.topic, t.topicId, p.partition);
      const cached = session.partitions.get(key);
      if (cached === undefined || !mustRespond(cached, out)) continue;
      session.partitions.delete(key);
      session.partitions.set(key, cached);
      (partitions ??= []).push(out);
    }
    if (partitions) responses.push({ topic: t.topic, topicId: t.topicId ?? ZERO_UUID, partitions });
  }
  const response: FetchResponse = { throttleTimeMs, errorCode: 0, sessionId: session.id, responses, nodeEndpoints: [] };
  if (pass.held > 0) holdUntilWritten(response, { fetch, bytes: pass.held });
  return response;
}

export const fetchHandler = defineHandler<FetchRequest, FetchResponse>({
  codec: Fetch,
  minVersion: 4,
  maxVersion: 17,
  async handle(ctx, req, version) {
    const cfg = ctx.config;
    // Fetch sessions only for clients that ask for them: the sessionless path pays this one test.
    let session: FetchContext | undefined;
    let topicsIn = req.topics;
    if (req.sessionId !== 0 || req.sessionEpoch !== FINAL_EPOCH) {
      session = fetchContext(sessionCacheOf(ctx.broker.services, cfg.maxIncrementalFetchSessionCacheSlots), req, version, Date.now());
      if (session.kind === 'error') return { throttleTimeMs: 0, errorCode: session.error, sessionId: 0, responses: [], nodeEndpoints: [] };
      if (session.kind === 'incremental') topicsIn = session.topics;
    }
    const targets = resolveTargets(ctx, req, version, topicsIn);
    // The broker's fetch.max.bytes caps what the client asks for; so do the read memory limits, which one
    // response alone must fit (else it would wait for memory that only it holds).
    const requestMaxBytes = Math.min(req.maxBytes > 0 ? req.maxBytes : INT32_MAX, cfg.fetchMaxBytes, cfg.maxPendingResponseBytes, cfg.readMemoryBytes);
    const deadline = Date.now() + Math.max(0, req.maxWaitMs);
    const memory = readMemoryOf(ctx);
    const fetch = memory.startFetch();
    // One branch for read_uncommitted; read_committed stops at the last stable offset.
    const committed = req.isolationLevel === READ_COMMITTED ? ctx.broker.services.transactions?.partitions : undefined;
    let pass: ReadPass;
    for (;;) {
      // Subscribe before reading so an append that lands during the read still wakes us.
      const remaining = deadline - Date.now();
      const park = remaining > 0 && !ctx.signal.aborted ? parkUntilAppend(ctx, targets, remaining, committed) : null;
      pass = await readAll(ctx, memory, fetch, targets, requestMaxBytes, true, committed);
      if (!park) break;
      if (pass.bytes >= req.minBytes || pass.hasError || pass.starved || pass.bytes >= requestMaxBytes) {
        park.cancel();
        break;
      }
      dropPass(memory, fetch, pass); // short of min_bytes: this pass is read again
      const metrics = ctx.broker.services.metrics;
      if (metrics) metrics.parkedFetches++;
      await park.woken; // then read again: after an append, at the deadline, or on shutdown (no new park)
      if (metrics) metrics.parkedFetches--;
    }
    // consumer_byte_rate (src/broker/quotas): as Kafka, a client over its quota gets an empty answer after
    // the throttle time (its data is released at once, not held through the delay) and fetches again.
    let bytes = 0;
    for (const r of pass.results) bytes += r.records?.length ?? 0;
    const throttleTimeMs = bytes > 0 ? recordQuota(ctx, 'consumer_byte_rate', bytes) : 0;
    if (throttleTimeMs > 0) {
      dropPass(memory, fetch, pass);
      pass.held = 0;
      pass.results = pass.results.map((r) => ({ ...r, records: EMPTY_BUFFER }));
      await throttleDelay(ctx, throttleTimeMs);
    }
    ctx.broker.services.metrics?.fetched(targets, pass.results);
    if (session !== undefined && session.kind === 'incremental') return incrementalResponse(session.session, topicsIn, pass, throttleTimeMs, fetch, usesTopicIds(version));
    // Group partition results back under their topics, in request order.
    const responses: TopicOut[] = [];
    let i = 0;
    for (const t of topicsIn) {
      const partitions = pass.results.slice(i, i + t.partitions.length);
      i += t.partitions.length;
      responses.push({ topic: t.topic, topicId: t.topicId ?? ZERO_UUID, partitions });
    }
    let sessionId = 0;
    if (session !== undefined && session.kind === 'full' && session.create) {
      const ids = usesTopicIds(version);
      const cache = sessionCacheOf(ctx.broker.services, cfg.maxIncrementalFetchSessionCacheSlots);
      createdOnConnection(cache, ctx.connectionState, undefined); // first frees this connection's unused one
      const created = cache.create(sessionPartitionsOf(topicsIn, pass.results, ids), targetsFromFollower(req, version), ids, Date.now());
      createdOnConnection(cache, ctx.connectionState, created);
      sessionId = created?.id ?? 0;
    }
    const response: FetchResponse = { throttleTimeMs, errorCode: 0, sessionId, responses, nodeEndpoints: [] };
    if (pass.held > 0) holdUntilWritten(response, { fetch, bytes: pass.held });
    return response;
  },
  errorResponse(req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      errorCode,
      sessionId: 0,
      responses: req.topics.map((t) => ({ topic: t.topic, topicId: t.topicId, partitions: t.partitions.map((p) => partitionOut(p.partition, errorCode)) })),
      nodeEndpoints: [],
    };
  },
});
