/**
 * ListOffsets (key 2), v0–9: earliest (-2), latest (-1), max timestamp (-3, v7+), earliest local (-4,
 * same as earliest here) and by timestamp through the time index: the first offset whose batch has a
 * timestamp at or after the one asked for (-1 when there is none, as Kafka). Latest under read_committed is
 * the last stable offset.
 *
 * v0 answers with a list of offsets (old_style_offsets) of at most `max_num_offsets` entries, as Kafka's
 * legacy lookup does: for latest, the log end offset followed by the segment base offsets, newest first;
 * otherwise the one offset found.
 */
import { ErrorCode, errorCodeOf } from '../../protocol/errors.js';
import { ListOffsets, createListOffsetsResponse, type ListOffsetsRequest, type ListOffsetsResponse } from '../../protocol/messages/list-offsets.js';
import type { RequestContext } from '../context.js';
import { READ_COMMITTED } from '../txn/read-committed.js';
import '../txn/service.js';
import { AclOperation, refusedTopics } from '../acl/check.js';
import { defineHandler } from './handler.js';

type PartitionOut = ListOffsetsResponse['topics'][number]['partitions'][number];

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;

function out(partitionIndex: number, errorCode: number, offset = -1n, timestamp = -1n): PartitionOut {
  return { partitionIndex, errorCode, oldStyleOffsets: offset >= 0n ? [offset] : [], timestamp, offset, leaderEpoch: errorCode === 0 ? 0 : -1 };
}

async function lookup(ctx: RequestContext, topic: string, partition: number, timestamp: bigint, readCommitted: boolean): Promise<PartitionOut> {
  const log = ctx.broker.topics.partition(topic, partition);
  if (!log) return out(partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  try {
    if (timestamp === LATEST) {
      // read_committed (v2+) sees the log up to its last stable offset (src/broker/txn).
      const txns = readCommitted ? ctx.broker.services.transactions : undefined;
      return out(partition, 0, txns ? txns.partitions.lastStableOffset(log) : log.highWatermark);
    }
    if (timestamp === EARLIEST || timestamp === EARLIEST_LOCAL) return out(partition, 0, log.logStartOffset);
    if (timestamp === MAX_TIMESTAMP) {
      const found = await log.maxTimestamp();
      return found ? out(partition, 0, found.offset, found.timestamp) : out(partition, 0);
    }
    if (timestamp < 0n) return out(partition, 0); // e.g. -5 (tiered storage): nothing to report
    const found = await log.offsetForTimestamp(timestamp);
    return found ? out(partition, 0, found.offset, found.timestamp) : out(partition, 0);
  } catch (err) {
    ctx.logger.error({ err, topic, partition }, 'ListOffsets failed');
    return out(partition, errorCodeOf(err, ErrorCode.KAFKA_STORAGE_ERROR));
  }
}

/** The v0 answer: `found`'s offset list, extended for LATEST and cut to `maxNumOffsets`. */
function legacyOffsets(ctx: RequestContext, topic: string, partition: number, timestamp: bigint, maxNumOffsets: number, found: PartitionOut): PartitionOut {
  let offsets = found.oldStyleOffsets;
  const log = ctx.broker.topics.partition(topic, partition);
  if (found.errorCode === 0 && timestamp === LATEST && log) {
    const start = log.logStartOffset;
    const bases = log.segmentBaseOffsets().map((b) => (b < start ? start : b));
    offsets = [...new Set([log.highWatermark, ...bases.reverse()])];
  }
  return { ...found, oldStyleOffsets: offsets.slice(0, Math.max(0, maxNumOffsets)) };
}

export const listOffsetsHandler = defineHandler<ListOffsetsRequest, ListOffsetsResponse>({
  codec: ListOffsets,
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, req, version) {
    const readCommitted = version >= 2 && req.isolationLevel === READ_COMMITTED;
    const topics: ListOffsetsResponse['topics'] = [];
    const refused = refusedTopics(ctx, AclOperation.DESCRIBE, req.topics.map((t) => t.name));
    for (const t of req.topics) {
      const partitions: PartitionOut[] = [];
      for (const p of t.partitions) {
        if (refused.has(t.name)) {
          partitions.push(out(p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
          continue;
        }
        const found = await lookup(ctx, t.name, p.partitionIndex, p.timestamp, readCommitted);
        partitions.push(version === 0 ? legacyOffsets(ctx, t.name, p.partitionIndex, p.timestamp, p.maxNumOffsets, found) : found);
      }
      topics.push({ name: t.name, partitions });
    }
    return createListOffsetsResponse({ topics });
  },
  errorResponse(req, _version, errorCode) {
    return createListOffsetsResponse({ topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => out(p.partitionIndex, errorCode)) })) });
  },
});
