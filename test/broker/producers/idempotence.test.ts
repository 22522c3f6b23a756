/**
 * The idempotent producer over real TCP: raw requests through our codecs for exact sequence control
 * (retries, gaps, stale epochs, restarts), then kafkajs and librdkafka (kcat) idempotent producers.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBatchHeader } from '../../../src/protocol/batch-header.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { Fetch } from '../../../src/protocol/messages/fetch.js';
import { InitProducerId } from '../../../src/protocol/messages/init-producer-id.js';
import { Produce } from '../../../src/protocol/messages/produce.js';
import { encodeRecordBatch } from '../../../src/protocol/records.js';
import { SNAPSHOT_FILE } from '../../../src/broker/producers/state-snapshot.js';
import { fetchRequest, hasKcat, kafkaClient, RawClient, readAll, startTestBroker, tempDir, type TestBroker } from '../helpers.js';

const kcat = hasKcat();
if (!kcat) console.warn('SKIPPING kcat idempotent-producer test: kcat is not installed (apt-get install kcat)');

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.stop();
});

async function initProducerId(c: RawClient, version = 4): Promise<{ producerId: bigint; producerEpoch: number }> {
  const res = await c.request(InitProducerId, version, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  expect(res.errorCode).toBe(0);
  return res;
}

/** Produces one idempotent batch; a fresh encoding each time (the broker rewrites offsets in place). */
async function produceSeq(c: RawClient, topic: string, p: { producerId: bigint; producerEpoch: number }, baseSequence: number, values: string[]) {
  const records = encodeRecordBatch({
    baseTimestamp: Date.now(),
    producerId: p.producerId,
    producerEpoch: p.producerEpoch,
    baseSequence,
    records: values.map((v) => ({ key: null, value: Buffer.from(v) })),
  });
  for (let attempt = 0; ; attempt++) {
    const res = await c.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
    const out = res.responses[0]!.partitionResponses[0]!;
    // After a restart the partition's producer state is rebuilt on first use; clients retry meanwhile.
    if (out.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER || attempt > 100) return out;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function createTopic(b: TestBroker, topic: string, partitions = 1): Promise<void> {
  const admin = kafkaClient(b).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
}

describe('idempotent produce (raw protocol)', () => {
  it('answers a retried batch with its original offset and appends it once', async () => {
    await createTopic(broker, 'idem-retry');
    const c = await RawClient.connect(broker);
    try {
      const pid = await initProducerId(c);
      expect(await produceSeq(c, 'idem-retry', pid, 0, ['a', 'b', 'c'])).toMatchObject({ errorCode: 0, baseOffset: 0n });
      expect(await produceSeq(c, 'idem-retry', pid, 3, ['d'])).toMatchObject({ errorCode: 0, baseOffset: 3n });
      // The acknowledgement was "lost": the producer retries both batches with the same sequences.
      expect(await produceSeq(c, 'idem-retry', pid, 0, ['a', 'b', 'c'])).toMatchObject({ errorCode: 0, baseOffset: 0n });
      expect(await produceSeq(c, 'idem-retry', pid, 3, ['d'])).toMatchObject({ errorCode: 0, baseOffset: 3n });
      expect(await produceSeq(c, 'idem-retry', pid, 4, ['e'])).toMatchObject({ errorCode: 0, baseOffset: 4n });
      expect((await readAll(broker, 'idem-retry')).map((r) => r.value)).toEqual(['a', 'b', 'c', 'd', 'e']);
    } finally {
      c.close();
    }
  });

  it('rejects a sequence gap and a stale epoch, and appends nothing for them', async () => {
    await createTopic(broker, 'idem-gap');
    const c = await RawClient.connect(broker);
    try {
      const pid = await initProducerId(c);
      expect((await produceSeq(c, 'idem-gap', pid, 0, ['x'])).errorCode).toBe(0);
      expect((await produceSeq(c, 'idem-gap', pid, 5, ['gap'])).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      const bumped = { producerId: pid.producerId, producerEpoch: pid.producerEpoch + 1 };
      expect((await produceSeq(c, 'idem-gap', bumped, 0, ['y'])).errorCode).toBe(0);
      expect((await produceSeq(c, 'idem-gap', pid, 1, ['stale'])).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
      expect((await readAll(broker, 'idem-gap')).map((r) => r.value)).toEqual(['x', 'y']);
    } finally {
      c.close();
    }
  });

  it('other producers and non-idempotent batches are unaffected', async () => {
    await createTopic(broker, 'idem-mixed');
    const c = await RawClient.connect(broker);
    try {
      const p1 = await initProducerId(c, 0);
      const p2 = await initProducerId(c, 2);
      expect(p2.producerId).not.toBe(p1.producerId);
      expect((await produceSeq(c, 'idem-mixed', p1, 0, ['1'])).errorCode).toBe(0);
      expect((await produceSeq(c, 'idem-mixed', p2, 0, ['2'])).errorCode).toBe(0);
      expect((await produceSeq(c, 'idem-mixed', { producerId: -1n, producerEpoch: -1 }, -1, ['plain'])).errorCode).toBe(0);
      expect((await produceSeq(c, 'idem-mixed', { producerId: -1n, producerEpoch: -1 }, -1, ['plain'])).errorCode).toBe(0);
      expect((await readAll(broker, 'idem-mixed')).map((r) => r.value)).toEqual(['1', '2', 'plain', 'plain']);
    } finally {
      c.close();
    }
  });

  it('keeps sequence state across a clean restart and never reuses a producer id', async () => {
    const dataDir = tempDir();
    try {
      let b = await startTestBroker({ dataDir });
      await createTopic(b, 'idem-restart');
      let c = await RawClient.connect(b);
      const pid = await initProducerId(c);
      expect((await produceSeq(c, 'idem-restart', pid, 0, ['a', 'b'])).baseOffset).toBe(0n);
      c.close();
      await b.close();

      b = await startTestBroker({ dataDir });
      c = await RawClient.connect(b);
      try {
        // Restored from the clean-shutdown snapshot: the retry is recognised at once.
        const records = encodeRecordBatch({ baseTimestamp: Date.now(), producerId: pid.producerId, producerEpoch: 0, baseSequence: 0, records: [{ key: null, value: Buffer.from('a') }, { key: null, value: Buffer.from('b') }] });
        const first = await c.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'idem-restart', partitionData: [{ index: 0, records }] }] });
        expect(first.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
        expect((await produceSeq(c, 'idem-restart', pid, 7, ['gap'])).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
        expect((await produceSeq(c, 'idem-restart', pid, 2, ['c'])).baseOffset).toBe(2n);
        const next = await initProducerId(c);
        expect(next.producerId).toBeGreaterThan(pid.producerId);
        expect((await readAll(b, 'idem-restart')).map((r) => r.value)).toEqual(['a', 'b', 'c']);
      } finally {
        c.close();
        await b.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('rebuilds sequence state from the log when there is no snapshot (after a crash)', async () => {
    const dataDir = tempDir();
    try {
      let b = await startTestBroker({ dataDir });
      await createTopic(b, 'idem-crash');
      let c = await RawClient.connect(b);
      const pid = await initProducerId(c);
      expect((await produceSeq(c, 'idem-crash', pid, 0, ['a', 'b'])).baseOffset).toBe(0n);
      expect((await produceSeq(c, 'idem-crash', pid, 2, ['c'])).baseOffset).toBe(2n);
      c.close();
      await b.close();
      // What a kill -9 leaves: no snapshot.
      fs.rmSync(path.join(dataDir, SNAPSHOT_FILE));

      b = await startTestBroker({ dataDir });
      c = await RawClient.connect(b);
      try {
        const records = encodeRecordBatch({ baseTimestamp: Date.now(), producerId: pid.producerId, producerEpoch: 0, baseSequence: 2, records: [{ key: null, value: Buffer.from('c') }] });
        const first = await c.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'idem-crash', partitionData: [{ index: 0, records }] }] });
        // Nothing was scanned at startup: the first idempotent batch starts the rebuild and is told to retry.
        expect(first.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
        expect(await produceSeq(c, 'idem-crash', pid, 2, ['c'])).toMatchObject({ errorCode: 0, baseOffset: 2n });
        expect(await produceSeq(c, 'idem-crash', pid, 0, ['a', 'b'])).toMatchObject({ errorCode: 0, baseOffset: 0n });
        expect((await produceSeq(c, 'idem-crash', pid, 9, ['gap'])).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
        expect((await readAll(b, 'idem-crash')).map((r) => r.value)).toEqual(['a', 'b', 'c']);
      } finally {
        c.close();
        await b.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('idempotent producers of real clients', () => {
  it('kafkajs idempotent producer: every message exactly once, in order per partition', async () => {
    await createTopic(broker, 'idem-kafkajs', 3);
    const producer = kafkaClient(broker).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const values = Array.from({ length: 900 }, (_, i) => `v${i}`);
    for (let i = 0; i < values.length; i += 100) {
      await producer.send({ topic: 'idem-kafkajs', messages: values.slice(i, i + 100).map((v) => ({ key: v, value: v })) });
    }
    await producer.disconnect();
    const got = (await Promise.all([0, 1, 2].map((p) => readAll(broker, 'idem-kafkajs', p)))).flat().map((r) => r.value);
    expect(got.sort()).toEqual([...values].sort());
  });

  it.skipIf(!kcat)('librdkafka idempotent producer (kcat -X enable.idempotence=true)', async () => {
    await createTopic(broker, 'idem-kcat', 2);
    const lines = Array.from({ length: 3000 }, (_, i) => `line ${i}`);
    await new Promise<void>((resolve, reject) => {
      const p = spawn('kcat', ['-P', '-b', broker.address, '-t', 'idem-kcat', '-p', '0', '-X', 'enable.idempotence=true', '-X', 'linger.ms=2'], {
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      let err = '';
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('error', reject);
      p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${err}`))));
      p.stdin.end(lines.join('\n') + '\n');
    });
    const records = await readAll(broker, 'idem-kcat', 0);
    expect(records.map((r) => r.value)).toEqual(lines);
    // It really was idempotent: the stored batches carry a producer id and consecutive sequences.
    const c = await RawClient.connect(broker);
    try {
      const res = await c.request(Fetch, 11, fetchRequest('idem-kcat', 0, 0n));
      const data = res.responses[0]!.partitions[0]!.records!;
      const first = readBatchHeader(data, 0);
      expect(first.producerId).toBeGreaterThanOrEqual(0n);
      expect(first.baseSequence).toBe(0);
    } finally {
      c.close();
    }
  });
});
