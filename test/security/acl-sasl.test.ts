/**
 * A SASL principal (and an mTLS one) under ACLs, end to end with kafkajs: a broker with SASL_PLAINTEXT and an
 * mTLS SSL listener, `--users`, `--authorizer acl --super-users admin`. alice is refused until the super user
 * grants her ACLs through kafkajs' createAcls; then she produces and consumes in her group. (The
 * ACL matrix covers every refusal code over the wire; kafkajs reports a refused group only as "no brokers".)
 * The mTLS client's principal is its certificate subject, and an ACL for that principal works.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes, type AclEntry, type KafkaConfig } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aclsCommand } from '../../src/cli/acls.js';
import { startTestBroker, tempDir, type TestBroker } from '../broker/helpers.js';
import { hasOpenssl, makeCerts, type TestCerts } from './certs.js';

const available = hasOpenssl();
const TOPIC = 'orders';
/** The client certificate's subject as Kafka's default principal builder writes it (certs.ts). */
const CERT_PRINCIPAL = 'User:CN=client,O=Acme\\, Inc,C=DE';
let broker: TestBroker;
let certs: TestCerts;
let dir: string;

beforeAll(async () => {
  if (!available) return;
  dir = tempDir();
  certs = makeCerts(dir);
  const users = path.join(dir, 'users.json');
  fs.writeFileSync(users, JSON.stringify({ admin: 'admin-secret', alice: 'alice-secret' }));
  broker = await startTestBroker({
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0',
    sslCert: certs.serverCert,
    sslKey: certs.serverKey,
    sslCa: certs.caCert,
    sslClientAuth: 'required',
    usersFile: users,
    authorizer: 'acl',
    superUsers: 'admin',
  });
}, 60_000);
afterAll(async () => {
  await broker?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function kafka(protocol: 'SASL_PLAINTEXT' | 'SSL', who: Partial<KafkaConfig>): Kafka {
  const l = broker.listeners.find((x) => x.protocol === protocol)!;
  return new Kafka({ clientId: 'acl-sasl', brokers: [`${l.host}:${l.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 }, ...who });
}
const sasl = (username: string, password: string): Kafka => kafka('SASL_PLAINTEXT', { sasl: { mechanism: 'scram-sha-256', username, password } });
const mtls = (): Kafka => kafka('SSL', { ssl: { ca: [fs.readFileSync(certs.caCert)], cert: fs.readFileSync(certs.clientCert), key: fs.readFileSync(certs.clientKey), servername: 'localhost' } });

/** The Kafka error type of a kafkajs failure, looking through its retry wrappers. */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    let e = err as { type?: string; cause?: unknown; originalError?: unknown } | undefined;
    while (e && !e.type) e = (e.originalError ?? e.cause) as typeof e;
    return e?.type ?? String(err);
  }
  throw new Error('expected a refusal, but the request succeeded');
}

async function produce(client: Kafka, value: string): Promise<void> {
  const producer = client.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic: TOPIC, messages: [{ value }] });
  } finally {
    await producer.disconnect();
  }
}

const acl = (principal: string, resourceType: AclResourceTypes, resourceName: string, operation: AclOperationTypes): AclEntry => ({
  resourceType,
  resourceName,
  resourcePatternType: ResourcePatternTypes.LITERAL,
  principal,
  host: '*',
  operation,
  permissionType: AclPermissionTypes.ALLOW,
});

async function grant(entries: AclEntry[]): Promise<void> {
  const admin = sasl('admin', 'admin-secret').admin();
  await admin.connect();
  try {
    await admin.createAcls({ acl: entries });
  } finally {
    await admin.disconnect();
  }
}

describe.skipIf(!available)('SASL and mTLS principals under --authorizer acl', () => {
  it('the super user creates a topic; alice may not produce to it without an ACL', async () => {
    const admin = sasl('admin', 'admin-secret').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
    expect(await admin.listTopics()).toContain(TOPIC);
    await admin.disconnect();
    expect(await refusal(produce(sasl('alice', 'alice-secret'), 'refused'))).toBe('TOPIC_AUTHORIZATION_FAILED');
    // Nothing reached the log.
    expect(broker.context.topics.partition(TOPIC, 0)!.highWatermark).toBe(0n);
  }, 30_000);

  it('after the super user grants User:alice WRITE and READ on the topic and READ on her group, she produces and consumes', async () => {
    await grant([
      acl('User:alice', AclResourceTypes.TOPIC, TOPIC, AclOperationTypes.WRITE),
      acl('User:alice', AclResourceTypes.TOPIC, TOPIC, AclOperationTypes.READ),
      acl('User:alice', AclResourceTypes.GROUP, 'alice-group', AclOperationTypes.READ),
    ]);
    const alice = sasl('alice', 'alice-secret');
    await produce(alice, 'from alice');
    const consumer = alice.consumer({ groupId: 'alice-group', retry: { retries: 0 } });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    const seen = await new Promise<string>((resolve, reject) => {
      consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) }).catch(reject);
    });
    await consumer.disconnect();
    expect(seen).toBe('from alice');
  }, 30_000);

  it('an mTLS client is User:<certificate subject>: refused, then allowed by an ACL for that principal', async () => {
    expect(await refusal(produce(mtls(), 'refused'))).toBe('TOPIC_AUTHORIZATION_FAILED');
    await grant([acl(CERT_PRINCIPAL, AclResourceTypes.TOPIC, TOPIC, AclOperationTypes.WRITE)]);
    await produce(mtls(), 'from the certificate');
    expect(broker.context.topics.partition(TOPIC, 0)!.highWatermark).toBe(2n);
  }, 30_000);

  it('`kafkaesque acls` connects with its security flags (SASL as the super user)', async () => {
    const passwordFile = path.join(dir, 'admin.password');
    fs.writeFileSync(passwordFile, 'admin-secret');
    const l = broker.listeners.find((x) => x.protocol === 'SASL_PLAINTEXT')!;
    const asAdmin = ['--brokers', `${l.host}:${l.port}`, '--security-protocol', 'SASL_PLAINTEXT', '--sasl-mechanism', 'SCRAM-SHA-256', '--sasl-username', 'admin', '--sasl-password-file', passwordFile];
    expect(await aclsCommand.run(['add', '--topic', 'cli-granted', '--allow-principal', 'alice', '--operation', 'read', ...asAdmin])).toBe(0);
    const granted = broker.context.services.authorizer!.store.list({ resourceType: AclResourceTypes.ANY, resourceName: 'cli-granted', patternType: 3, principal: 'User:alice', host: null, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
    expect(granted).toHaveLength(1);
  }, 30_000);
});
