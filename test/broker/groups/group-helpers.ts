/** Helpers for consumer-group integration tests: tracked kafkajs consumers and polling waits. */
import type { Consumer, Kafka } from 'kafkajs';

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface TrackedConsumer {
  consumer: Consumer;
  name: string;
  /** Partitions of the latest assignment (GROUP_JOIN). */
  partitions: number[];
  joins: number;
  /** Every processed value, in order (duplicates included). */
  values: string[];
  stop(): Promise<void>;
}

export interface ConsumerOptions {
  sessionTimeout?: number;
  /** Commit after every batch (kafkajs default) unless false. */
  autoCommit?: boolean;
  onMessage?: (value: string, partition: number, offset: string) => void;
}

/** A kafkajs consumer subscribed from the beginning, with a fast poll so rebalances are noticed quickly. */
export async function trackedConsumer(kafka: Kafka, groupId: string, topic: string, name: string, opts: ConsumerOptions = {}): Promise<TrackedConsumer> {
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: opts.sessionTimeout ?? 6000,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 200,
    retry: { retries: 10, initialRetryTime: 50 },
  });
  const t: TrackedConsumer = {
    consumer,
    name,
    partitions: [],
    joins: 0,
    values: [],
    async stop() {
      await consumer.disconnect();
    },
  };
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    t.joins++;
    t.partitions = [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: opts.autoCommit ?? true,
    eachMessage: async ({ partition, message }) => {
      const v = message.value?.toString() ?? '';
      t.values.push(v);
      opts.onMessage?.(v, partition, message.offset);
    },
  });
  return t;
}

/** Whether the consumers' latest assignments split `partitions` exactly (each once, none missing). */
export function coversExactly(consumers: readonly { partitions: number[] }[], partitions: number): boolean {
  const all = consumers.flatMap((c) => c.partitions).sort((a, b) => a - b);
  return all.length === partitions && all.every((p, i) => p === i);
}
