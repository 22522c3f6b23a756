/**
 * Real clients reading a compacted topic through a real broker whose cleaner runs on its timer:
 * kcat (librdkafka) -C -e prints the latest value per key; a kafkajs consumer reads across the offset gaps
 * compaction leaves. Skips with a visible reason when kcat is missing locally; in CI a missing kcat fails.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTRIBUTE } from '../../../src/protocol/batch-header.js';
import { decodeRecordBatches } from '../../../src/protocol/records.js';
import { hasKcat, kafkaClient, startTestBroker, type TestBroker } from '../helpers.js';

const run = promisify(execFile);
const available = hasKcat();
if (!available) console.warn('SKIPPING kcat compaction test: kcat is not installed (apt-get install kcat)');

const TOPIC = 'compacted';
const KEYS = 8;
const MESSAGES = 120;

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ logCleanerEnable: true, logCleanerBackoffMs: 100 });
});
afterAll(async () => {
  await broker?.stop();
});

/** Waits until the cleaner shrank the partition, or fails saying so. */
async function waitForCompaction(sizeBefore: number): Promise<void> {
  const log = broker.context.logs.partition(TOPIC, 0)!;
  const deadline = Date.now() + 20_000;
  while (log.sizeInBytes >= sizeBefore) {
    if (Date.now() > deadline) throw new Error(`the cleaner did not compact ${TOPIC} within 20 s (size ${log.sizeInBytes} bytes, was ${sizeBefore})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('clients reading a compacted topic', () => {
  it('kcat -C -e prints the latest value per key; kafkajs reads across the gaps', async () => {
    const kafka = kafkaClient(broker);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: TOPIC, numPartitions: 1, configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'segment.bytes', value: '1024' },
        { name: 'min.cleanable.dirty.ratio', value: '0.01' },
      ] }],
    });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const latest = new Map<string, string>();
    for (let i = 0; i < MESSAGES; i++) {
      const key = `key-${i % KEYS}`;
      await producer.send({ topic: TOPIC, messages: [{ key, value: `value-${i}` }] });
      latest.set(key, `value-${i}`);
    }
    // A large last record rolls the segment, so every record above sits in sealed (cleanable) segments.
    const filler = 'f'.repeat(900);
    await producer.send({ topic: TOPIC, messages: [{ key: 'filler', value: filler }] });
    latest.set('filler', filler);
    await producer.disconnect();
    const log = broker.context.logs.partition(TOPIC, 0)!;
    await waitForCompaction(log.sizeInBytes);
    // The cleaner runs in passes; wait until the last sealed segment was cleaned too (one record per key).
    const deadline = Date.now() + 20_000;
    let lines: string[] = [];
    for (;;) {
      if (available) {
        lines = (await run('kcat', ['-C', '-b', broker.address, '-t', TOPIC, '-o', 'beginning', '-e', '-q', '-f', '%k=%s\\n'])).stdout.trim().split('\n');
      }
      if (!available || lines.length === latest.size || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (available) {
      expect(lines.sort()).toEqual([...latest].map(([k, v]) => `${k}=${v}`).sort());
    }

    const consumer = kafka.consumer({ groupId: 'compaction-reader' });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    const seen: { offset: bigint; key: string; value: string }[] = [];
    const end = log.highWatermark - 1n;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs read ${seen.length} records and never reached offset ${end}`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push({ offset: BigInt(message.offset), key: message.key!.toString(), value: message.value!.toString() });
          if (BigInt(message.offset) === end) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.offset > seen[i - 1]!.offset).toBe(true);
    // Gaps: far fewer records than offsets, and the consumer's map is the producer's.
    expect(seen.length).toBe(latest.size);
    expect(new Map(seen.map((r) => [r.key, r.value]))).toEqual(latest);
  }, 90_000);

  it('kafkajs and kcat read the record timestamps of a batch the cleaner stamped with a delete horizon (KIP-534)', async () => {
    const topicName = 'horizon';
    const kafka = kafkaClient(broker);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: topicName, numPartitions: 1, configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'segment.bytes', value: '1024' },
        { name: 'min.cleanable.dirty.ratio', value: '0.01' },
      ] }],
    });
    await admin.disconnect();
    const t0 = Date.now() - 60_000;
    const producer = kafka.producer();
    await producer.connect();
    // One batch: a tombstone and two values with their own timestamps; then a large record seals the segment.
    await producer.send({ topic: topicName, messages: [
      { key: 'gone', value: null, timestamp: String(t0) },
      { key: 'b', value: 'x', timestamp: String(t0 + 100) },
      { key: 'c', value: 'y', timestamp: String(t0 + 200) },
    ] });
    await producer.send({ topic: topicName, messages: [{ key: 'filler', value: 'f'.repeat(900), timestamp: String(t0 + 300) }] });
    await producer.send({ topic: topicName, messages: [{ key: 'filler', value: 'f'.repeat(900), timestamp: String(t0 + 300) }] });
    await producer.disconnect();
    const log = broker.context.logs.partition(topicName, 0)!;
    // Generous: on a machine loaded ten times over, one cleaner pass has taken over 20 s.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { records } = await log.read(0n, 1 << 16);
      const first = decodeRecordBatches(records!)[0]!;
      if ((first.header.attributes & ATTRIBUTE.deleteHorizon) !== 0) {
        expect(first.header.baseTimestamp > BigInt(Date.now())).toBe(true);
        break;
      }
      if (Date.now() > deadline) {
        // Say what a clean run now does, for whoever reads the failure.
        const now = await broker.context.logs.runCleaner().then((r) => JSON.stringify(r), (e: unknown) => String(e));
        const headers = decodeRecordBatches((await log.read(0n, 1 << 16)).records!).map((b) => `${b.header.baseOffset}+${b.header.lastOffsetDelta}/${b.header.attributes}[${b.records.map((r) => `${r.key?.toString()}=${r.value === null ? 'null' : r.value.length}`).join(',')}]`);
        throw new Error(`the cleaner never stamped the tombstone batch with a delete horizon within 60 s (${log.inactiveSegments().length} sealed segments, checkpoint ${log.cleanedUpTo}, batches ${headers.join(' ')}, a clean now: ${now})`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const expected = [`gone@${t0}`, `b@${t0 + 100}`, `c@${t0 + 200}`];
    if (available) {
      const out = (await run('kcat', ['-C', '-b', broker.address, '-t', topicName, '-o', 'beginning', '-c', '3', '-e', '-q', '-f', '%k@%T\\n'])).stdout.trim().split('\n');
      expect(out).toEqual(expected);
    }
    const consumer = kafka.consumer({ groupId: 'horizon-reader' });
    await consumer.connect();
    await consumer.subscribe({ topic: topicName, fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs read ${seen.length} of 3 records within 30 s`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(`${message.key!.toString()}@${message.timestamp}`);
          if (seen.length === 3) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    expect(seen).toEqual(expected);
  }, 150_000);
});
