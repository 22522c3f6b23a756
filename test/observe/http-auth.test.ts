/**
 * The HTTP endpoint under the broker's security settings (issue 14 on issue 13): with --ssl-cert/--ssl-key it
 * serves HTTPS, with --users every path but /healthz and /readyz needs HTTP basic auth against the SCRAM store
 * (a wrong password answers 401 after connection.failed.authentication.delay.ms), and with --authorizer acl
 * the API shows each user only what their ACLs let them describe (or read), /metrics needs DESCRIBE on the
 * cluster, and the super user sees everything. Real HTTPS requests (node's https, trusting the test CA).
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AclOperation, PatternType, PermissionType, ResourceType, type AclBinding } from '../../src/broker/acl/acl-types.js';
import type { GroupCoordinator } from '../../src/broker/groups/coordinator.js';
import { resolveConfig, startBroker } from '../../src/broker/index.js';
import { httpSecurity } from '../../src/broker/http/security.js';
import { createLogger } from '../../src/broker/logger.js';
import { startTestBroker, tempDir, type TestBroker } from '../broker/helpers.js';
import { hasOpenssl, makeCerts, type TestCerts } from '../security/certs.js';

const available = hasOpenssl();
const DELAY_MS = 300;
let broker: TestBroker;
let certs: TestCerts;
let dir: string;

function allow(principal: string, resourceType: number, resourceName: string, operation: number, patternType: number = PatternType.LITERAL): AclBinding {
  return { resourceType, resourceName, patternType, principal, host: '*', operation, permissionType: PermissionType.ALLOW };
}

beforeAll(async () => {
  if (!available) return;
  dir = tempDir();
  certs = makeCerts(dir);
  const users = path.join(dir, 'users.json');
  fs.writeFileSync(users, JSON.stringify({ admin: 'admin-secret', alice: 'alice-secret' }));
  broker = await startTestBroker({
    listeners: 'SASL_SSL://127.0.0.1:0',
    sslCert: certs.serverCert,
    sslKey: certs.serverKey,
    usersFile: users,
    authorizer: 'acl',
    superUsers: 'admin',
    httpPort: 0,
    connectionFailedAuthenticationDelayMs: DELAY_MS,
  });
  for (const t of ['alice-orders', 'alice-payments', 'secret']) await broker.context.topics.create(t, 1, {});
  const groups = broker.context.services.groups as GroupCoordinator;
  for (const g of ['alice-group', 'secret-group']) {
    groups.commitOffsets({ groupId: g, generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: 'alice-orders', partition: 0, offset: 0n, leaderEpoch: -1, metadata: null }] });
  }
  await broker.context.services.authorizer!.store.add([
    allow('User:alice', ResourceType.TOPIC, 'alice-', AclOperation.DESCRIBE, PatternType.PREFIXED),
    allow('User:alice', ResourceType.TOPIC, 'alice-orders', AclOperation.READ),
    allow('User:alice', ResourceType.GROUP, 'alice-group', AclOperation.DESCRIBE),
  ]);
}, 60_000);
afterAll(async () => {
  await broker?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  ms: number;
}

function get(pathname: string, auth?: string, target = broker): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: target.http!.host, port: target.http!.port, path: pathname, ca: fs.readFileSync(certs.caCert), servername: 'localhost', auth, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
  });
}
const json = (a: Answer): any => JSON.parse(a.text);
const ALICE = 'alice:alice-secret';
const ADMIN = 'admin:admin-secret';

describe.skipIf(!available)('HTTP endpoint with TLS, users and ACLs', () => {
  it('serves HTTPS with the listeners\' certificate; a plain HTTP request gets no answer', async () => {
    expect(broker.http!.tls).toBe(true);
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    const plainHttp = new Promise<number>((resolve, reject) => {
      const req = http.get({ host: broker.http!.host, port: broker.http!.port, path: '/healthz', agent: false }, (res) => resolve(res.statusCode!));
      req.on('error', reject);
    });
    // Node's TLS server answers plaintext bytes with a TLS alert and closes; whatever the client makes of it, not a 200.
    await expect(plainHttp.then((s) => (s === 200 ? Promise.reject(new Error('served plain HTTP')) : s))).rejects.toThrow(/socket hang up|ECONNRESET|parse|served plain/i);
  });

  it('/healthz and /readyz stay open; everything else asks for basic auth', async () => {
    expect((await get('/readyz')).status).toBe(200);
    for (const p of ['/api/topics', '/metrics', '/']) {
      const a = await get(p);
      expect(a.status, p).toBe(401);
      expect(a.headers['www-authenticate'], p).toMatch(/^Basic realm=/);
    }
  });

  it('a wrong password or an unknown user gets 401 after the failed-authentication delay', async () => {
    for (const auth of ['alice:wrong', 'mallory:alice-secret', 'alice:']) {
      const a = await get('/api/topics', auth);
      expect(a.status, auth).toBe(401);
      expect(a.ms, auth).toBeGreaterThanOrEqual(DELAY_MS - 5);
      console.log(`HTTP 401 for ${auth} after ${Math.round(a.ms)} ms (delay ${DELAY_MS} ms)`);
    }
  });

  it('alice sees only the topics and groups her ACLs let her describe, and reads only what she may READ', async () => {
    const topics = await get('/api/topics', ALICE);
    expect(topics.status).toBe(200);
    expect(json(topics).topics.map((t: any) => t.name)).toEqual(['alice-orders', 'alice-payments']);
    expect((await get('/api/topics/secret', ALICE)).status).toBe(403);
    expect((await get('/api/topics/alice-payments', ALICE)).status).toBe(200);
    expect((await get('/api/topics/alice-orders/partitions/0/records', ALICE)).status).toBe(200);
    const unreadable = await get('/api/topics/alice-payments/partitions/0/records', ALICE);
    expect(unreadable.status).toBe(403);
    expect(json(unreadable).error).toMatch(/read the records/);
    const groups = await get('/api/groups', ALICE);
    expect(json(groups).groups.map((g: any) => g.groupId)).toEqual(['alice-group']);
    expect((await get('/api/groups/secret-group', ALICE)).status).toBe(403);
    // The broker page lists every setting: DESCRIBE_CONFIGS on the cluster, which alice lacks.
    expect((await get('/api/broker', ALICE)).status).toBe(403);
    const metrics = await get('/metrics', ALICE);
    expect(metrics.status).toBe(403);
    expect(metrics.text).toMatch(/DESCRIBE the cluster/);
  });

  it('the super user sees everything, and the broker page lists the real listeners', async () => {
    const topics = json(await get('/api/topics', ADMIN));
    expect(topics.topics.map((t: any) => t.name)).toEqual(['alice-orders', 'alice-payments', 'secret']);
    expect(json(await get('/api/groups', ADMIN)).groups.map((g: any) => g.groupId)).toEqual(['alice-group', 'secret-group']);
    const info = json(await get('/api/broker', ADMIN));
    const l = broker.listeners[0]!;
    expect(info.listeners).toEqual([{ name: 'SASL_SSL', protocol: 'SASL_SSL', bind: `${l.host}:${l.port}`, advertised: `${l.host}:${l.port}` }]);
    const metrics = await get('/metrics', ADMIN);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^# HELP /m);
    expect((await get('/', ADMIN)).status).toBe(200);
  });

  it('a password changed through the SCRAM store applies to HTTP at once', async () => {
    const { deriveCredential } = await import('../../src/protocol/sasl-scram.js');
    await broker.context.services.scram!.alter([
      { user: 'alice', mechanism: 'SCRAM-SHA-256', credential: await deriveCredential('SCRAM-SHA-256', 'new-secret') },
      { user: 'alice', mechanism: 'SCRAM-SHA-512', credential: await deriveCredential('SCRAM-SHA-512', 'new-secret') },
    ]);
    expect((await get('/api/topics', 'alice:new-secret')).status).toBe(200);
    expect((await get('/api/topics', ALICE)).status).toBe(401);
  });
});

describe.skipIf(!available)('--http-tls and when basic auth applies', () => {
  it('--http-tls on without a certificate is a configuration error; off keeps plain HTTP', async () => {
    const logger = createLogger('silent');
    expect(() => httpSecurity(resolveConfig({ httpPort: 0, httpTls: 'on' }), false, logger)).toThrow(/--http-tls on needs --ssl-cert/);
    const off = httpSecurity(resolveConfig({ httpPort: 0, httpTls: 'off', sslCert: certs.serverCert, sslKey: certs.serverKey }), false, logger);
    expect(off.options.tls).toBeUndefined();
    expect(off.options.authenticate).toBeUndefined();
  });

  it('a broker without users or SASL listeners serves the API without authentication, to everyone', async () => {
    const open = await startBroker({ logLevel: 'silent', port: 0, dataDir: tempDir(), httpPort: 0 });
    try {
      expect(open.http!.tls).toBe(false);
      const status = await new Promise<number>((resolve, reject) => {
        http.get({ host: open.http!.host, port: open.http!.port, path: '/api/topics', agent: false }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject);
      });
      expect(status).toBe(200);
    } finally {
      await open.close();
      fs.rmSync(open.config.dataDir, { recursive: true, force: true });
    }
  });

  it('SIGHUP\'s certificate reload (reloadCertificates) reaches the HTTPS endpoint: new connections get the new certificate', async () => {
    const cert = path.join(dir, 'reload.pem');
    const key = path.join(dir, 'reload.key');
    fs.copyFileSync(certs.serverCert, cert);
    fs.copyFileSync(certs.serverKey, key);
    const b = await startBroker({ logLevel: 'silent', port: 0, dataDir: tempDir(), httpPort: 0, sslCert: cert, sslKey: key });
    const status = (ca: string): Promise<number> =>
      new Promise((resolve, reject) => {
        https.get({ host: b.http!.host, port: b.http!.port, path: '/healthz', ca: fs.readFileSync(ca), servername: 'localhost', agent: false }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject);
      });
    try {
      expect(b.http!.tls).toBe(true);
      expect(await status(certs.caCert)).toBe(200);
      fs.copyFileSync(path.join(certs.dir, 'other-server.pem'), cert);
      fs.copyFileSync(path.join(certs.dir, 'other-server.key'), key);
      expect(b.reloadCertificates()).toBe(true);
      expect(await status(path.join(certs.dir, 'other-ca.pem'))).toBe(200);
      await expect(status(certs.caCert)).rejects.toThrow(/self.signed|unable to verify|certificate/i);
    } finally {
      await b.close();
      fs.rmSync(b.config.dataDir, { recursive: true, force: true });
    }
  });
});
