/**
 * Per topic-partition samples, read at scrape time: the traffic counters (partition-counters.ts) and the
 * log's size, start offset and high watermark. Partitions beyond the series bound are summed under
 * topic="__other__" (for the offsets too: a sum, only meaningful as a total).
 */
import type { BrokerContext } from '../context.js';
import type { PartitionCounterMap } from './partition-counters.js';
import type { Sample } from './scrape-metric.js';
import { OTHER, SampleSums, type SeriesBound } from './series-bound.js';

const NAMES = {
  bytesIn: 'kafkaesque_partition_bytes_in_total',
  recordsIn: 'kafkaesque_partition_records_in_total',
  bytesOut: 'kafkaesque_partition_bytes_out_total',
  recordsOut: 'kafkaesque_partition_records_out_total',
  size: 'kafkaesque_partition_log_size_bytes',
  start: 'kafkaesque_partition_log_start_offset',
  hw: 'kafkaesque_partition_high_watermark',
} as const;

export function collectPartitions(broker: BrokerContext, counters: PartitionCounterMap, bound: SeriesBound): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>(Object.values(NAMES).map((n) => [n, []]));
  const other = new Map<string, SampleSums>(Object.values(NAMES).map((n) => [n, new SampleSums()]));
  const logs = broker.logs;
  const topics = logs.topics();
  const current = new Set<string>();
  for (const topic of topics) for (let p = 0; p < logs.partitions(topic.name).length; p++) current.add(`${topic.name}\u0000${p}`);
  bound.begin(current);
  for (const topic of topics) {
    const partitions = logs.partitions(topic.name);
    for (let p = 0; p < partitions.length; p++) {
      const log = partitions[p]!;
      const c = counters.peek(log);
      const values: [string, number][] = [
        [NAMES.bytesIn, c?.bytesIn ?? 0],
        [NAMES.recordsIn, c?.recordsIn ?? 0],
        [NAMES.bytesOut, c?.bytesOut ?? 0],
        [NAMES.recordsOut, c?.recordsOut ?? 0],
        [NAMES.size, log.sizeInBytes],
        [NAMES.start, Number(log.logStartOffset)],
        [NAMES.hw, Number(log.highWatermark)],
      ];
      if (bound.admit(`${topic.name}\u0000${p}`)) {
        const labels = { topic: topic.name, partition: p };
        for (const [name, value] of values) out.get(name)!.push({ labels, value });
      } else {
        const labels = { topic: OTHER, partition: OTHER };
        for (const [name, value] of values) other.get(name)!.add(labels, value);
      }
    }
  }
  bound.end();
  for (const [name, sums] of other) out.get(name)!.push(...sums.values());
  return out;
}
