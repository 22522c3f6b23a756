/**
 * A record reader over kafkajs (any Kafka cluster, including the embedded broker over TCP). Explicit
 * assignment is a consumer group of its own (kafkajs has no manual assignment) that never commits.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, Admin } from 'kafkajs';
import type { KafkaRecord, RecordHandler, RecordReader, RecordReaderOptions, TopicPartition, TopicPartitionOffset } from '../record-reader.js';

export class KafkaJsRecordReader implements RecordReader {
  private consumer: Consumer | undefined;
  private stopped = false;

  constructor(private readonly kafka: Kafka, private readonly admin: () => Promise<Admin>, private readonly options: RecordReaderOptions) {
    if (options.groupId !== undefined && options.partitions !== undefined) throw new RangeError('fromKafka: give either groupId (consumer group) or partitions (explicit assignment), not both');
    if (options.groupId !== undefined && options.startOffsets !== undefined) throw new RangeError('fromKafka: startOffsets is for explicit assignment; a consumer group starts at its committed offsets');
  }

  async start(handler: RecordHandler): Promise<void> {
    const { topics, groupId, partitions } = this.options;
    const start = this.options.start ?? 'earliest';
    const session = this.options.sessionTimeoutMs;
    const consumer = this.kafka.consumer({
      groupId: groupId ?? `kafkaesque-from-kafka-${randomUUID()}`,
      maxWaitTimeInMs: 250,
      retry: { retries: 10 },
      ...(session === undefined ? {} : { sessionTimeout: session, rebalanceTimeout: session, heartbeatInterval: Math.max(100, Math.floor(session / 3)) }),
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: start !== 'latest' });
    const wanted = partitions ? new Set(partitions.map((p) => `${p.topic}:${p.partition}`)) : undefined;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assignment = event.payload.memberAssignment as Record<string, number[]>;
      const assigned: TopicPartition[] = [];
      const unwanted: { topic: string; partitions: number[] }[] = [];
      for (const [topic, ps] of Object.entries(assignment)) {
        const skip: number[] = [];
        for (const partition of ps) (!wanted || wanted.has(`${topic}:${partition}`) ? assigned.push({ topic, partition }) : skip.push(partition));
        if (skip.length > 0) unwanted.push({ topic, partitions: skip });
      }
      // kafkajs has no manual assignment: the private group hands this consumer every partition, and pausing
      // the ones not asked for keeps them out of its fetches (instead of fetching and dropping them).
      if (unwanted.length > 0) consumer.pause(unwanted);
      handler.assigned(assigned);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      const error = (event.payload as { error?: Error }).error;
      if (!this.stopped && error) handler.failed(new Error(`fromKafka: kafkajs consumer of ${topics.join(', ')} crashed: ${error.message}`, { cause: error }));
    });
    const seeks = await this.seeks(start, groupId !== undefined);
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        if (this.stopped) return;
        if (wanted && !wanted.has(`${batch.topic}:${batch.partition}`)) return;
        const records: KafkaRecord[] = batch.messages.map((m) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: BigInt(m.offset),
          timestamp: Number(m.timestamp),
          key: m.key,
          value: m.value,
          headers: (m.headers ?? {}) as Record<string, Buffer | undefined>,
        }));
        if (records.length > 0) await handler.records(records);
      },
    });
    for (const s of seeks) consumer.seek({ topic: s.topic, partition: s.partition, offset: s.offset.toString() });
  }

  /** Offsets to seek to for a start at an offset or timestamp (in a group, only where nothing is committed). */
  private async seeks(start: NonNullable<RecordReaderOptions['start']>, group: boolean): Promise<TopicPartitionOffset[]> {
    const overrides = this.options.startOffsets ?? [];
    const overridden = new Set(overrides.map((o) => `${o.topic}:${o.partition}`));
    const fromStart = (await this.startSeeks(start, group)).filter((o) => !overridden.has(`${o.topic}:${o.partition}`));
    return [...fromStart, ...overrides];
  }

  private async startSeeks(start: NonNullable<RecordReaderOptions['start']>, group: boolean): Promise<TopicPartitionOffset[]> {
    if (typeof start === 'string') return [];
    const admin = await this.admin();
    const out: TopicPartitionOffset[] = [];
    for (const topic of this.options.topics) {
      let uncommitted: Set<number> | undefined;
      if (group) {
        const committed = await admin.fetchOffsets({ groupId: this.options.groupId as string, topics: [topic] });
        uncommitted = new Set((committed[0]?.partitions ?? []).filter((p) => Number(p.offset) < 0).map((p) => p.partition));
      }
      const offsets = 'offset' in start
        ? (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: start.offset.toString() }))
        : await admin.fetchTopicOffsetsByTimestamp(topic, start.timestamp);
      for (const p of offsets) if (!uncommitted || uncommitted.has(p.partition)) out.push({ topic, partition: p.partition, offset: BigInt(p.offset) });
    }
    return out;
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (this.options.groupId === undefined || !this.consumer || offsets.length === 0) return;
    await this.consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset.toString() })));
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.consumer?.disconnect().catch(() => {});
  }
}
