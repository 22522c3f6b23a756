/**
 * The kafkajs Encoder growth patch: its guard checks every member of the Encoder its safety rests on, and the
 * requests kafkajs really sends — producer, consumer, group membership, admin — come out byte for byte the
 * same with kafkajs's growth, with the patch, and with every unwritten byte set to 0xa5 (the constructor's
 * buffer and each grown one), so a byte exposed without being written cannot hide behind a zero.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KNOWN_ENCODER,
  encoderDifferences,
  encoderFingerprints,
  encoderGuard,
  originalEnsureAvailable,
} from '../../../src/transport/kafkajs/kafkajs-encoder-growth.js';
import { KafkaJsTransport } from '../../../src/transport/kafkajs/kafkajs-transport.js';
import { startTestBroker, type TestBroker } from '../broker-helpers.js';

const require = createRequire(import.meta.url);
interface EncoderInstance {
  offset: number;
  buf: Buffer;
}
type Grow = (this: EncoderInstance, length: number) => void;
interface EncoderClass {
  prototype: Record<string, unknown> & { ensureAvailable: Grow };
  nextPowerOfTwo(value: number): number;
}
const Encoder = require('kafkajs/src/protocol/encoder.js') as EncoderClass;
const version = (require('kafkajs/package.json') as { version: string }).version;
interface KafkaJsRequest {
  apiKey: number;
  apiName?: string;
  encode(): Promise<{ buffer: Buffer }> | { buffer: Buffer };
}
const Connection = require('kafkajs/src/network/connection.js') as { prototype: { send(args: { request: KafkaJsRequest }): Promise<unknown> } };
const apiKeys = require('kafkajs/src/protocol/requests/apiKeys.js') as Record<string, number>;
// kafkajs calls FindCoordinator (10) by its old name.
const apiName = (key: number) => (key === 10 ? 'FindCoordinator' : (Object.entries(apiKeys).find(([, k]) => k === key)?.[0] ?? `api ${key}`));

describe('the growth guard', () => {
  it('matches every member of kafkajs\'s Encoder as installed here', () => {
    expect(Encoder.prototype.ensureAvailable.toString()).toContain('Buffer.alloc(newLength)'); // not patched yet
    expect(encoderDifferences(encoderFingerprints(Encoder as unknown as Function))).toEqual([]);
    expect(encoderGuard(Encoder as unknown as Function, version)).toBeUndefined();
    // Every member is fingerprinted: the write methods, buffer, growth, and the statics growth uses.
    expect(Object.keys(KNOWN_ENCODER).length).toBe(35);
  });

  it('refuses when any single member differs, and names it', () => {
    const proto = Encoder.prototype;
    const members = Object.keys(KNOWN_ENCODER).filter((name) => name !== 'class');
    for (const member of members) {
      const [kind, name] = member.includes(' ') ? (member.split(' ') as [string, string]) : ['method', member];
      const target = kind === 'static' ? (Encoder as unknown as Record<string, unknown>) : proto;
      const saved = Object.getOwnPropertyDescriptor(target, name)!;
      if (kind === 'get') Object.defineProperty(target, name, { ...saved, get: () => Buffer.alloc(0) });
      else Object.defineProperty(target, name, { ...saved, value: () => undefined });
      try {
        expect(encoderGuard(Encoder as unknown as Function, version), member).toMatch(new RegExp(`in: ${member}$`));
      } finally {
        Object.defineProperty(target, name, saved);
      }
    }
    proto.writeSomethingNew = () => undefined;
    try {
      expect(encoderGuard(Encoder as unknown as Function, version)).toMatch(/in: writeSomethingNew$/);
    } finally {
      delete proto.writeSomethingNew;
    }
    expect(encoderGuard(Encoder as unknown as Function, '2.3.0')).toMatch(/not 2\.2\.x/);
    expect(encoderGuard(Encoder as unknown as Function, version)).toBeUndefined();
  });
});

describe('requests kafkajs sends, encoded three ways', () => {
  let broker: TestBroker;
  let transport: KafkaJsTransport;
  const mode = new AsyncLocalStorage<'original' | 'patched' | 'poisoned'>();
  const seen: { api: string; bytes: number; same: boolean }[] = [];
  let patchedGrowths = 0;
  let restore: () => void = () => {};

  beforeAll(async () => {
    broker = await startTestBroker();
    transport = new KafkaJsTransport({ brokers: [broker.address], logger: pino({ level: 'silent' }) });
    expect(transport.kafkaJsPatches.encoderGrowth).toBe(true);
    const patched = Encoder.prototype.ensureAvailable;
    const original = originalEnsureAvailable as Grow;
    expect(patched).not.toBe(original);
    // The worst case for the patch: every byte not yet written is 0xa5, from the constructor's buffer on.
    const poisonedAlready = new WeakSet<EncoderInstance>();
    const poisoned: Grow = function (this: EncoderInstance, length: number) {
      const needed = this.offset + length;
      if (poisonedAlready.has(this) && needed <= this.buf.length) return;
      poisonedAlready.add(this);
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length, Encoder.nextPowerOfTwo(needed))).fill(0xa5);
      this.buf.copy(grown, 0, 0, this.offset);
      this.buf = grown;
    };
    Encoder.prototype.ensureAvailable = function (this: EncoderInstance, length: number) {
      const which = mode.getStore();
      if (which === 'original') return original.call(this, length);
      if (which === 'poisoned') return poisoned.call(this, length);
      if (which === 'patched' && this.offset + length > this.buf.length) patchedGrowths++;
      return patched.call(this, length);
    };
    const send = Connection.prototype.send;
    Connection.prototype.send = async function (this: unknown, args: { request: KafkaJsRequest }) {
      const { request } = args;
      const encode = (as: 'original' | 'patched' | 'poisoned') => mode.run(as, async () => Buffer.from((await request.encode()).buffer));
      const theirs = await encode('original');
      const ours = await encode('patched');
      const worst = await encode('poisoned');
      seen.push({ api: apiName(request.apiKey), bytes: theirs.length, same: theirs.equals(ours) && theirs.equals(worst) });
      return send.call(this, args);
    };
    restore = () => {
      Encoder.prototype.ensureAvailable = patched;
      Connection.prototype.send = send;
    };
  });

  afterAll(async () => {
    restore();
    await transport.close();
    await broker.cleanup();
  });

  it('producer, consumer group, admin: every request is the same bytes', async () => {
    const kafka = transport.kafka;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'growth-0', numPartitions: 1 }, { topic: 'growth-1', numPartitions: 2 }], waitForLeaders: true });

    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const sizes = [0, 1, 100, 511, 512, 513, 4000, 16_385, 70_000];
    const messages = sizes.map((size, i) => ({
      key: i % 2 === 0 ? `key-${i}` : null,
      value: Buffer.alloc(size, i + 1),
      timestamp: String(1_700_000_000_000 + i),
      headers: i % 3 === 0 ? { origin: 'test', index: String(i) } : {},
    }));
    await producer.send({ topic: 'growth-0', messages, acks: -1 });
    await producer.sendBatch({ topicMessages: [{ topic: 'growth-1', messages: messages.slice(0, 4) }], acks: 1 });

    const consumer = kafka.consumer({ groupId: 'growth-group', heartbeatInterval: 50, sessionTimeout: 10_000 });
    await consumer.connect();
    await consumer.subscribe({ topics: ['growth-0'], fromBeginning: true });
    let received = 0;
    const done = new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`consumed ${received} of ${sizes.length} messages within 30 s`)), 30_000);
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch, heartbeat, resolveOffset }) => {
          for (const message of batch.messages) {
            resolveOffset(message.offset);
            received++;
          }
          if (received < sizes.length) return;
          // A Heartbeat is sent once heartbeatInterval has passed since the last one: wait for it (bounded).
          for (let i = 0; i < 200 && !seen.some((s) => s.api === 'Heartbeat'); i++) {
            await new Promise((r) => setTimeout(r, 20));
            await heartbeat();
          }
          clearTimeout(deadline);
          resolve();
        },
      });
    });
    await done;
    await consumer.commitOffsets([{ topic: 'growth-0', partition: 0, offset: String(sizes.length) }]);
    await admin.fetchTopicOffsets('growth-0');
    await admin.fetchOffsets({ groupId: 'growth-group', topics: ['growth-0'] });
    await admin.describeGroups(['growth-group']);
    await admin.listGroups();
    await consumer.disconnect();
    await admin.deleteTopics({ topics: ['growth-1'] });
    await producer.disconnect();
    await admin.disconnect();

    const apis = new Set(seen.map((s) => s.api));
    for (const api of [
      'ApiVersions', 'Metadata', 'CreateTopics', 'Produce', 'FindCoordinator', 'JoinGroup', 'SyncGroup', 'Heartbeat',
      'Fetch', 'ListOffsets', 'OffsetCommit', 'OffsetFetch', 'DescribeGroups', 'ListGroups', 'LeaveGroup', 'DeleteTopics',
    ]) {
      expect(apis, `kafkajs sent no ${api} request`).toContain(api);
    }
    expect(seen.filter((s) => !s.same)).toEqual([]);
    expect(seen.length).toBeGreaterThan(30);
    // The real patch grew buffers (the large Produce requests), so its path was compared too.
    expect(patchedGrowths).toBeGreaterThan(10);
  });
});
