/**
 * Hostile input: each case hits the broker with something broken, checks that only that connection is
 * affected (closed or answered with an error), then that a fresh kafkajs client is still served.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writer } from '../../src/protocol/primitives.js';
import { writeRequestHeader } from '../../src/protocol/headers.js';
import { ApiVersions } from '../../src/protocol/messages/api-versions.js';
import { createMetadataRequest, Metadata } from '../../src/protocol/messages/metadata.js';
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { within } from '../until.js';
import { assertServes, fetchRequest, produceRaw, RawClient, startTestBroker, type TestBroker } from './helpers.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ maxRequestSize: 2 << 20, partialFrameTimeoutMs: 300, connectionsMaxIdleMs: 500, maxConnections: 50 });
});
afterAll(async () => {
  await broker?.stop();
});

function frameWith(body: (w: Writer) => void): Buffer {
  const w = new Writer();
  w.int32(0);
  body(w);
  w.patchInt32(0, w.length - 4);
  return w.toBuffer();
}

async function expectClosed(c: RawClient, ms = 10_000): Promise<void> {
  await within(c.closedPromise, 'the broker to close the connection', ms);
}

describe('hostile input', () => {
  it('random bytes', async () => {
    for (let i = 0; i < 20; i++) {
      const c = await RawClient.connect(broker);
      const junk = Buffer.alloc(64 + i * 37);
      for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(Math.random() * 256);
      junk.writeInt32BE(junk.length - 4, 0); // a plausible size, garbage inside
      c.write(junk);
      const reply = await c.readFrame(3000).catch(() => null);
      if (reply === null && !c.closed) throw new Error('neither answered nor closed');
      c.close();
    }
    expect(await assertServes(broker)).toBeInstanceOf(Array);
  });

  it('a length prefix above the request limit closes without reading the body', async () => {
    const c = await RawClient.connect(broker);
    const head = Buffer.alloc(4);
    head.writeInt32BE(0x7fffffff, 0);
    c.write(head);
    await expectClosed(c);
    await assertServes(broker);
  });

  it('a negative length prefix', async () => {
    const c = await RawClient.connect(broker);
    c.write(Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3]));
    await expectClosed(c);
    await assertServes(broker);
  });

  it('a frame too short for a header, and a truncated header', async () => {
    const c = await RawClient.connect(broker);
    c.write(Buffer.from([0, 0, 0, 3, 0, 18, 0]));
    await expectClosed(c);
    const d = await RawClient.connect(broker);
    d.write(frameWith((w) => w.int16(3).int16(1).int32(5).int16(200))); // clientId claims 200 bytes
    await expectClosed(d);
    await assertServes(broker);
  });

  it('an unknown API key closes the connection (as Kafka does)', async () => {
    const c = await RawClient.connect(broker);
    c.write(frameWith((w) => writeRequestHeader(w, 1, { apiKey: 999, apiVersion: 0, correlationId: 1, clientId: 'x' })));
    await expectClosed(c);
    await assertServes(broker);
  });

  it('an absurd array count is refused without allocating it', async () => {
    const c = await RawClient.connect(broker);
    c.write(frameWith((w) => {
      writeRequestHeader(w, 1, { apiKey: 3, apiVersion: 1, correlationId: 1, clientId: 'x' });
      w.int32(0x7ffffff0); // topics: two billion entries in a tiny frame
    }));
    await expectClosed(c);
    await assertServes(broker);
  });

  it('a frame cut short by the peer closing', async () => {
    const c = await RawClient.connect(broker);
    const f = c.frame(Metadata, 1, createMetadataRequest({ topics: null }));
    c.write(f.subarray(0, f.length - 3));
    c.socket.end();
    await expectClosed(c);
    await assertServes(broker);
  });

  it('a slow half-sent frame is closed after the partial-frame timeout', async () => {
    const c = await RawClient.connect(broker);
    const f = c.frame(ApiVersions, 2, { clientSoftwareName: '', clientSoftwareVersion: '' });
    const started = Date.now();
    c.write(f.subarray(0, 6));
    await expectClosed(c);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await assertServes(broker);
  });

  it('idle connections are closed after the idle timeout; the connection limit holds', async () => {
    // Each connection asks for ApiVersions at once: the ones beyond maxConnections are closed at accept and never
    // answered, the rest are answered and then closed by the broker when idle. Told apart by what happened to
    // them, not by when, so a loaded machine cannot blur the two.
    const apiVersions = frameWith((w) => writeRequestHeader(w, 1, { apiKey: 18, apiVersion: 0, correlationId: 1, clientId: 'x' }));
    const started = Date.now();
    const outcomes = Promise.all(
      Array.from({ length: 60 }, () => {
        const s = net.connect(broker.port, broker.host, () => s.write(apiVersions));
        s.on('error', () => {});
        let answered = false;
        s.on('data', () => (answered = true));
        return new Promise<{ answered: boolean; closedAfter: number }>((resolve) => s.on('close', () => resolve({ answered, closedAfter: Date.now() - started })));
      }),
    );
    const closed = await within(outcomes, 'the broker to close every connection (connectionsMaxIdleMs is 500)', 30_000);
    const refused = closed.filter((o) => !o.answered);
    const idle = closed.filter((o) => o.answered);
    expect(refused).toHaveLength(10); // beyond max connections: closed at accept
    expect(idle).toHaveLength(50); // the rest: served, then closed after connectionsMaxIdleMs, never before
    expect(Math.min(...idle.map((o) => o.closedAfter))).toBeGreaterThanOrEqual(450); // 500 less timer rounding
    // A refusal comes at accept, before any idle timer can fire.
    expect(Math.max(...refused.map((o) => o.closedAfter))).toBeLessThanOrEqual(Math.min(...idle.map((o) => o.closedAfter)));
    await assertServes(broker);
  });

  it('a client that never reads its responses is paused, not buffered without bound', async () => {
    const c = await RawClient.connect(broker);
    await c.request(Metadata, 1, createMetadataRequest({ topics: [{ name: 'unread', topicId: '00000000-0000-0000-0000-000000000000' }] }));
    for (let i = 0; i < 10; i++) await produceRaw(c, 'unread', 0, ['v'.repeat(100_000)]);
    c.socket.pause();
    const rssBefore = process.memoryUsage().rss;
    // 100k fetches of ~1 MB each: ~100 GB of responses if the broker kept reading and buffering.
    const req = c.frame(Fetch, 11, fetchRequest('unread', 0, 0n, { maxBytes: 2 << 20 }));
    let peakRss = rssBefore;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    try {
      c.socket.write(Buffer.concat(Array.from({ length: 100_000 }, () => req)));
      // The broker stops reading once its writes back up, and with nothing in flight the connection is idle:
      // it closes it after connectionsMaxIdleMs. A broker that kept reading would stay busy (and grow) instead.
      await within(c.closedPromise, 'the broker to close a connection that never reads (is it still reading requests?)', 30_000);
    } finally {
      clearInterval(sampler);
    }
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    expect(peakRss - rssBefore).toBeLessThan(300 << 20);
    await assertServes(broker);
    c.close();
  });
});
