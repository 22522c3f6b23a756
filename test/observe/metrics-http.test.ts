/**
 * The HTTP endpoint itself: off unless asked, health and readiness, routing, and hostile HTTP clients
 * (huge headers, slowloris) that must not reach the Kafka side.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker, assertServes, type TestBroker } from '../broker/helpers.js';
import { within } from '../until.js';

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

  it('/readyz says stopping (503) once shutdown begins', async () => {
    broker = await startTestBroker({ httpPort: 0 });
    const url = `${base(broker)}/readyz`;
    // A parked connection keeps close() busy for a moment; readiness must flip before the listener goes.
    const closing = broker.close();
    const res = await fetch(url).catch(() => null);
    if (res) expect(res.status).toBe(503);
    await closing;
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
