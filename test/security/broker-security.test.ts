/**
 * The broker's security behaviour through real sockets: refused logins and their delay, the SASL gate,
 * protocol mismatches (plaintext on TLS and the reverse), mTLS principals and a foreign CA, advertised
 * listeners, SCRAM credentials through the API and across a restart, TLS handshake deadlines, half-open TLS
 * floods and certificate reload.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlers as registeredHandlers } from '../../src/broker/handlers/index.js';
import type { Handler } from '../../src/broker/handlers/handler.js';
import { BrokerConnection } from '../../src/client/connection.js';
import { SaslAuthenticationError } from '../../src/client/sasl.js';
import type { SaslClientOptions } from '../../src/client/security.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { AlterUserScramCredentials } from '../../src/protocol/messages/alter-user-scram-credentials.js';
import { DescribeUserScramCredentials } from '../../src/protocol/messages/describe-user-scram-credentials.js';
import { Metadata } from '../../src/protocol/messages/metadata.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { SaslHandshake } from '../../src/protocol/messages/sasl-handshake.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { saltPassword } from '../../src/protocol/sasl-scram.js';
import { RawClient, startTestBroker, tempDir, type TestBroker } from '../broker/helpers.js';
import { hasOpenssl, makeCerts, type TestCerts } from './certs.js';
import { until } from '../until.js';

const available = hasOpenssl();
let dir: string;
let certs: TestCerts;
let usersFile: string;
/** Principals seen by Metadata requests, in order. */
const principals: string[] = [];

/** The registered handlers, with Metadata recording who asked. */
const recording: Handler[] = registeredHandlers.map((h) =>
  h.codec.apiKey === ApiKey.Metadata
    ? { ...h, handle: (ctx, req, v) => (principals.push(`${ctx.listenerName} ${ctx.principal}`), h.handle(ctx, req, v)) }
    : h,
);

beforeAll(() => {
  if (!available) return;
  dir = tempDir();
  certs = makeCerts(dir);
  usersFile = path.join(dir, 'users.json');
  fs.writeFileSync(usersFile, JSON.stringify({ alice: 'alice-secret' }));
}, 60_000);
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function addr(broker: TestBroker, protocol: string): { host: string; port: number } {
  const l = broker.listeners.find((x) => x.protocol === protocol);
  if (!l) throw new Error(`no ${protocol} listener`);
  return { host: l.host, port: l.port };
}

const sslTo = (): tls.ConnectionOptions => ({ ca: fs.readFileSync(certs.caCert), servername: 'localhost' });

async function connect(broker: TestBroker, protocol: string, sasl?: SaslClientOptions, extra: tls.ConnectionOptions = {}): Promise<BrokerConnection> {
  const { host, port } = addr(broker, protocol);
  const ssl = protocol === 'SSL' || protocol === 'SASL_SSL' ? { ...sslTo(), ...extra } : undefined;
  return BrokerConnection.connect(host, port, { ssl, sasl, requestTimeoutMs: 10_000 });
}

async function metadata(c: BrokerConnection): Promise<{ host: string; port: number }[]> {
  const res = await c.request(Metadata, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return res.brokers.map((b) => ({ host: b.host, port: b.port }));
}

describe.skipIf(!available)('SASL listeners', () => {
  let broker: TestBroker;
  const DELAY = 400;
  beforeAll(async () => {
    broker = await startTestBroker({
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
      advertisedListeners: 'SASL_SSL://localhost:19093',
      sslCert: certs.serverCert,
      sslKey: certs.serverKey,
      usersFile,
      saslMechanisms: 'PLAIN,SCRAM-SHA-512',
      connectionFailedAuthenticationDelayMs: DELAY,
      handlers: recording,
    });
  });
  afterAll(async () => broker?.stop());

  it('authenticated requests carry the SASL principal and the listener name', async () => {
    principals.length = 0;
    const c = await connect(broker, 'SASL_SSL', { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'alice-secret' });
    await metadata(c);
    c.close();
    const p = await connect(broker, 'PLAINTEXT');
    await metadata(p);
    p.close();
    expect(principals).toEqual(['SASL_SSL User:alice', 'PLAINTEXT User:ANONYMOUS']);
  });

  it('each listener advertises its own address (advertised.listeners)', async () => {
    const c = await connect(broker, 'SASL_SSL', { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' });
    expect(await metadata(c)).toEqual([{ host: 'localhost', port: 19093 }]);
    c.close();
    const p = await connect(broker, 'PLAINTEXT');
    expect(await metadata(p)).toEqual([addr(broker, 'PLAINTEXT')]);
    p.close();
  });

  it.each([
    ['a wrong SCRAM password', { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'wrong' }, ErrorCode.SASL_AUTHENTICATION_FAILED],
    ['a wrong PLAIN password', { mechanism: 'PLAIN', username: 'alice', password: 'wrong' }, ErrorCode.SASL_AUTHENTICATION_FAILED],
    ['an unknown user', { mechanism: 'SCRAM-SHA-512', username: 'mallory', password: 'x' }, ErrorCode.SASL_AUTHENTICATION_FAILED],
    ['a disabled mechanism', { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'alice-secret' }, ErrorCode.UNSUPPORTED_SASL_MECHANISM],
  ] as const)('%s is refused after connection.failed.authentication.delay.ms, and the connection closed', async (_name, sasl, code) => {
    const { host, port } = addr(broker, 'SASL_PLAINTEXT');
    // One connection by hand, to time the refusal alone (not the connect and ApiVersions before it).
    const c = await BrokerConnection.connect(host, port, {});
    const closed = new Promise<void>((resolve) => c.onClose(() => resolve()));
    const { authenticate } = await import('../../src/client/sasl.js');
    const started = performance.now();
    const err = await authenticate(c, sasl).then(() => null, (e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(err).toBeInstanceOf(SaslAuthenticationError);
    expect((err as SaslAuthenticationError).code).toBe(code);
    expect(elapsed).toBeGreaterThanOrEqual(DELAY - 5);
    await closed; // the broker hangs up after the refusal
    console.log(`${_name}: refused after ${elapsed.toFixed(0)} ms (delay ${DELAY} ms)`);
  });

  it('a request other than ApiVersions/SaslHandshake before authentication closes the connection', async () => {
    const raw = await RawClient.connect(addr(broker, 'SASL_PLAINTEXT'));
    raw.write(raw.frame(Metadata, 4, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }));
    expect(await raw.readFrame()).toBeNull();
    // ... while the broker serves everyone else
    const c = await connect(broker, 'SASL_PLAINTEXT', { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' });
    expect(await metadata(c)).toHaveLength(1);
    c.close();
  });

  it('before authentication frames are held to sasl.server.max.receive.size; after it, to --max-request-size', async () => {
    const raw = await RawClient.connect(addr(broker, 'SASL_PLAINTEXT'));
    const big = Buffer.alloc(4 + 600 * 1024);
    big.writeInt32BE(600 * 1024, 0);
    raw.write(big);
    expect(await raw.readFrame()).toBeNull();
    const c = await connect(broker, 'SASL_PLAINTEXT', { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' });
    await c.request(Metadata, { topics: [{ name: 'big-after-auth', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(700 * 1024, 7) }] });
    const res = await c.send(Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'big-after-auth', partitionData: [{ index: 0, records }] }] });
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
    c.close();
  });

  it('SaslHandshake v0: raw SASL tokens without Kafka headers, then ordinary requests; a wrong password closes after the delay', async () => {
    const raw = await RawClient.connect(addr(broker, 'SASL_PLAINTEXT'));
    const handshake = await raw.request(SaslHandshake, 0, { mechanism: 'PLAIN' });
    expect(handshake.errorCode).toBe(ErrorCode.NONE);
    const token = (t: string): Buffer => {
      const b = Buffer.alloc(4 + Buffer.byteLength(t));
      b.writeInt32BE(Buffer.byteLength(t), 0);
      b.write(t, 4);
      return b;
    };
    raw.write(token('\0alice\0alice-secret'));
    expect((await raw.readFrame())?.length).toBe(0); // PLAIN's empty server token
    const res = await raw.request(Metadata, 4, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    expect(res.brokers).toHaveLength(1);
    raw.close();

    const bad = await RawClient.connect(addr(broker, 'SASL_PLAINTEXT'));
    await bad.request(SaslHandshake, 0, { mechanism: 'PLAIN' });
    const started = performance.now();
    bad.write(token('\0alice\0wrong'));
    expect(await bad.readFrame()).toBeNull();
    expect(performance.now() - started).toBeGreaterThanOrEqual(DELAY - 5);
  });

  it('a plaintext client on the TLS port and a TLS client on a plaintext port fail cleanly; the broker keeps serving', async () => {
    const wrongWay1 = BrokerConnection.connect(addr(broker, 'SASL_SSL').host, addr(broker, 'SASL_SSL').port, { requestTimeoutMs: 5000, connectTimeoutMs: 5000 });
    await expect(wrongWay1).rejects.toThrow(/connection to broker|did not answer/);
    const wrongWay2 = BrokerConnection.connect(addr(broker, 'PLAINTEXT').host, addr(broker, 'PLAINTEXT').port, { ssl: sslTo(), requestTimeoutMs: 5000, connectTimeoutMs: 5000 });
    await expect(wrongWay2).rejects.toThrow(/connection to broker/);
    const c = await connect(broker, 'SASL_SSL', { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'alice-secret' });
    expect(await metadata(c)).toHaveLength(1);
    c.close();
    const p = await connect(broker, 'PLAINTEXT');
    expect(await metadata(p)).toHaveLength(1);
    p.close();
  });

  it('SCRAM credentials: AlterUserScramCredentials adds and removes users, persisted across a restart, with no password on disk', async () => {
    const admin = await connect(broker, 'SASL_SSL', { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'alice-secret' });
    const salt = Buffer.from('0123456789abcdef');
    const saltedPassword = await saltPassword('SCRAM-SHA-512', 'carol-pass-Xyzzy', salt, 4096);
    const altered = await admin.send(AlterUserScramCredentials, 0, {
      deletions: [{ name: 'alice', mechanism: 2 }, { name: 'nobody', mechanism: 2 }],
      upsertions: [
        { name: 'carol', mechanism: 2, iterations: 4096, salt, saltedPassword },
        { name: 'dave', mechanism: 2, iterations: 100, salt, saltedPassword },
      ],
    });
    expect(Object.fromEntries(altered.results.map((r) => [r.user, r.errorCode]))).toEqual({
      alice: ErrorCode.NONE,
      nobody: ErrorCode.RESOURCE_NOT_FOUND,
      carol: ErrorCode.NONE,
      dave: ErrorCode.UNACCEPTABLE_CREDENTIAL,
    });
    const described = await admin.send(DescribeUserScramCredentials, 0, { users: null });
    expect(described.results.map((r) => [r.user, r.credentialInfos])).toEqual([
      ['alice', [{ mechanism: 1, iterations: 4096 }]],
      ['carol', [{ mechanism: 2, iterations: 4096 }]],
    ]);
    admin.close();

    const { dataDir } = broker;
    await broker.close();
    for (const f of fs.readdirSync(dataDir)) {
      const p = path.join(dataDir, f);
      if (fs.statSync(p).isFile()) expect(fs.readFileSync(p, 'utf8')).not.toMatch(/carol-pass-Xyzzy|alice-secret/);
    }
    broker = await startTestBroker({
      dataDir,
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      usersFile,
      saslMechanisms: 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      connectionFailedAuthenticationDelayMs: 0,
    });
    const carol = await connect(broker, 'SASL_PLAINTEXT', { mechanism: 'SCRAM-SHA-512', username: 'carol', password: 'carol-pass-Xyzzy' });
    carol.close();
    // alice's SCRAM-SHA-512 credential stays deleted though the users file still lists her; SHA-256 remains.
    await expect(connect(broker, 'SASL_PLAINTEXT', { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'alice-secret' })).rejects.toThrow(SaslAuthenticationError);
    (await connect(broker, 'SASL_PLAINTEXT', { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'alice-secret' })).close();
  });
});

describe.skipIf(!available)('TLS listeners', () => {
  let broker: TestBroker;
  let certDir: string;
  const HANDSHAKE_MS = 600;
  beforeAll(async () => {
    // Copies of the certificate files, so the reload test can replace them.
    certDir = tempDir();
    for (const f of ['server.pem', 'server.key', 'ca.pem']) fs.copyFileSync(path.join(certs.dir, f), path.join(certDir, f));
    broker = await startTestBroker({
      listeners: 'SSL://127.0.0.1:0',
      sslCert: path.join(certDir, 'server.pem'),
      sslKey: path.join(certDir, 'server.key'),
      sslCa: path.join(certDir, 'ca.pem'),
      sslClientAuth: 'required',
      sslHandshakeTimeoutMs: HANDSHAKE_MS,
      handlers: recording,
    });
  });
  afterAll(async () => {
    await broker?.stop();
    if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
  });

  const clientCert = (): tls.ConnectionOptions => ({ cert: fs.readFileSync(certs.clientCert), key: fs.readFileSync(certs.clientKey) });

  it('mTLS: the principal is the certificate subject as Kafka formats it', async () => {
    principals.length = 0;
    const c = await connect(broker, 'SSL', undefined, clientCert());
    await metadata(c);
    c.close();
    expect(principals).toEqual(['SSL User:CN=client,O=Acme\\, Inc,C=DE']);
  });

  it('a client certificate from another CA, or none, is refused; the broker keeps serving', async () => {
    const other = { cert: fs.readFileSync(certs.otherClientCert), key: fs.readFileSync(certs.otherClientKey) };
    await expect(connect(broker, 'SSL', undefined, other)).rejects.toThrow(/connection to broker/);
    await expect(connect(broker, 'SSL')).rejects.toThrow(/connection to broker/);
    const c = await connect(broker, 'SSL', undefined, clientCert());
    expect(await metadata(c)).toHaveLength(1);
    c.close();
  });

  it('a TLS handshake that never finishes is closed at --ssl-handshake-timeout-ms', async () => {
    const { host, port } = addr(broker, 'SSL');
    const started = performance.now();
    const socket = net.connect(port, host);
    socket.on('error', () => {});
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])); // the start of a ClientHello, never finished
    await new Promise((resolve) => socket.once('close', resolve));
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(HANDSHAKE_MS - 20);
    expect(elapsed).toBeLessThan(HANDSHAKE_MS + 5000);
  });

  it('300 half-open TLS connections do not stop service, and are all closed at the deadline', async () => {
    const { host, port } = addr(broker, 'SSL');
    const fds = (): number => fs.readdirSync('/proc/self/fd').length;
    const fdsBefore = fds();
    const sockets: net.Socket[] = [];
    const closed: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      const s = net.connect(port, host);
      s.on('error', () => {});
      s.write(Buffer.from([0x16, 0x03, 0x01]));
      closed.push(new Promise((resolve) => s.once('close', resolve)));
      sockets.push(s);
    }
    await Promise.all(sockets.map((s) => new Promise((resolve) => (s.connecting ? s.once('connect', resolve) : resolve(null)))));
    const started = performance.now();
    const c = await connect(broker, 'SSL', undefined, clientCert());
    expect(await metadata(c)).toHaveLength(1);
    const served = performance.now() - started;
    const fdsDuring = fds();
    c.close();
    await Promise.all(closed); // the broker cut every one of them off at the handshake deadline
    // Both ends of the 300 connections live in this process: every descriptor comes back once they are closed.
    await until(() => fds() <= fdsBefore + 5, `descriptors back to ${fdsBefore} (+5) after the half-open connections closed`, 5000);
    console.log(`300 half-open TLS connections: a new client served in ${served.toFixed(0)} ms; descriptors ${fdsBefore} -> ${fdsDuring} -> ${fds()}; load ${fs.readFileSync('/proc/loadavg', 'utf8').trim()}`);
  }, 30_000);

  it('SIGHUP reload: new connections get the new certificate, open ones keep working', async () => {
    const before = await connect(broker, 'SSL', undefined, clientCert());
    const fingerprint = async (): Promise<string> => {
      const s = tls.connect({ ...addr(broker, 'SSL'), ...sslTo(), ...clientCert(), ca: [fs.readFileSync(certs.caCert), fs.readFileSync(certs.otherCaCert)] });
      await new Promise((resolve, reject) => s.once('secureConnect', resolve).once('error', reject));
      const fp = s.getPeerX509Certificate()!.fingerprint256;
      s.destroy();
      return fp;
    };
    const first = await fingerprint();
    // A new server certificate, signed by the other CA (which the client also trusts here).
    fs.copyFileSync(certs.otherClientCert.replace('other-client.pem', 'other-server.pem'), path.join(certDir, 'server.pem'));
    fs.copyFileSync(certs.otherClientCert.replace('other-client.pem', 'other-server.key'), path.join(certDir, 'server.key'));
    expect(broker.reloadCertificates()).toBe(true);
    const second = await fingerprint();
    expect(second).not.toBe(first);
    expect(await metadata(before)).toHaveLength(1); // the connection opened before the reload is still served
    before.close();
    // A broken file keeps the current certificates.
    fs.writeFileSync(path.join(certDir, 'server.key'), 'not a key');
    expect(broker.reloadCertificates()).toBe(false);
    expect(await fingerprint()).toBe(second);
  });
});

describe.skipIf(!available)('TLS with client certificates requested', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({ listeners: 'SSL://127.0.0.1:0', sslCert: certs.serverCert, sslKey: certs.serverKey, sslCa: certs.caCert, sslClientAuth: 'requested', handlers: recording });
  });
  afterAll(async () => broker?.stop());

  it('no certificate is User:ANONYMOUS, a trusted one names the principal, a foreign one is refused', async () => {
    principals.length = 0;
    const anonymous = await connect(broker, 'SSL');
    await metadata(anonymous);
    anonymous.close();
    const named = await connect(broker, 'SSL', undefined, { cert: fs.readFileSync(certs.clientCert), key: fs.readFileSync(certs.clientKey) });
    await metadata(named);
    named.close();
    expect(principals).toEqual(['SSL User:ANONYMOUS', 'SSL User:CN=client,O=Acme\\, Inc,C=DE']);
    await expect(connect(broker, 'SSL', undefined, { cert: fs.readFileSync(certs.otherClientCert), key: fs.readFileSync(certs.otherClientKey) })).rejects.toThrow(/connection to broker/);
  });
});
