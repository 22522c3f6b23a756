/**
 * Churn: members join and leave a group in a loop while an idempotent producer keeps writing. Nothing may be
 * lost, committed offsets may never move backwards, and once the churn stops the group settles with the
 * stable members owning every partition and committing up to the end of the log.
 *
 * CHURN_SECONDS overrides the churn duration (the figure, 30 s, is the default).
 */
import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClient, startTestBroker, type TestBroker } from '../helpers.js';
import { coversExactly, trackedConsumer, waitFor, type TrackedConsumer } from './group-helpers.js';

const CHURN_MS = Number(process.env.CHURN_SECONDS ?? 30) * 1000;
const TOPIC = 'churn';
const GROUP = 'churn-group';
const PARTITIONS = 6;

let broker: TestBroker;
let kafka: Kafka;

beforeAll(async () => {
  broker = await startTestBroker();
  kafka = kafkaClient(broker);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();
});

afterAll(async () => {
  await broker?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('group churn', () => {
  it(`loses nothing and never moves a commit backwards while members come and go (${CHURN_MS / 1000} s)`, async () => {
    const produced: string[] = [];
    const processed = new Set<string>();
    const onMessage = (v: string) => processed.add(v);
    let producing = true;

    const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const producerLoop = (async () => {
      let n = 0;
      while (producing) {
        const batch = Array.from({ length: 10 }, () => `m${n++}`);
        await producer.send({ topic: TOPIC, messages: batch.map((v) => ({ key: v, value: v })) });
        produced.push(...batch);
        await sleep(20);
      }
    })();

    // Committed offsets, polled: each must only ever grow.
    const admin = kafka.admin();
    await admin.connect();
    const lastCommitted = new Map<number, bigint>();
    const regressions: string[] = [];
    let monitoring = true;
    const monitor = (async () => {
      while (monitoring) {
        const [t] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
        for (const p of t?.partitions ?? []) {
          const now = BigInt(p.offset);
          const before = lastCommitted.get(p.partition) ?? -1n;
          if (now < before) regressions.push(`partition ${p.partition}: ${before} -> ${now}`);
          if (now > before) lastCommitted.set(p.partition, now);
        }
        await sleep(200);
      }
    })();

    const stable: TrackedConsumer[] = [];
    for (let i = 0; i < 2; i++) stable.push(await trackedConsumer(kafka, GROUP, TOPIC, `stable-${i}`, { onMessage }));

    // Churners: join, consume for a moment, leave; sometimes two overlap.
    let churns = 0;
    const churnEnd = Date.now() + CHURN_MS;
    while (Date.now() < churnEnd) {
      const extra = await trackedConsumer(kafka, GROUP, TOPIC, `churn-${churns}`, { onMessage });
      let second: TrackedConsumer | undefined;
      if (churns % 3 === 2) second = await trackedConsumer(kafka, GROUP, TOPIC, `churn-${churns}b`, { onMessage });
      await sleep(800 + ((churns * 397) % 1500));
      await extra.stop();
      await second?.stop();
      churns++;
    }

    producing = false;
    await producerLoop;
    await producer.disconnect();

    try {
      // Settles: the two stable members own everything and process every message.
      await waitFor(() => coversExactly(stable, PARTITIONS), 30_000, 'the stable members to own all partitions');
      await waitFor(() => produced.every((v) => processed.has(v)), 30_000, 'every produced message to be processed');
      const { groups } = await admin.describeGroups([GROUP]);
      expect(groups[0]).toMatchObject({ state: 'Stable' });
      expect(groups[0]!.members).toHaveLength(2);
      // And commits catch up with the end of every partition.
      const ends = await admin.fetchTopicOffsets(TOPIC);
      await waitFor(
        async () => {
          const [t] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
          return ends.every((e) => t!.partitions.find((p) => p.partition === e.partition)?.offset === e.high);
        },
        30_000,
        'commits to reach the end of every partition',
      );
      monitoring = false;
      await monitor;
      expect(regressions).toEqual([]);
      expect(churns).toBeGreaterThan(3);
      console.log(`churn: ${churns} join/leave cycles, ${produced.length} messages produced, all processed; no commit went backwards`);
    } finally {
      monitoring = false;
      await monitor.catch(() => {});
      await Promise.all(stable.map((c) => c.stop().catch(() => {})));
      await admin.disconnect();
    }
  }, CHURN_MS + 120_000);
});
