/**
 * `/api/topics` and `/api/topics/{name}`: each topic's partitions with their offsets and sizes, and the
 * topic's recent throughput. Everything is read from in-memory state (no file I/O); the list is bounded by
 * `limit`, the partitions of one topic by `partitionLimit`.
 */
import type { LogManager } from '../../log/log-manager.js';
import type { PartitionLog } from '../../log/partition-log.js';
import { ApiError, intParam, offsetNumber } from './api-error.js';
import { ALL_VISIBLE_VIEWER, type Viewer } from './visibility.js';
import type { ThroughputPoint, ThroughputSampler } from './throughput.js';

export interface PartitionSummary {
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  /** Records between the log start and the high watermark (control records included). */
  records: number;
  sizeBytes: number;
  segments: number;
}

export interface TopicSummary {
  name: string;
  id: string;
  partitionCount: number;
  records: number;
  sizeBytes: number;
  /** Topic-level config overrides (the rest is the broker's, see /api/broker). */
  configs: Record<string, string>;
  /** Rates over the last sampling intervals, oldest first; null while the topic has no series. */
  throughput: ThroughputPoint[] | null;
  /** Up to `partitionLimit` partitions, by number. */
  partitions: PartitionSummary[];
}

export function partitionSummary(log: PartitionLog, partition: number): PartitionSummary {
  return {
    partition,
    logStartOffset: offsetNumber(log.logStartOffset),
    highWatermark: offsetNumber(log.highWatermark),
    records: offsetNumber(log.highWatermark - log.logStartOffset),
    sizeBytes: log.sizeInBytes,
    segments: log.segmentCount,
  };
}

export function topicSummary(logs: LogManager, sampler: ThroughputSampler, name: string, partitionLimit: number): TopicSummary | undefined {
  const topic = logs.topic(name);
  if (!topic) return undefined;
  const all = logs.partitions(name);
  let records = 0;
  let sizeBytes = 0;
  for (const log of all) {
    records += offsetNumber(log.highWatermark - log.logStartOffset);
    sizeBytes += log.sizeInBytes;
  }
  return {
    name: topic.name,
    id: topic.id,
    partitionCount: topic.partitions,
    records,
    sizeBytes,
    configs: { ...topic.configs },
    throughput: sampler.series(name) ?? null,
    partitions: all.slice(0, partitionLimit).map((log, i) => partitionSummary(log, i)),
  };
}

/** GET /api/topics?limit=&partitionLimit= */
export function listTopics(logs: LogManager, sampler: ThroughputSampler, url: URL, who: Viewer = ALL_VISIBLE_VIEWER): { total: number; topics: TopicSummary[] } {
  const limit = intParam(url, 'limit', 500, 1, 10_000);
  const partitionLimit = intParam(url, 'partitionLimit', 100, 0, 10_000);
  const names = logs
    .topics()
    .map((t) => t.name)
    .filter((name) => who.sees('topic', name))
    .sort();
  const topics: TopicSummary[] = [];
  for (const name of names.slice(0, limit)) {
    const summary = topicSummary(logs, sampler, name, partitionLimit);
    if (summary) topics.push(summary);
  }
  return { total: names.length, topics };
}

/** GET /api/topics/{name}?partitionLimit= */
export function describeTopic(logs: LogManager, sampler: ThroughputSampler, name: string, url: URL, who: Viewer = ALL_VISIBLE_VIEWER): TopicSummary {
  who.require('topic', name);
  const partitionLimit = intParam(url, 'partitionLimit', 10_000, 0, 100_000);
  const summary = topicSummary(logs, sampler, name, partitionLimit);
  if (!summary) throw new ApiError(404, `no topic named ${JSON.stringify(name)}`);
  return summary;
}
