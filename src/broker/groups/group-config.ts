/**
 * Settings of the group coordinator, named after Kafka's broker configs (`group.*`, `offsets.*`).
 * Defaults are Kafka's, except `group.initial.rebalance.delay.ms`: Kafka's code default is 3 s, but its
 * shipped development `server.properties` sets 0, which is what an embedded broker wants (a lone consumer
 * gets its partitions at once).
 */
export interface GroupConfig {
  /** group.min.session.timeout.ms */
  minSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  maxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms: how long the first rebalance of an empty group waits for more joiners. */
  initialRebalanceDelayMs: number;
  /** group.max.size */
  maxGroupSize: number;
  /** offsets.retention.minutes, in ms: how long an empty group keeps its committed offsets. */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes */
  offsetMetadataMaxBytes: number;
  /** group.consumer.session.timeout.ms (KIP-848 groups) */
  consumerSessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms (KIP-848 groups) */
  consumerHeartbeatIntervalMs: number;
}

export const DEFAULT_GROUP_CONFIG: Readonly<GroupConfig> = Object.freeze({
  minSessionTimeoutMs: 6_000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 0,
  maxGroupSize: 2_147_483_647,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
  consumerSessionTimeoutMs: 45_000,
  consumerHeartbeatIntervalMs: 5_000,
});

/** Fills in defaults and rejects values that cannot work, saying which setting is wrong. */
export function resolveGroupConfig(partial: Partial<GroupConfig> = {}): GroupConfig {
  const config = { ...DEFAULT_GROUP_CONFIG, ...stripUndefined(partial) };
  for (const [key, value] of Object.entries(config)) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`group config ${key} must be a non-negative number, got ${value}`);
  }
  if (config.minSessionTimeoutMs > config.maxSessionTimeoutMs) {
    throw new RangeError(
      `group.min.session.timeout.ms (${config.minSessionTimeoutMs}) exceeds group.max.session.timeout.ms (${config.maxSessionTimeoutMs})`,
    );
  }
  if (config.offsetsRetentionCheckIntervalMs < 1) throw new RangeError('offsets.retention.check.interval.ms must be at least 1');
  return config;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
