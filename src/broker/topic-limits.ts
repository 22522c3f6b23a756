/**
 * The partition limits every topic-creating request obeys (CreateTopics, CreatePartitions, and the
 * auto-creation of Metadata and Produce): at most --max-partitions-per-request new partitions per request,
 * and at most --max-partitions in the broker (counted again, atomically, where partitions are created: see
 * LogManager.reserve). Kafka has neither; a single process needs both so no client can make it hold
 * unbounded partition state.
 */
import type { RequestContext } from './context.js';

export interface PartitionBudget {
  /** Counts `partitions` against the request's budget; returns why they are refused, or null. */
  take(topic: string, partitions: number): string | null;
}

export function partitionBudget(ctx: Pick<RequestContext, 'config' | 'broker'>): PartitionBudget {
  const perRequest = ctx.config.maxPartitionsPerRequest;
  const total = ctx.config.maxPartitions;
  let used = 0;
  return {
    take(topic, partitions) {
      if (used + partitions > perRequest) {
        ctx.broker.services.metrics?.refused('max-partitions-per-request');
        return `topic '${topic}' needs ${partitions} partition(s), but this request already creates ${used} and the broker's limit per request is ${perRequest} (--max-partitions-per-request); send the topics in several requests`;
      }
      const existing = ctx.broker.logs.partitionCount + used;
      if (existing + partitions > total) {
        ctx.broker.services.metrics?.refused('max-partitions');
        return `topic '${topic}' needs ${partitions} partition(s); the broker holds ${existing} (with this request's) and its limit is ${total} in all (--max-partitions); delete topics or raise the limit`;
      }
      used += partitions;
      return null;
    },
  };
}
