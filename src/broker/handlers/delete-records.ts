/**
 * DeleteRecords (key 21), v0–2: moves a partition's log start offset forward to `offset` (-1: the high
 * watermark); whole segments below it are removed by the log.
 */
import { ErrorCode, errorCodeOf } from '../../protocol/errors.js';
import { DeleteRecords, createDeleteRecordsResponse, type DeleteRecordsRequest, type DeleteRecordsResponse } from '../../protocol/messages/delete-records.js';
import type { RequestContext } from '../context.js';
import { AclOperation, allowedOnTopic } from '../acl/check.js';
import { defineHandler } from './handler.js';

type PartitionOut = DeleteRecordsResponse['topics'][number]['partitions'][number];

async function truncate(ctx: RequestContext, topic: string, partitionIndex: number, offset: bigint): Promise<PartitionOut> {
  const log = ctx.broker.topics.partition(topic, partitionIndex);
  if (!log) return { partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  const target = offset === -1n ? log.highWatermark : offset;
  if (target < 0n || target > log.highWatermark) {
    return { partitionIndex, lowWatermark: log.logStartOffset, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
  }
  try {
    await log.deleteRecordsBefore(target);
    return { partitionIndex, lowWatermark: log.logStartOffset, errorCode: ErrorCode.NONE };
  } catch (err) {
    ctx.logger.error({ err, topic, partition: partitionIndex }, 'DeleteRecords failed');
    return { partitionIndex, lowWatermark: log.logStartOffset, errorCode: errorCodeOf(err, ErrorCode.KAFKA_STORAGE_ERROR) };
  }
}

export const deleteRecordsHandler = defineHandler<DeleteRecordsRequest, DeleteRecordsResponse>({
  codec: DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const topics: DeleteRecordsResponse['topics'] = [];
    for (const t of req.topics) {
      const partitions: PartitionOut[] = [];
      // ACLs (none without --authorizer): DELETE on the topic.
      const refused = !allowedOnTopic(ctx, AclOperation.DELETE, t.name);
      for (const p of t.partitions) {
        partitions.push(refused ? { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED } : await truncate(ctx, t.name, p.partitionIndex, p.offset));
      }
      topics.push({ name: t.name, partitions });
    }
    return createDeleteRecordsResponse({ topics });
  },
  errorResponse(req, _version, errorCode) {
    return createDeleteRecordsResponse({
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode })) })),
    });
  },
});
