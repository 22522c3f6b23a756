/**
 * Fetch (key 1), v4–17 (record batches v2 only; topic IDs from v13).
 *
 * Whole batches from each partition up to its max bytes and the request's max bytes; the first partition
 * with data returns at least one batch even when it is larger (KIP-74). Short of min_bytes, the fetch parks
 * until an append to one of its partitions wakes it, max_wait_ms passes, or the connection closes. Fetch
 * sessions are not kept: session id 0 and a full response every time, which every client accepts.
 * Last stable offset = high watermark (no transactions yet).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { EMPTY_BUFFER, ZERO_UUID } from '../../protocol/primitives.js';
import { Fetch, type FetchRequest, type FetchResponse } from '../../protocol/messages/fetch.js';
import type { RequestContext } from '../context.js';
import { defineHandler } from './handler.js';

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

function resolveTargets(ctx: RequestContext, req: FetchRequest, version: number): Target[] {
  const out: Target[] = [];
  const topics = ctx.broker.topics;
  for (const t of req.topics) {
    let name: string | null = t.topic;
    let error = 0;
    if (version >= 13) {
      const info = topics.byId(t.topicId);
      name = info?.name ?? null;
      if (!info) error = ErrorCode.UNKNOWN_TOPIC_ID;
    } else if (!topics.get(t.topic)) {
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
  /** Some partition answered with an error: return at once rather than park. */
  hasError: boolean;
}

async function readAll(ctx: RequestContext, targets: Target[], requestMaxBytes: number): Promise<ReadPass> {
  const results: PartitionOut[] = [];
  let bytes = 0;
  let hasError = false;
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
    if (budget <= 0 || t.fetchOffset === log.highWatermark) {
      results.push(partitionOut(t.partition, 0, log.highWatermark, log.logStartOffset));
      continue;
    }
    try {
      const read = await log.read(t.fetchOffset, budget);
      let records = read.records ?? EMPTY_BUFFER;
      // Only the first data in the response may exceed the limits (KIP-74); later oversize batches wait.
      if (bytes > 0 && records.length > budget) records = EMPTY_BUFFER;
      bytes += records.length;
      results.push(partitionOut(t.partition, 0, read.highWatermark, read.logStartOffset, records));
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code !== ErrorCode.OFFSET_OUT_OF_RANGE) ctx.logger.error({ err, topic: t.topic, partition: t.partition }, 'fetch read failed');
      results.push(partitionOut(t.partition, typeof code === 'number' ? code : ErrorCode.KAFKA_STORAGE_ERROR, log.highWatermark, log.logStartOffset));
      hasError = true;
    }
  }
  return { results, bytes, hasError };
}

/** Resolves after the next append to any of `targets` (the log's append event), after `ms`, or on abort. */
function parkUntilAppend(ctx: RequestContext, targets: Target[], ms: number): { woken: Promise<void>; cancel(): void } {
  let cancel = (): void => {};
  const woken = new Promise<void>((resolve) => {
    const unsubscribes: Array<() => void> = [];
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      for (const u of unsubscribes) u();
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', done);
      resolve();
    };
    for (const t of targets) {
      const log = t.topic === null ? undefined : ctx.broker.topics.partition(t.topic, t.partition);
      if (log) unsubscribes.push(log.onAppend(done));
    }
    const timer = setTimeout(done, ms);
    ctx.signal.addEventListener('abort', done, { once: true });
    cancel = done;
  });
  return { woken, cancel };
}

export const fetchHandler = defineHandler<FetchRequest, FetchResponse>({
  codec: Fetch,
  minVersion: 4,
  maxVersion: 17,
  async handle(ctx, req, version) {
    const targets = resolveTargets(ctx, req, version);
    const requestMaxBytes = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
    const deadline = Date.now() + Math.max(0, req.maxWaitMs);
    let pass: ReadPass;
    for (;;) {
      // Subscribe before reading so an append that lands during the read still wakes us.
      const remaining = deadline - Date.now();
      const park = remaining > 0 && !ctx.signal.aborted ? parkUntilAppend(ctx, targets, remaining) : null;
      pass = await readAll(ctx, targets, requestMaxBytes);
      if (!park) break;
      if (pass.bytes >= req.minBytes || pass.hasError || pass.bytes >= requestMaxBytes) {
        park.cancel();
        break;
      }
      await park.woken; // then read again: after an append, at the deadline, or on shutdown (no new park)
    }
    // Group partition results back under their topics, in request order.
    const responses: TopicOut[] = [];
    let i = 0;
    for (const t of req.topics) {
      const partitions = pass.results.slice(i, i + t.partitions.length);
      i += t.partitions.length;
      responses.push({ topic: t.topic, topicId: t.topicId ?? ZERO_UUID, partitions });
    }
    return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses, nodeEndpoints: [] };
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
