/**
 * DescribeLogDirs (key 35), v0–4: the broker's one log directory (--data-dir, as an absolute path) with the
 * size of each requested partition (null topics: all of them) and offset lag 0 (there are no future
 * replicas to catch up). v4 adds the file system's total and usable bytes (statfs).
 *
 * ACLs (none without --authorizer): DESCRIBE on the cluster, else no results and, from v3 (where the field
 * exists), CLUSTER_AUTHORIZATION_FAILED in the top-level error code, as Kafka answers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCode } from '../../protocol/errors.js';
import {
  DescribeLogDirs,
  createDescribeLogDirsResponse,
  type DescribeLogDirsRequest,
  type DescribeLogDirsResponse,
} from '../../protocol/messages/describe-log-dirs.js';
import type { RequestContext } from '../context.js';
import { AclOperation, allowedOnCluster } from '../acl/check.js';
import { defineHandler } from './handler.js';

type TopicOut = DescribeLogDirsResponse['results'][number]['topics'][number];

function partitionsOf(ctx: RequestContext, topic: string, indexes: readonly number[] | null): TopicOut | null {
  const info = ctx.broker.topics.get(topic);
  if (!info) return null;
  const wanted = indexes ?? Array.from({ length: info.partitions }, (_, i) => i);
  const partitions: TopicOut['partitions'] = [];
  for (const partitionIndex of wanted) {
    const log = ctx.broker.topics.partition(topic, partitionIndex);
    if (log) partitions.push({ partitionIndex, partitionSize: BigInt(log.sizeInBytes), offsetLag: 0n, isFutureKey: false });
  }
  return partitions.length > 0 ? { name: topic, partitions } : null;
}

async function diskSpace(dir: string): Promise<{ totalBytes: bigint; usableBytes: bigint }> {
  try {
    const s = await fs.promises.statfs(dir, { bigint: true });
    return { totalBytes: s.blocks * s.bsize, usableBytes: s.bavail * s.bsize };
  } catch {
    return { totalBytes: -1n, usableBytes: -1n };
  }
}

export const describeLogDirsHandler = defineHandler<DescribeLogDirsRequest, DescribeLogDirsResponse>({
  codec: DescribeLogDirs,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req, version) {
    if (!allowedOnCluster(ctx, AclOperation.DESCRIBE)) return createDescribeLogDirsResponse({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] });
    const topics: TopicOut[] = [];
    if (req.topics === null) {
      for (const t of ctx.broker.topics.list()) {
        const out = partitionsOf(ctx, t.name, null);
        if (out) topics.push(out);
      }
    } else {
      for (const t of req.topics) {
        const out = partitionsOf(ctx, t.topic, t.partitions);
        if (out) topics.push(out);
      }
    }
    const logDir = path.resolve(ctx.config.dataDir);
    const space = version >= 4 ? await diskSpace(logDir) : { totalBytes: -1n, usableBytes: -1n };
    return createDescribeLogDirsResponse({ results: [{ errorCode: ErrorCode.NONE, logDir, topics, ...space }] });
  },
  errorResponse(_req, _version, errorCode) {
    return createDescribeLogDirsResponse({ errorCode, results: [] });
  },
});
