/**
 * Soak: ten hostile clients (garbage frames, oversized length prefixes, control batches, corrupt CRCs,
 * greedy fetches, half frames, decompression bombs, ...) hammer a broker process for KAFKAESQUE_SOAK_MS
 * (60 s by default) while a normal kafkajs producer and consumer work beside them. Afterwards every
 * acknowledged record is in the log exactly once and was consumed, and the broker's RSS has come back to
 * within 20% of its level before the soak (taken after a short warm-up with the same mix; both figures
 * right after a full collection in the broker, so they compare memory still held).
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_OFFSET } from '../../../src/protocol/batch-header.js';
import { createListOffsetsRequest, ListOffsets } from '../../../src/protocol/messages/list-offsets.js';
import { Fetch } from '../../../src/protocol/messages/fetch.js';
import { Produce, type ProduceRequest } from '../../../src/protocol/messages/produce.js';
import { encodeRecordBatch, type RecordBatchInput } from '../../../src/protocol/records.js';
import { startChildBroker, type ChildBroker } from '../child.js';
import { assertServes, fetchRequest, RawClient, readAll, tempDir } from '../helpers.js';
import { createTopicWith, lz4ZeroBomb, memoryOf, sealBatch } from './produce-helpers.js';
import { Kafka, logLevel } from 'kafkajs';

const SOAK_MS = Number(process.env.KAFKAESQUE_SOAK_MS ?? 60_000);
const WARMUP_MS = Math.min(10_000, SOAK_MS / 4);
const HOSTILE_CLIENTS = 10;
const TOPIC = 'soak';

function produceRequest(records: Buffer, acks = -1, topic = TOPIC): ProduceRequest {
  return { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] };
}

function plain(values: string[], extra: Partial<RecordBatchInput> = {}): Buffer {
  return encodeRecordBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })), ...extra });
}

/** Waits for the connection to close, at most `ms` (then closes it ourselves). */
async function closedWithin(c: RawClient, ms: number): Promise<void> {
  await Promise.race([c.closedPromise, new Promise((r) => setTimeout(r, ms))]);
  c.close();
}

/** Reads `n` responses or stops at a close or timeout; never throws. */
async function drain(c: RawClient, n: number, ms = 10_000): Promise<void> {
  for (let i = 0; i < n; i++) if ((await c.readFrame(ms).catch(() => null)) === null) return;
}

/** The broker's RSS in MiB, read after it ran a full collection (and a moment to give pages back). */
async function rssAfterCollection(pid: number): Promise<number> {
  process.kill(pid, 'SIGUSR2');
  await new Promise((r) => setTimeout(r, 500));
  return memoryOf(pid).rssMiB;
}

type Attack = (broker: ChildBroker) => Promise<void>;

const attacks: [string, Attack][] = [
  ['garbage frame', async (b) => {
    const c = await RawClient.connect(b);
    const junk = randomBytes(64 + Math.floor(Math.random() * 4000));
    junk.writeInt32BE(junk.length - 4, 0);
    c.write(junk);
    await drain(c, 1, 3000);
    c.close();
  }],
  ['oversized length prefix', async (b) => {
    const c = await RawClient.connect(b);
    const head = Buffer.alloc(4);
    head.writeInt32BE(0x7fffffff - Math.floor(Math.random() * 1000), 0);
    c.write(head);
    await closedWithin(c, 5000);
  }],
  ['control batch behind a plain one (acks=-1 and acks=0)', async (b) => {
    const c = await RawClient.connect(b);
    const payload = Buffer.concat([plain(['fake']), plain(['commit'], { control: true })]);
    await c.request(Produce, 9, produceRequest(payload)).catch(() => null);
    c.write(c.frame(Produce, 9, produceRequest(payload, 0)));
    await closedWithin(c, 5000);
  }],
  ['corrupt CRC', async (b) => {
    const c = await RawClient.connect(b);
    const bad = plain(['corrupt']);
    bad[bad.length - 1]! ^= 0x55;
    await c.request(Produce, 9, produceRequest(bad)).catch(() => null);
    c.close();
  }],
  ['greedy pipelined fetches', async (b) => {
    const c = await RawClient.connect(b);
    const greedy = fetchRequest(TOPIC, 0, 0n, { maxBytes: 0x7fffffff });
    greedy.topics[0]!.partitions[0]!.partitionMaxBytes = 0x7fffffff;
    for (let i = 0; i < 8; i++) c.write(c.frame(Fetch, 11, greedy));
    await drain(c, 8);
    c.close();
  }],
  ['half frame', async (b) => {
    const c = await RawClient.connect(b);
    const frame = c.frame(Produce, 9, produceRequest(plain(['half'])));
    c.write(frame.subarray(0, Math.floor(frame.length / 2)));
    await closedWithin(c, 3000);
  }],
  ['LZ4 bomb', async (b) => {
    const c = await RawClient.connect(b);
    await c.request(Produce, 9, produceRequest(sealBatch(lz4ZeroBomb(200 * 1024 * 1024), { codec: 3, recordCount: 10 }))).catch(() => null);
    c.close();
  }],
  ['transactional and miscounted batches', async (b) => {
    const c = await RawClient.connect(b);
    await c.request(Produce, 9, produceRequest(plain(['t'], { transactional: true, producerId: 1n, producerEpoch: 0, baseSequence: 0 }))).catch(() => null);
    const miscounted = plain(['a', 'b'], { compression: 'gzip' });
    miscounted.writeInt32BE(5, BATCH_OFFSET.recordCount);
    await c.request(Produce, 9, produceRequest(miscounted)).catch(() => null);
    c.close();
  }],
  ['mutated produce frame', async (b) => {
    const c = await RawClient.connect(b);
    const frame = c.frame(Produce, 9, produceRequest(plain(['mutant', 'frame'])));
    for (let i = 0; i < 4; i++) frame[8 + Math.floor(Math.random() * (frame.length - 8))] = Math.floor(Math.random() * 256);
    c.write(frame);
    await drain(c, 1, 3000);
    c.close();
  }],
  ['ListOffsets by timestamp storm', async (b) => {
    const c = await RawClient.connect(b);
    const req = createListOffsetsRequest({ replicaId: -1, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: BigInt(Date.now() - 5000), maxNumOffsets: 1 }] }] });
    for (let i = 0; i < 16; i++) c.write(c.frame(ListOffsets, 7, req));
    await drain(c, 16);
    c.close();
  }],
];

describe('soak: hostile clients beside a normal producer and consumer', () => {
  let broker: ChildBroker;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = tempDir();
    // The child gets a SIGUSR2 hook that runs a full collection (gc-on-signal.cjs), through NODE_OPTIONS.
    const previous = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = `${previous ?? ''} --require ${fileURLToPath(new URL('./gc-on-signal.cjs', import.meta.url))}`;
    try {
      broker = await startChildBroker(['--data-dir', dataDir, '--partial-frame-timeout-ms', '1000', '--connections-max-idle-ms', '5000']);
    } finally {
      if (previous === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = previous;
    }
  }, 60_000);
  afterAll(async () => {
    broker?.child.kill('SIGTERM');
    await broker?.exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it(`for ${SOAK_MS / 1000} s: every acknowledged record is read back once and RSS comes back`, async () => {
    const pid = broker.child.pid!;
    const kafka = new Kafka({ clientId: 'soak', brokers: [`${broker.host}:${broker.port}`], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
    await createTopicWith(kafka, TOPIC, {});
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer = kafka.consumer({ groupId: 'soak-group' });
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    const consumed = new Map<string, number>();
    await consumer.run({ eachMessage: async ({ message }) => void consumed.set(message.value!.toString(), (consumed.get(message.value!.toString()) ?? 0) + 1) });

    const acked: string[] = [];
    let sent = 0;
    let stopProducing = false;
    const produceLoop = (async () => {
      while (!stopProducing) {
        const values = Array.from({ length: 20 }, () => `m-${sent++}`);
        try {
          await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value) => ({ value })) });
          acked.push(...values);
        } catch {
          // Not acknowledged: it may or may not be stored, and is not counted.
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    const counts = new Array<number>(HOSTILE_CLIENTS).fill(0);
    const hostile = (ms: number): Promise<unknown> => {
      const deadline = Date.now() + ms;
      return Promise.all(
        Array.from({ length: HOSTILE_CLIENTS }, async (_, i) => {
          const [, attack] = attacks[i % attacks.length]!;
          while (Date.now() < deadline) {
            await attack(broker).catch(() => {});
            counts[i]!++;
          }
        }),
      );
    };

    // Warm-up with the same mix: the broker's pools (request frames, merged appends, fetch reads; each has a
    // fixed cap) and V8's heap reach their working size before the baseline is taken. What the soak then
    // checks is that nothing keeps growing with time: a leak would show as RSS far above that level.
    // RSS swings by tens of MiB with V8's collection cycles, so both figures are taken right after a full
    // collection in the broker (SIGUSR2, see gc-on-signal.cjs): what they compare is memory still held.
    await hostile(WARMUP_MS);
    const baseline = await rssAfterCollection(pid);

    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, memoryOf(pid).rssMiB)), 200);
    await hostile(SOAK_MS);
    clearInterval(sampler);
    stopProducing = true;
    await produceLoop;
    await producer.disconnect();

    // The broker still serves a fresh client.
    await assertServes(broker);

    // Every acknowledged record is in the log exactly once, and the consumer got each of them.
    const log = new Map<string, number>();
    for (const r of await readAll(broker, TOPIC)) if (r.value?.startsWith('m-')) log.set(r.value, (log.get(r.value) ?? 0) + 1);
    expect(acked.length).toBeGreaterThan(100);
    expect(acked.filter((v) => log.get(v) !== 1), 'acknowledged records missing from the log or stored twice').toEqual([]);
    const waitUntil = Date.now() + 30_000;
    while (acked.some((v) => !consumed.has(v)) && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 100));
    expect(acked.filter((v) => !consumed.has(v)).length, 'acknowledged records the consumer never received').toBe(0);
    await consumer.disconnect();

    // RSS comes back to within 20% of the baseline (bounded poll: freed memory returns gradually).
    let rss = await rssAfterCollection(pid);
    const rssDeadline = Date.now() + 30_000;
    while (rss > baseline * 1.2 && Date.now() < rssDeadline) rss = await rssAfterCollection(pid);
    console.log(
      `soak ${SOAK_MS / 1000} s: ${counts.reduce((a, b) => a + b, 0)} hostile rounds, ${acked.length} records acknowledged; ` +
        `RSS baseline ${baseline.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB, after ${rss.toFixed(0)} MiB; load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    );
    expect(counts.every((n) => n > 0)).toBe(true);
    expect(rss, `RSS ${rss.toFixed(0)} MiB after the soak, baseline ${baseline.toFixed(0)} MiB`).toBeLessThanOrEqual(baseline * 1.2);
  }, SOAK_MS + 180_000);
});
