/**
 * kafkajs against SASL listeners: PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 over SASL_PLAINTEXT and SASL_SSL
 * (certificate made by openssl in the test), producing and consuming through an authenticated connection.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, tempDir, type TestBroker } from '../broker/helpers.js';
import { hasOpenssl, makeCerts, type TestCerts } from './certs.js';

const available = hasOpenssl();
let broker: TestBroker;
let certs: TestCerts;
let dir: string;

beforeAll(async () => {
  if (!available) return;
  dir = tempDir();
  certs = makeCerts(dir);
  const users = path.join(dir, 'users.json');
  fs.writeFileSync(users, JSON.stringify({ alice: 'alice-secret', bob: 'bob secret, with = and ,' }));
  broker = await startTestBroker({
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
    sslCert: certs.serverCert,
    sslKey: certs.serverKey,
    usersFile: users,
  });
}, 60_000);
afterAll(async () => {
  await broker?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function addressOf(protocol: string): string {
  const l = broker.listeners.find((x) => x.protocol === protocol)!;
  return `${l.host}:${l.port}`;
}

function client(protocol: 'SASL_PLAINTEXT' | 'SASL_SSL', sasl: SASLOptions): Kafka {
  return new Kafka({
    clientId: 'sasl-test',
    brokers: [addressOf(protocol)],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    ssl: protocol === 'SASL_SSL' ? { ca: [fs.readFileSync(certs.caCert)], servername: 'localhost' } : undefined,
    sasl,
  });
}

describe.skipIf(!available)('kafkajs with SASL', () => {
  const cases = (['SASL_PLAINTEXT', 'SASL_SSL'] as const).flatMap((protocol) =>
    (['plain', 'scram-sha-256', 'scram-sha-512'] as const).map((mechanism) => ({ protocol, mechanism })),
  );
  it.each(cases)('$mechanism over $protocol produces and consumes', async ({ protocol, mechanism }) => {
    const user = mechanism === 'plain' ? 'bob' : 'alice';
    const password = user === 'bob' ? 'bob secret, with = and ,' : 'alice-secret';
    const kafka = client(protocol, { mechanism, username: user, password } as SASLOptions);
    const topic = `t-${protocol}-${mechanism}`;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'one' }, { value: 'two' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: `g-${topic}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer.run({ eachMessage: async ({ message }) => void (seen.push(String(message.value)) === 2 && resolve()) }).catch(reject);
    });
    await consumer.disconnect();
    expect(seen).toEqual(['one', 'two']);
  }, 30_000);

  it('a wrong password is refused', async () => {
    const admin = client('SASL_SSL', { mechanism: 'scram-sha-512', username: 'alice', password: 'wrong' }).admin();
    await expect(admin.connect()).rejects.toThrow(/SASL|authentication/i);
  });
});
