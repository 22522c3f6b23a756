/**
 * The HTTP endpoint itself: off unless asked, health and readiness, routing, and hostile HTTP clients
 * (huge headers, slowloris) that must not reach the Kafka side.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/broker/config.js';
import { startHttp } from '../../src/broker/http/start.js';
import { startTestBroker, assertServes, tempDir, type TestBroker } from '../broker/helpers.js';
import { until, within } from '../until.js';
import { scrape } from './prom-text.js';

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
});

function base(b: TestBroker): string {
  return `http://${b.http!.host}:${b.http!.port}`;
}

describe('HTTP endpoint', () => {
  it('is off unless --http-port is given, and metrics are not collected then', async () => {
    broker = await startTestBroker();
    expect(broker.http).toBeNull();
    expect(broker.context.services.metrics).toBeUndefined();
  });

  it('answers /healthz and /readyz, 404 on unknown paths, 405 on wrong methods', async () => {
    broker = await startTestBroker({ httpPort: 0 });
    const health = await fetch(`${base(broker)}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', phase: 'ready' });
    const ready = await fetch(`${base(broker)}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, phase: 'ready' });
    expect((await fetch(`${base(broker)}/nope`)).status).toBe(404);
    const post = await fetch(`${base(broker)}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });

  it('lets other modules add routes (prefix and exact) while running', async () => {
    broker = await startTestBroker({ httpPort: 0 });
    broker.httpServer!.registerRoute('GET', '/x/', (_req, res, info) => res.end(`prefix ${info.url.pathname}`));
    broker.httpServer!.registerRoute('GET', '/x/exact', (_req, res) => res.end('exact'));
    expect(await (await fetch(`${base(broker)}/x/a/b`)).text()).toBe('prefix /x/a/b');
    expect(await (await fetch(`${base(broker)}/x/exact`)).text()).toBe('exact');
    broker.httpServer!.registerRoute('GET', '/boom', () => {
      throw new Error('kaput');
    });
    const boom = await fetch(`${base(broker)}/boom`);
    expect(boom.status).toBe(500);
    expect(() => broker!.httpServer!.registerRoute('GET', '/boom', () => {})).toThrow(/already registered/);
  });

  it('requires basic auth when an authenticate function is given, except on health probes', async () => {
    broker = await startTestBroker({ httpPort: 0, http: { authenticate: (user, pass) => user === 'alice' && pass === 's3cret' } });
    expect((await fetch(`${base(broker)}/healthz`)).status).toBe(200);
    const anonymous = await fetch(`${base(broker)}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    const wrong = await fetch(`${base(broker)}/metrics`, { headers: { authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}` } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${base(broker)}/metrics`, { headers: { authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` } });
    expect(ok.status).toBe(200);
  });

  it('answers /healthz but not /readyz while the broker is starting, and 503 on other paths then', async () => {
    const http = await startHttp(resolveConfig({ httpPort: 0 }), pino({ level: 'silent' }));
    try {
      const url = `http://${http.address.host}:${http.address.port}`;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ ready: false, phase: 'starting' });
      expect((await fetch(`${url}/metrics`)).status).toBe(503);
      http.stopping();
      expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ ready: false, phase: 'stopping' });
    } finally {
      await http.close();
    }
  });

  it('/readyz says stopping (503) once shutdown begins', async () => {
    broker = await startTestBroker({ httpPort: 0 });
    const url = `${base(broker)}/readyz`;
    // A Kafka connection that never hangs up keeps close() in its grace period: readiness flips first.
    const peer = net.connect(broker.port, broker.host);
    peer.on('error', () => {});
    await new Promise((resolve) => peer.on('connect', resolve));
    const closing = broker.close();
    const res = await fetch(url);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ready: false, phase: 'stopping' });
    peer.destroy();
    await closing; // afterEach's stop() then only removes the data dir
  });

  it('closes HTTP sockets beyond its connection limit and counts them', async () => {
    broker = await startTestBroker({ httpPort: 0, http: { limits: { maxConnections: 2 } } });
    const { host, port } = broker.http!;
    const held: net.Socket[] = [];
    for (let i = 0; i < 2; i++) {
      const s = net.connect(port, host);
      s.on('error', () => {});
      await new Promise((resolve) => s.on('connect', resolve));
      held.push(s);
    }
    const extra = net.connect(port, host);
    extra.on('error', () => {});
    await within(new Promise((resolve) => extra.on('close', resolve)), 'the HTTP server to close a socket beyond maxConnections');
    for (const s of held) s.destroy();
    await until(async () => {
      try {
        return (await fetch(`${base(broker!)}/healthz`)).status === 200;
      } catch {
        return false;
      }
    }, 'the HTTP endpoint to serve again once sockets are free');
    const s = await scrape(broker.http!);
    expect(s.value('kafkaesque_limit_refusals_total', { limit: 'http-max-connections' })).toBeGreaterThanOrEqual(1);
  });

  it('serves HTTPS when given a TLS key and certificate', async () => {
    const dir = tempDir();
    try {
      const key = path.join(dir, 'key.pem');
      const cert = path.join(dir, 'cert.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
      broker = await startTestBroker({ httpPort: 0, http: { tls: { key: fs.readFileSync(key), cert: fs.readFileSync(cert) } } });
      expect(broker.http!.tls).toBe(true);
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get({ host: broker!.http!.host, port: broker!.http!.port, path: '/healthz', ca: fs.readFileSync(cert), servername: 'localhost', checkServerIdentity: () => undefined }, (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve(text));
          })
          .on('error', reject);
      });
      expect(JSON.parse(body)).toMatchObject({ status: 'ok' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('closes a client sending huge headers (431) and a slowloris client, while Kafka clients are served', async () => {
    broker = await startTestBroker({ httpPort: 0, http: { limits: { headersTimeoutMs: 500, requestTimeoutMs: 1000 } } });
    const { host, port } = broker.http!;
    const big = await fetch(`${base(broker)}/healthz`, { headers: { 'x-big': 'a'.repeat(64 * 1024) } });
    expect(big.status).toBe(431);

    // Slowloris: a request head that never completes, one byte now and then. The server must cut it.
    const slow = net.connect(port, host);
    slow.on('error', () => {});
    slow.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => slow.write('X-A: b\r\n'), 100);
    const reply = new Promise<string>((resolve) => {
      let text = '';
      slow.on('data', (d: Buffer) => (text += d.toString()));
      slow.on('close', () => resolve(text));
    });
    try {
      const text = await within(reply, 'the HTTP server to close a slowloris socket', 10_000);
      expect(text).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(drip);
      slow.destroy();
    }
    expect((await fetch(`${base(broker)}/healthz`)).status).toBe(200);
    await assertServes(broker);
  });
});
