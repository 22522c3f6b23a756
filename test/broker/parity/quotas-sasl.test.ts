/**
 * Per-user client quotas apply to SASL users: the quota user is the principal's name (User:alice is user
 * alice, as Kafka's quota manager takes KafkaPrincipal.getName), and an unauthenticated client is user
 * ANONYMOUS. Over real TCP: alice (SASL/PLAIN) has a producer_byte_rate quota and is throttled; bob, on the
 * same listener with no quota, is not; a PLAINTEXT client falls under a quota set for user ANONYMOUS.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConnection } from '../../../src/client/connection.js';
import { AlterClientQuotas } from '../../../src/protocol/messages/alter-client-quotas.js';
import { Produce } from '../../../src/protocol/messages/produce.js';
import { encodeRecordBatch } from '../../../src/protocol/records.js';
import { startTestBroker, tempDir, type TestBroker } from '../helpers.js';

const TOPIC = 'q-sasl';
let dir: string;
let broker: TestBroker;

function addr(protocol: string): { host: string; port: number } {
  const l = broker.listeners.find((x) => x.protocol === protocol);
  if (!l) throw new Error(`no ${protocol} listener`);
  return { host: l.host, port: l.port };
}

async function connect(protocol: string, user?: string): Promise<BrokerConnection> {
  const { host, port } = addr(protocol);
  const sasl = user ? { mechanism: 'PLAIN' as const, username: user, password: `${user}-secret` } : undefined;
  return BrokerConnection.connect(host, port, { sasl, clientId: 'same-app', requestTimeoutMs: 10_000 });
}

/** 20 kB in one batch: with a 3 x 200 ms window that is 50 kB/s, far over a 1,024 B/s quota. */
const produce = (c: BrokerConnection) =>
  c.request(Produce, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(20_000, 7) }] }) }] }] });

beforeAll(async () => {
  dir = tempDir();
  const usersFile = path.join(dir, 'users.json');
  fs.writeFileSync(usersFile, JSON.stringify({ alice: 'alice-secret', bob: 'bob-secret' }));
  broker = await startTestBroker({
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    usersFile,
    saslMechanisms: 'PLAIN',
    quotaWindowNum: 3,
    quotaWindowSizeMs: 200,
  });
  await broker.context.topics.create(TOPIC, 1, {});
});
afterAll(async () => {
  await broker?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('client quotas for SASL users', () => {
  it('alice (SASL) is throttled by her user quota; bob, with the same client id and no quota, is not', async () => {
    const alice = await connect('SASL_PLAINTEXT', 'alice');
    const bob = await connect('SASL_PLAINTEXT', 'bob');
    try {
      const set = await alice.request(AlterClientQuotas, {
        validateOnly: false,
        entries: [{ entity: [{ entityType: 'user', entityName: 'alice' }], ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }] }],
      });
      expect(set.entries[0]!.errorCode).toBe(0);
      const a = await produce(alice);
      expect(a.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      expect(a.throttleTimeMs, 'alice is over her producer_byte_rate').toBeGreaterThan(0);
      const b = await produce(bob);
      expect(b.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      expect(b.throttleTimeMs, 'bob has no quota').toBe(0);
    } finally {
      alice.close();
      bob.close();
    }
  });

  it('an unauthenticated client is user ANONYMOUS (not "User:ANONYMOUS") for quotas', async () => {
    const anon = await connect('PLAINTEXT');
    const bob = await connect('SASL_PLAINTEXT', 'bob');
    try {
      const set = await anon.request(AlterClientQuotas, {
        validateOnly: false,
        entries: [{ entity: [{ entityType: 'user', entityName: 'ANONYMOUS' }], ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }] }],
      });
      expect(set.entries[0]!.errorCode).toBe(0);
      expect((await produce(anon)).throttleTimeMs).toBeGreaterThan(0);
      expect((await produce(bob)).throttleTimeMs).toBe(0);
    } finally {
      anon.close();
      bob.close();
    }
  });
});
