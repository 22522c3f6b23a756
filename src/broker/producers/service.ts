/**
 * Starts the idempotent-producer support with the broker: the persisted producer-id allocator
 * (InitProducerId) and the produce guard (sequence checks). A clean shutdown saves the producer state; after a
 * crash a partition's state is rebuilt from the tail of its log when the first idempotent batch for it
 * arrives, so startup scans nothing.
 */
import type { BrokerContext, ServiceStop } from '../context.js';
import type { PartitionLog } from '../log/partition-log.js';
import { IdempotenceGuard, type ProducerStateLoader } from './idempotence-guard.js';
import { ProducerIdManager } from './producer-ids.js';
import { PartitionProducerState } from './producer-state.js';
import { takeProducerSnapshot, writeProducerSnapshot } from './state-snapshot.js';

declare module '../context.js' {
  interface BrokerServices {
    producerIds: ProducerIdManager;
    idempotence: IdempotenceGuard;
  }
}

/** Bytes read per step while rebuilding producer state (whole batches; at least one). */
const SCAN_CHUNK = 4 * 1024 * 1024;

export function startProducerServices(broker: BrokerContext): ServiceStop {
  const producerIds = ProducerIdManager.open(broker.config.dataDir, {
    fsync: broker.config.fsync === 'always',
    transactionalIdExpirationMs: broker.config.transactionalIdExpirationMs,
  });
  const saved = takeProducerSnapshot(broker.config.dataDir);
  const loader: ProducerStateLoader = {
    needsLoad: (log) => (log as PartitionLog).highWatermark > (log as PartitionLog).logStartOffset,
    restore(log) {
      const l = log as PartitionLog;
      const snap = saved.get(`${l.partition}:${l.topic}`);
      saved.delete(`${l.partition}:${l.topic}`);
      if (!snap || snap.highWatermark !== l.highWatermark) return undefined;
      return PartitionProducerState.fromSnapshot(snap.producers);
    },
    async load(log, guard) {
      const started = Date.now();
      const { maxProducerId, scanned } = await rebuildProducerState(guard, log as PartitionLog);
      if (maxProducerId >= 0n) producerIds.observe(maxProducerId);
      broker.logger.debug({ batches: scanned, ms: Date.now() - started }, 'producer state rebuilt from the log');
    },
  };
  const guard = new IdempotenceGuard((topic, partition) => broker.topics.partition(topic, partition), loader, (err) =>
    broker.logger.error({ err }, 'rebuilding producer state failed; will retry on the next produce'),
  );
  broker.services.producerIds = producerIds;
  broker.services.idempotence = guard;
  broker.services.produceGuard = guard;
  return async () => {
    // Runs before the logs close, after the server stopped taking requests: the state matches the logs.
    try {
      const current = guard.snapshot().map((p) => ({ topic: p.topic, partition: p.partition, highWatermark: (p.log as PartitionLog).highWatermark, producers: p.producers }));
      // Saved state of partitions nobody touched this time is still good if their logs did not move.
      const untouched = [...saved.values()].filter((p) => {
        const log = broker.topics.partition(p.topic, p.partition);
        return log !== undefined && log.highWatermark === p.highWatermark && !current.some((c) => c.topic === p.topic && c.partition === p.partition);
      });
      writeProducerSnapshot(broker.config.dataDir, [...current, ...untouched]);
    } catch (err) {
      broker.logger.warn({ err }, 'could not save the producer-state snapshot; the next start rebuilds it from the logs');
    }
    await producerIds.close();
  };
}

/**
 * Replays the batch headers of the active (last) segment of `log` into the guard. Duplicate detection only
 * needs each producer's latest five batches, which a retry can only be about if they are recent; producers
 * whose last write is older are treated as new (any sequence accepted), as Kafka does once a producer's
 * state has expired.
 */
export async function rebuildProducerState(guard: IdempotenceGuard, log: PartitionLog): Promise<{ maxProducerId: bigint; scanned: number }> {
  const segmentStart = log.segmentBaseOffsets().at(-1) ?? 0n;
  let offset = segmentStart > log.logStartOffset ? segmentStart : log.logStartOffset;
  const end = log.highWatermark;
  let maxProducerId = -1n;
  let scanned = 0;
  while (offset < end) {
    const { records } = await log.read(offset, SCAN_CHUNK);
    if (!records) break;
    const seen = guard.replay(log, records);
    if (seen > maxProducerId) maxProducerId = seen;
    // Continue after the last whole batch.
    let pos = 0;
    let next = offset;
    while (pos + 61 <= records.length) {
      const size = records.readInt32BE(pos + 8) + 12;
      next = records.readBigInt64BE(pos) + BigInt(records.readInt32BE(pos + 23)) + 1n;
      pos += size;
      scanned++;
    }
    if (next <= offset) break;
    offset = next;
  }
  return { maxProducerId, scanned };
}
