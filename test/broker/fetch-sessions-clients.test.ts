/**
 * Fetch sessions with real clients. Which clients ask for them (checked on the wire and in their sources):
 * - @platformatic/kafka sends session id 0 and epoch 0 on every Fetch: "create a session", whose id it then
 *   ignores. Each such fetch creates a session; the broker closes the connection's previous one, never
 *   continued, so the client holds one session, not every slot of the cache.
 * - kcat (librdkafka 2.0.2) sends session id 0 and epoch -1: no sessions; nothing is cached.
 * - kafkajs sends epoch -1 too. The Java client (which does run incremental sessions) is not on this machine;
 *   the incremental protocol is covered by raw requests in fetch-sessions.test.ts.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { sessionCacheOf } from '../../src/broker/fetch-sessions/session-cache.js';
import { hasKcat, startTestBroker, type TestBroker } from './helpers.js';
import { until } from '../until.js';

const run = promisify(execFile);
const SLOTS = 2;
let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ maxIncrementalFetchSessionCacheSlots: SLOTS });
});
afterAll(async () => {
  await broker?.stop();
});

const cache = () => sessionCacheOf(broker.context.services, SLOTS);

it.skipIf(!hasKcat())('kcat (librdkafka) fetches without sessions: nothing is cached', async () => {
  const producer = new Producer({ clientId: 'fs-kcat-producer', bootstrapBrokers: [broker.address], serializers: stringSerializers, autocreateTopics: true });
  try {
    await producer.send({ messages: Array.from({ length: 20 }, (_, i) => ({ topic: 'fs-kcat', value: `k${i}`, partition: 0 })) });
  } finally {
    await producer.close();
  }
  const { stdout } = await run('kcat', ['-C', '-b', broker.address, '-t', 'fs-kcat', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeout: 30_000 });
  expect(stdout.trim().split('\n')).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`));
  expect(cache().size).toBe(0);
});

it('a @platformatic/kafka consumer (epoch 0 on every fetch) reads everything and holds one session, not the whole cache', async () => {
  const bootstrapBrokers = [broker.address];
  const producer = new Producer({ clientId: 'fs-producer', bootstrapBrokers, serializers: stringSerializers, autocreateTopics: true });
  const values = Array.from({ length: 60 }, (_, i) => `v${i}`);
  const consumer = new Consumer({ clientId: 'fs-consumer', groupId: 'fs-group', bootstrapBrokers, deserializers: stringDeserializers, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTime: 100 });
  try {
    await producer.send({ messages: values.slice(0, 30).map((v) => ({ topic: 'fs-plt', value: v, partition: 0 })) });
    const seen: string[] = [];
    const stream = await consumer.consume({ topics: ['fs-plt'], mode: 'earliest', autocommit: false });
    stream.on('data', (m) => seen.push(m.value));
    await until(() => seen.length >= 30, 'the first 30 records');
    // Its fetches have asked for sessions: each replaced the previous one of its connection.
    expect(cache().size).toBe(1);
    await producer.send({ messages: values.slice(30).map((v) => ({ topic: 'fs-plt', value: v, partition: 0 })) });
    await until(() => seen.length >= 60, 'all 60 records');
    expect(seen).toEqual(values);
    expect(cache().size).toBe(1);
  } finally {
    try {
      await consumer.close(true);
    } catch {
      // already closing
    }
    await producer.close().catch(() => {});
  }
});
