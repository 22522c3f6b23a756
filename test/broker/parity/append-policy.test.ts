/**
 * Topic configs the produce path honours (issue 16): message.timestamp.before/after.max.ms and the deprecated
 * difference.max.ms (KIP-937), and compression.type (recompression when the codec differs). Also ApiVersions
 * advertising Produce from v0 (KAFKA-18659), which librdkafka <= 2.11 needs before it compresses, while a
 * Produce v0-2 request still gets UNSUPPORTED_VERSION.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTRIBUTE, BATCH_OFFSET } from '../../../src/protocol/batch-header.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { ApiVersions } from '../../../src/protocol/messages/api-versions.js';
import { createCreateTopicsRequest, CreateTopics } from '../../../src/protocol/messages/create-topics.js';
import { Fetch } from '../../../src/protocol/messages/fetch.js';
import { Produce } from '../../../src/protocol/messages/produce.js';
import { encodeRecordBatch } from '../../../src/protocol/records.js';
import { fetchRequest, hasKcat, kafkaClient, produceRaw, RawClient, readAll, startTestBroker, type TestBroker } from '../helpers.js';

const run = promisify(execFile);
let broker: TestBroker;
let c: RawClient;
beforeAll(async () => {
  broker = await startTestBroker({ numPartitions: 1 });
  c = await RawClient.connect(broker);
});
afterAll(async () => {
  c?.close();
  await broker?.stop();
});

async function create(name: string, configs: Record<string, string>): Promise<void> {
  const res = await c.request(CreateTopics, 7, createCreateTopicsRequest({ topics: [{ name, numPartitions: 1, replicationFactor: -1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }] }));
  expect(res.topics[0]!.errorCode, res.topics[0]!.errorMessage ?? '').toBe(0);
}

/** The codec of every stored batch of partition 0, read with a raw Fetch. */
async function storedCodecs(topic: string): Promise<number[]> {
  const res = await c.request(Fetch, 11, fetchRequest(topic, 0, 0n));
  const records = res.responses[0]!.partitions[0]!.records ?? Buffer.alloc(0);
  const codecs: number[] = [];
  for (let pos = 0; pos < records.length; pos += records.readInt32BE(pos + BATCH_OFFSET.batchLength) + 12) {
    codecs.push(records.readInt16BE(pos + BATCH_OFFSET.attributes) & ATTRIBUTE.compressionMask);
  }
  return codecs;
}

describe('message.timestamp.*.max.ms', () => {
  it('refuses CreateTime batches too far in the past or future with INVALID_TIMESTAMP', async () => {
    const hour = 3_600_000;
    await create('ts-before', { 'message.timestamp.before.max.ms': String(hour) });
    await create('ts-after', { 'message.timestamp.after.max.ms': String(hour) });
    await create('ts-diff', { 'message.timestamp.difference.max.ms': String(hour) });
    // before.max.ms set: it wins over the deprecated difference in the past direction; the future falls back to it.
    await create('ts-both', { 'message.timestamp.difference.max.ms': String(hour), 'message.timestamp.before.max.ms': String(24 * hour) });
    await create('ts-lat', { 'message.timestamp.difference.max.ms': String(hour), 'message.timestamp.type': 'LogAppendTime' });
    const now = Date.now();
    const code = async (topic: string, timestamp: number) => (await produceRaw(c, topic, 0, ['v'], { timestamp })).errorCode;
    expect(await code('ts-before', now - 2 * hour)).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(await code('ts-before', now + 48 * hour)).toBe(0);
    expect(await code('ts-before', now)).toBe(0);
    expect(await code('ts-after', now + 2 * hour)).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(await code('ts-after', now - 48 * hour)).toBe(0);
    expect(await code('ts-diff', now - 2 * hour)).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(await code('ts-diff', now + 2 * hour)).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(await code('ts-diff', now - 30 * 60_000)).toBe(0);
    expect(await code('ts-both', now - 2 * hour)).toBe(0);
    expect(await code('ts-both', now + 2 * hour)).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(await code('ts-lat', now - 48 * hour)).toBe(0); // the broker's clock replaces it
    // A batch whose max timestamp (not its first) is out of range is refused too.
    const batch = encodeRecordBatch({ baseTimestamp: now, records: [{ key: null, value: Buffer.from('a') }, { key: null, value: Buffer.from('b'), timestampDelta: 2 * hour }] });
    const res = await c.request(Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'ts-after', partitionData: [{ index: 0, records: batch }] }] });
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect((await readAll(broker, 'ts-before')).length).toBe(2);
  });

  it('kafkajs: a send with a stale timestamp fails with INVALID_TIMESTAMP', async () => {
    const producer = kafkaClient(broker, 'ts-kj').producer({ retry: { retries: 0 } });
    await producer.connect();
    try {
      await expect(producer.send({ topic: 'ts-before', messages: [{ value: 'old', timestamp: String(Date.now() - 3 * 3_600_000) }] })).rejects.toMatchObject({ type: 'INVALID_TIMESTAMP' });
      await producer.send({ topic: 'ts-before', messages: [{ value: 'fresh' }] });
    } finally {
      await producer.disconnect();
    }
  });
});

describe('compression.type', () => {
  it('recompresses to the topic codec; producer keeps what was sent', async () => {
    await create('cz-gzip', { 'compression.type': 'gzip' });
    await create('cz-zstd', { 'compression.type': 'zstd', 'compression.zstd.level': '9' });
    await create('cz-none', { 'compression.type': 'uncompressed' });
    await create('cz-producer', {});
    const values = Array.from({ length: 50 }, (_, i) => `value ${i} ${'x'.repeat(i)}`);
    for (const t of ['cz-gzip', 'cz-zstd', 'cz-none', 'cz-producer']) {
      for (const compression of ['none', 'lz4', 'gzip'] as const) {
        expect((await produceRaw(c, t, 0, values, { compression })).errorCode).toBe(0);
      }
      expect((await readAll(broker, t)).map((r) => r.value)).toEqual([...values, ...values, ...values]);
    }
    expect(await storedCodecs('cz-gzip')).toEqual([1, 1, 1]);
    expect(await storedCodecs('cz-zstd')).toEqual([4, 4, 4]);
    expect(await storedCodecs('cz-none')).toEqual([0, 0, 0]);
    expect(await storedCodecs('cz-producer')).toEqual([0, 3, 1]);
  });

  it('a corrupt batch is refused, not rewritten with a fresh CRC', async () => {
    const batch = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('hello') }] });
    batch[batch.length - 1]! ^= 0xff;
    const res = await c.request(Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'cz-gzip', partitionData: [{ index: 0, records: batch }] }] });
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
  });
});

describe('Produce advertised from v0 (KAFKA-18659)', () => {
  it('ApiVersions lists Produce 0-11 and Fetch 4+; a Produce v2 request gets UNSUPPORTED_VERSION', async () => {
    const res = await c.request(ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    const ranges = new Map(res.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(ranges.get(0)).toEqual([0, 11]);
    expect(ranges.get(1)![0]).toBe(4);
    const v2 = await c.request(Produce, 2, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'cz-producer', partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from('x') }] }) }] }] });
    expect(v2.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
  });

  it.skipIf(!hasKcat())('librdkafka (kcat) compresses with gzip, snappy and lz4', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i} ${'compressible '.repeat(20)}end`);
    for (const codec of ['gzip', 'snappy', 'lz4'] as const) {
      const topic = `kcat-z-${codec}`;
      await new Promise<void>((resolve, reject) => {
        const p = spawn('kcat', ['-P', '-b', broker.address, '-t', topic, '-z', codec, '-X', 'linger.ms=100'], { stdio: ['pipe', 'ignore', 'pipe'] });
        let err = '';
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        p.on('error', reject);
        p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${err}`))));
        p.stdin.end(lines.join('\n') + '\n'); // compressible: librdkafka sends a batch uncompressed when that is smaller
      });
      const codecs = await storedCodecs(topic);
      expect(codecs.length).toBeGreaterThan(0);
      expect(new Set(codecs), codec).toEqual(new Set([{ gzip: 1, snappy: 2, lz4: 3 }[codec]]));
      const { stdout } = await run('kcat', ['-C', '-b', broker.address, '-t', topic, '-o', 'beginning', '-e', '-q'], { maxBuffer: 16 << 20 });
      expect(stdout.trimEnd().split('\n')).toEqual(lines);
    }
  });
});
