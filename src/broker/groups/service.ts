/**
 * Starts the group coordinator with the broker: opens the committed-offsets store and the KIP-848 group
 * store in the data dir and
 * exposes the coordinator to the group handlers as `ctx.broker.services.groups`.
 */
import type { BrokerContext, ServiceStop } from '../context.js';
import { GroupCoordinator } from './coordinator.js';
import type { GroupConfig } from './group-config.js';
import { OffsetStore } from './offset-store.js';
import { ConsumerGroupStore } from './consumer-protocol/group-store.js';

declare module '../context.js' {
  interface BrokerServices {
    groups: GroupCoordinator;
  }
}

/** Group settings taken from the broker config when it has them (see config.ts). */
export function groupConfigFrom(config: object): Partial<GroupConfig> {
  const c = config as Record<string, unknown>;
  const pick = (key: string): number | undefined => (typeof c[key] === 'number' ? (c[key] as number) : undefined);
  return {
    minSessionTimeoutMs: pick('groupMinSessionTimeoutMs'),
    maxSessionTimeoutMs: pick('groupMaxSessionTimeoutMs'),
    initialRebalanceDelayMs: pick('groupInitialRebalanceDelayMs'),
    offsetsRetentionMs: pick('offsetsRetentionMs'),
    offsetsRetentionCheckIntervalMs: pick('offsetsRetentionCheckIntervalMs'),
    consumerSessionTimeoutMs: pick('groupConsumerSessionTimeoutMs'),
    consumerHeartbeatIntervalMs: pick('groupConsumerHeartbeatIntervalMs'),
  };
}

export function startGroupCoordinator(broker: BrokerContext): ServiceStop {
  const { store, truncatedBytes } = OffsetStore.open(broker.config.dataDir, { fsync: broker.config.fsync === 'always' });
  if (truncatedBytes > 0) {
    broker.logger.warn({ truncatedBytes }, 'committed-offsets log had a torn or corrupt tail; truncated it (the last commit may be lost)');
  }
  const consumer = ConsumerGroupStore.open(broker.config.dataDir, { fsync: broker.config.fsync === 'always' });
  if (consumer.truncatedBytes > 0 || consumer.skippedRecords > 0) {
    broker.logger.warn(
      { truncatedBytes: consumer.truncatedBytes, skippedRecords: consumer.skippedRecords },
      'consumer-group log had a torn or unreadable tail or records; dropped them (members of an affected group rejoin)',
    );
  }
  const groups = new GroupCoordinator(store, {
    config: groupConfigFrom(broker.config),
    consumerGroupStore: { store: consumer.store, groups: consumer.groups },
    onError: (err) => broker.logger.error({ err }, 'group coordinator timer failed'),
  });
  broker.services.groups = groups;
  // --fsync interval: commits reach the disk within flush.ms, like the data logs (always: every commit).
  const flusher =
    broker.config.fsync === 'interval'
      ? setInterval(() => {
          store.flush().catch((err: unknown) => broker.logger.error({ err }, 'flushing the committed-offsets log failed'));
          consumer.store.flush().catch((err: unknown) => broker.logger.error({ err }, 'flushing the consumer-group log failed'));
        }, broker.config.flushIntervalMs)
      : null;
  flusher?.unref();
  return async () => {
    if (flusher) clearInterval(flusher);
    groups.close();
    await Promise.all([store.close(), consumer.store.close()]);
  };
}
