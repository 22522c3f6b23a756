/**
 * fromKafka against a real embedded broker over TCP, through the kafkajs, wire and embedded transports: records
 * produced with explicit timestamps by kafkajs and kcat, per-partition watermarks, an idle partition, a
 * partition that resumes, late records, consumer-group commits (kafkajs: group membership; wire: committed
 * offsets of the group without membership), start positions, and explicit assignment of a partition subset.
 * The embedded transport reads through the in-process link's Kafka requests, with the same reader as wire.
 */
import { execFile } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { fromKafka } from '../../src/connectors/from-kafka.js';
import { openRecordReader, type RecordTransport } from '../../src/connectors/record-readers.js';
import { KafkaJsTransport } from '../../src/transport/kafkajs/kafkajs-transport.js';
import { WireTransport } from '../../src/transport/wire/wire-transport.js';
import { EmbeddedTransport } from '../../src/transport/embedded/embedded-transport.js';
import { inProcessLink } from '../../src/broker/in-process-link.js';
import type { KafkaRecord } from '../../src/transport/record-reader.js';
import { startTestBroker, type TestBroker } from '../transport/broker-helpers.js';
import { collectStream } from './helpers.js';

let broker: TestBroker;
let transport: KafkaJsTransport;
let kafka: Kafka;
let producer: Producer;
/** What fromKafka reads through (the describe.each below); `transport` (kafkajs) is the tests' admin. */
let reader: RecordTransport & { close(): Promise<void> };
beforeEach(async () => {
  broker = await startTestBroker();
  transport = new KafkaJsTransport({ brokers: [broker.address] });
  kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
});
afterEach(async () => {
  await producer.disconnect();
  await transport.close();
  await broker.cleanup();
});

async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = await transport.admin();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
}

const send = (topic: string, partition: number, ...times: number[]) =>
  producer.send({ topic, acks: -1, messages: times.map((t) => ({ partition, value: `v${t}`, timestamp: String(t) })) });

const times = (records: { time: number; value: KafkaRecord }[], partition?: number): number[] =>
  records.filter((r) => partition === undefined || r.value.partition === partition).map((r) => r.time);

const readers: [string, () => RecordTransport & { close(): Promise<void> }][] = [
  ['kafkajs', () => new KafkaJsTransport({ brokers: [broker.address] })],
  ['wire', () => new WireTransport({ brokers: [broker.address] })],
  ['embedded (in-process link)', () => new EmbeddedTransport({ link: inProcessLink(broker.broker) })],
  ['embedded (MessagePort, as on a worker)', () => new EmbeddedTransport({ link: inProcessLink(broker.broker).port() })],
];

describe.each(readers)('fromKafka (%s transport, embedded broker)', (_name, make) => {
  beforeEach(() => {
    reader = make();
  });
  afterEach(async () => {
    await reader.close();
  });

  it('frontier is the meet of the partitions; an idle one stops holding it; late records go to late$; a resumed one holds it again', async () => {
    await createTopic('clicks', 2);
    await send('clicks', 0, 1000, 2000, 3000);
    await send('clicks', 1, 1500);
    const source = fromKafka('clicks', { transport: reader, maxOutOfOrderness: 100, idleTimeoutMs: 1500 });
    const late: KafkaRecord[] = [];
    source.late$.subscribe((l) => late.push(l.value));
    const c = collectStream(source.stream);
    try {
      await c.until(() => c.data().length === 4, 'the first 4 records');
      // Partition 1 holds the frontier at its watermark 1500 − 100 while it is active.
      await c.until(() => (c.frontier ?? 0) > 1400, 'idleness to release the frontier');
      const beforeIdle = c.frontiers.filter((f) => f !== undefined && f <= 1400);
      expect(Math.max(...(beforeIdle as number[]))).toBe(1400);
      // Both idle: the frontier passes every time seen.
      await c.until(() => c.frontier === 3001, 'frontier 3001 with both partitions idle');
      expect(c.data().every((r) => r.time < 3001)).toBe(true);

      // A record before the frontier is late: not in the stream, in late$ and the count.
      await send('clicks', 1, 2500);
      // A late record makes no stream event (the frontier does not move), so wait on late$ itself.
      await new Promise<void>((resolve, reject) => {
        if (source.lateCount === 1) return resolve();
        const timer = setTimeout(() => reject(new Error(`timed out waiting for the late record; frontiers so far ${JSON.stringify(c.frontiers)}`)), 20_000);
        const sub = source.late$.subscribe(() => {
          clearTimeout(timer);
          sub.unsubscribe();
          resolve();
        });
      });
      expect(source.lateCount).toBe(1);
      expect(late.map((r) => [r.partition, r.timestamp])).toEqual([[1, 2500]]);
      expect(times(c.data())).not.toContain(2500);

      // Partition 1 resumes alone (0 is idle): the frontier follows it.
      await send('clicks', 1, 5000);
      await c.until(() => c.frontier === 4900, 'frontier 4900 from partition 1 alone');
      // Partition 0 resumes: it holds the frontier at its watermark even when partition 1 runs ahead.
      await send('clicks', 0, 5000);
      await c.until(() => times(c.data(), 0).includes(5000), 'partition 0 at 5000');
      await send('clicks', 1, 8000);
      let frontierAfter8000: number | undefined;
      await c.until(() => times(c.data(), 1).includes(8000), 'partition 1 at 8000');
      await new Promise((resolve) => setImmediate(resolve));
      frontierAfter8000 = c.frontier;
      expect(frontierAfter8000).toBe(4900);
      // …until it is idle again: then 7900 from partition 1 alone (or 8001, if a loaded machine fired the
      // idleness timer only after partition 1 was idle too), never anything between.
      await c.until(() => (c.frontier ?? 0) >= 7900, 'frontier ≥ 7900 once partition 0 idles');
      expect(c.frontiers.filter((f) => f !== undefined && f > 4900 && f < 7900)).toEqual([]);
      // Stream order: every record sits at a time the frontier had not passed when it was emitted.
      let frontier = 0;
      for (const e of c.events) {
        if (e.kind === 'messages') expect(e.time).toBeGreaterThanOrEqual(frontier);
        else for (const [t, d] of e.updates) if (d > 0) frontier = t;
      }
      expect(c.error).toBeUndefined();
    } finally {
      c.subscription.unsubscribe();
    }
  }, 60_000);

  it('reads kcat-produced records with event times from the value, from a given offset', async () => {
    await createTopic('lines', 1);
    const input = ['a:1000 alpha', 'b:3000 beta', 'c:2000 gamma', 'd:9000 delta'].join('\n') + '\n';
    // Asynchronously: the broker runs in this process.
    await new Promise<void>((resolve, reject) => {
      const kcat = execFile('kcat', ['-P', '-b', broker.address, '-t', 'lines', '-p', '0', '-K', ':'], { timeout: 20_000 }, (error) => (error ? reject(error) : resolve()));
      kcat.stdin?.end(input);
    });
    const source = fromKafka('lines', {
      transport: reader,
      time: (r) => Number((r.value as Buffer).toString().split(' ')[0]),
      maxOutOfOrderness: 1000,
      start: { offset: 1n },
      stopWhenIdleMs: 1000,
    });
    const c = collectStream(source.stream);
    await c.until(() => c.done, 'the stream to end once idle');
    expect(c.data().map((r) => [r.time, r.value.key?.toString(), Number(r.value.offset)])).toEqual([
      [3000, 'b', 1],
      [2000, 'c', 2],
      [9000, 'd', 3],
    ].sort((a, b) => (a[0] as number) - (b[0] as number))); // one fetch's records go out by time
    expect(c.frontiers.at(-1)).toBeUndefined();
    expect(c.frontiers).toContain(8000);
  }, 60_000);

  it('in a consumer group, commits offsets only once the frontier has passed the records before them; a restart resumes there', async () => {
    await createTopic('orders', 1);
    await send('orders', 0, 100, 200, 300, 5000);
    const source = fromKafka('orders', { transport: reader, groupId: 'order-stats', maxOutOfOrderness: 1000 });
    const c = collectStream(source.stream);
    await c.until(() => c.frontier === 4000, 'frontier 4000');
    // 100..300 are complete at 4000, 5000 (offset 3) is not: the committed offset is 3.
    expect(source.completedOffsets()).toEqual([{ topic: 'orders', partition: 0, offset: 3n }]);
    const admin = await transport.admin();
    let committed = -1;
    for (let i = 0; i < 100 && committed !== 3; i++) {
      committed = Number((await admin.fetchOffsets({ groupId: 'order-stats', topics: ['orders'] }))[0]?.partitions[0]?.offset);
      if (committed !== 3) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(committed).toBe(3);
    c.subscription.unsubscribe();
    await new Promise((resolve) => setTimeout(resolve, 200));

    // A new run of the group starts at the committed offset: only the incomplete record is read again.
    await send('orders', 0, 6000);
    const again = collectStream(fromKafka('orders', { transport: reader, groupId: 'order-stats', maxOutOfOrderness: 1000 }).stream);
    await again.until(() => again.data().length === 2, 'the records from offset 3', 40_000);
    expect(again.data().map((r) => r.time)).toEqual([5000, 6000]);
    again.subscription.unsubscribe();
  }, 90_000);

  it('starts at a timestamp', async () => {
    await createTopic('ticks', 1);
    await send('ticks', 0, 10, 20, 30, 40);
    const c = collectStream(fromKafka('ticks', { transport: reader, start: { timestamp: 25 }, stopWhenIdleMs: 800 }).stream);
    await c.until(() => c.done, 'the end');
    expect(c.data().map((r) => r.time)).toEqual([30, 40]);
  }, 60_000);

  it('a clock that moves between reads never strands a partition that turns idle (every partition idles, the frontier passes every time)', async () => {
    await createTopic('jumpy', 2);
    await send('jumpy', 0, 1000, 3000);
    await send('jumpy', 1, 2000);
    // Each read of this clock is 300 ms later than the one before, as on a loaded machine: a deadline can fall
    // between the read that recomputes the frontier and the read that schedules the next idleness timer.
    let reads = 0;
    const clock = (): number => Date.now() + 300 * reads++;
    const c = collectStream(fromKafka('jumpy', { transport: reader, idleTimeoutMs: 1000, now: clock }).stream);
    try {
      await c.until(() => c.data().length === 3, 'the 3 records');
      await c.until(() => c.frontier === 3001, 'frontier 3001 once both partitions idle');
    } finally {
      c.subscription.unsubscribe();
    }
  }, 60_000);

  it('explicit assignment of a partition subset reads only those partitions, and only they hold the frontier', async () => {
    await createTopic('subset', 3);
    await send('subset', 0, 10);
    await send('subset', 1, 1000, 2000);
    await send('subset', 2, 20);
    const c = collectStream(fromKafka('subset', { transport: reader, partitions: [{ topic: 'subset', partition: 1 }], stopWhenIdleMs: 1000 }).stream);
    await c.until(() => c.done, 'the end');
    expect(c.data().map((r) => [r.value.partition, r.time])).toEqual([[1, 1000], [1, 2000]]);
    // Partitions 0 and 2 (times 10 and 20) never held the frontier back: it went to 2000 from partition 1 alone.
    expect(c.frontiers).toContain(2000);
  }, 60_000);

  it('reads committed records only: an aborted transaction is skipped, a committed one and plain records are read', async () => {
    await createTopic('txns', 1);
    const tx = kafka.producer({ transactionalId: 'from-kafka-txns', maxInFlightRequests: 1, idempotent: true, allowAutoTopicCreation: false });
    await tx.connect();
    const message = (t: number) => ({ partition: 0, value: `v${t}`, timestamp: String(t) });
    const aborted = await tx.transaction();
    await aborted.send({ topic: 'txns', messages: [message(100), message(200)] });
    await aborted.abort();
    const committed = await tx.transaction();
    await committed.send({ topic: 'txns', messages: [message(300)] });
    await committed.commit();
    await tx.disconnect();
    await send('txns', 0, 400);
    const c = collectStream(fromKafka('txns', { transport: reader, stopWhenIdleMs: 1000 }).stream);
    await c.until(() => c.done, 'the end');
    expect(c.data().map((r) => [r.time, Number(r.value.offset)])).toEqual([[300, 3], [400, 5]]);
  }, 60_000);

  it('stopWhenIdleMs counts from when the reader is free again: a batch held by its consumer (backpressure) is not idleness', async () => {
    await createTopic('held', 1);
    await send('held', 0, 10, 20);
    let releasedAt = 0;
    const source = fromKafka('held', {
      transport,
      stopWhenIdleMs: 300,
      batches: {
        start() {},
        // The consumer takes 700 ms to let the batch go, longer than stopWhenIdleMs.
        end: () => new Promise<void>((resolve) => setTimeout(() => ((releasedAt = performance.now()), resolve()), 700)),
      },
    });
    const c = collectStream(source.stream);
    await c.until(() => c.done, 'the stream to end once idle');
    const doneAt = performance.now();
    expect(c.data().map((r) => r.time)).toEqual([10, 20]);
    expect(releasedAt).toBeGreaterThan(0);
    // Ended only after the batch was let go, and then only after stopWhenIdleMs of real idleness.
    expect(doneAt - releasedAt).toBeGreaterThanOrEqual(290);
  }, 60_000);

  it('refuses bad options at the call', () => {
    expect(() => fromKafka('x', { transport: reader, maxOutOfOrderness: -1 })).toThrow(/maxOutOfOrderness/);
    expect(() => fromKafka('x', { transport: reader, idleTimeoutMs: 0 })).toThrow(/idleTimeoutMs/);
    expect(() => fromKafka([], { transport: reader })).toThrow(/no topics/);
  });
});

describe('fromKafka over the wire transport: fetch limits', () => {
  it('partitionFetchMaxBytes (max.partition.fetch.bytes) bounds each fetch of a partition; every record is still read, in order', async () => {
    await createTopic('big', 1);
    // 40 batches of ~600 bytes: with a 1 KiB partition limit, a fetch returns at most two of them.
    for (let i = 0; i < 40; i++) await producer.send({ topic: 'big', acks: -1, messages: [{ partition: 0, value: 'x'.repeat(500), timestamp: String(i) }] });
    const wire = new WireTransport({ brokers: [broker.address], partitionFetchMaxBytes: 1024, fetchMaxWaitMs: 100 });
    const reader = openRecordReader(wire, { topics: ['big'] });
    const offsets: bigint[] = [];
    let fetches = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`read ${offsets.length} of 40 records in ${fetches} fetches`)), 30_000);
        void reader.start({
          assigned: () => {},
          records: (batch) => {
            fetches++;
            offsets.push(...batch.map((r) => r.offset));
            if (offsets.length === 40) {
              clearTimeout(timer);
              resolve();
            }
          },
          failed: reject,
        });
      });
    } finally {
      await reader.close();
      await wire.close();
    }
    expect(offsets).toEqual(Array.from({ length: 40 }, (_, i) => BigInt(i)));
    expect(fetches).toBeGreaterThanOrEqual(20);
  }, 60_000);

  it('a transport without a record reader is refused, naming the ones that have one', () => {
    let error: Error | undefined;
    fromKafka('x', { transport: { kind: 'memory' } as never }).stream.subscribe({ error: (e: Error) => (error = e) });
    expect(error?.message).toMatch(/memory transport has no record reader/);
  });
});
