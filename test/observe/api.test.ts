/**
 * The console's JSON API without a browser: shapes and values against what kafkajs produced and consumed,
 * bad parameters (400 with a message), unknown things (404), and the per-request bounds (record count,
 * byte budget, value size) and the stream scan that goes on where it stopped.
 */
import { CompressionTypes, type Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent } from '../../src/transport/event-codec.js';
import { kafkaClient, startTestBroker, type TestBroker } from '../broker/helpers.js';
import { until } from '../until.js';
import { consumeAll, createTopic, getJson, writeCapturedStreams } from './console-helpers.js';

let broker: TestBroker;
let consumer: Consumer | undefined;

beforeAll(async () => {
  broker = await startTestBroker({ httpPort: 0, groupInitialRebalanceDelayMs: 0, httpApiMaxBytes: 64 * 1024 });
}, 30_000);
afterAll(async () => {
  await consumer?.disconnect();
  await broker?.stop();
});

async function produce(topic: string, messages: { key?: string | Buffer | null; value: string | Buffer; partition?: number }[], compression = CompressionTypes.None): Promise<void> {
  const producer = kafkaClient(broker, 'api-test').producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages, compression });
  } finally {
    await producer.disconnect();
  }
}

describe('/api', () => {
  it('lists its endpoints, and answers unknown paths with 404 JSON', async () => {
    const index = await getJson(broker, '/api/');
    expect(index.status).toBe(200);
    expect(index.body.endpoints).toContain('GET /api/broker');
    const missing = await getJson(broker, '/api/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/no such API path/);
    expect((await getJson(broker, '/api/topics/a/b')).status).toBe(404);
  });

  it('/api/broker: listeners, settings in effect with their defaults, uptime, memory', async () => {
    const { status, body } = await getJson(broker, '/api/broker');
    expect(status).toBe(200);
    expect(body.listeners[0]).toMatchObject({ protocol: 'PLAINTEXT', advertised: `${broker.host}:${broker.port}` });
    expect(body.http.port).toBe(broker.http!.port);
    expect(body.memory.rss).toBeGreaterThan(10 * 1024 * 1024);
    expect(body.uptimeSeconds).toBeGreaterThanOrEqual(0);
    const setting = (flag: string) => body.settings.find((s: { flag: string }) => s.flag === flag);
    expect(setting('http-api-max-bytes')).toMatchObject({ value: 64 * 1024, default: 4 * 1024 * 1024, changed: true });
    expect(setting('max-message-bytes')).toMatchObject({ changed: false });
  });

  it('/api/topics: partitions, offsets and sizes match what was produced', async () => {
    await createTopic(broker, 'shapes', 2);
    await produce('shapes', Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `value ${i}`, partition: i % 3 === 0 ? 1 : 0 })));
    const { body } = await getJson(broker, '/api/topics');
    const topic = body.topics.find((t: { name: string }) => t.name === 'shapes');
    expect(topic).toMatchObject({ name: 'shapes', partitionCount: 2, records: 30 });
    expect(topic.partitions.map((p: { highWatermark: number }) => p.highWatermark)).toEqual([20, 10]);
    for (const p of topic.partitions) {
      expect(p.logStartOffset).toBe(0);
      expect(p.sizeBytes).toBe(broker.context.logs.partition('shapes', p.partition)!.sizeInBytes);
      expect(p.sizeBytes).toBeGreaterThan(0);
    }
    expect(topic.sizeBytes).toBe(topic.partitions[0].sizeBytes + topic.partitions[1].sizeBytes);
    const one = await getJson(broker, '/api/topics/shapes');
    expect(one.body.partitions).toEqual(topic.partitions);
    expect((await getJson(broker, '/api/topics?limit=1')).body.topics).toHaveLength(1);
    expect((await getJson(broker, '/api/topics/nope')).status).toBe(404);
  });

  it('rejects bad parameters with 400 and a message naming the parameter and its bounds', async () => {
    const cases: [string, RegExp][] = [
      ['/api/topics?limit=x', /"limit" must be an integer/],
      ['/api/topics?limit=0', /"limit" must be between 1 and 10000/],
      ['/api/topics/shapes/partitions/0/records?limit=1001', /"limit" must be between 1 and 1000/],
      ['/api/topics/shapes/partitions/0/records?maxBytes=99999999', /"maxBytes" must be between 1024 and 65536/],
      ['/api/topics/shapes/partitions/0/records?format=base64', /"format" must be one of auto, text, hex/],
      ['/api/topics/shapes/partitions/x/records', /partition must be a non-negative integer/],
      ['/api/topics/%E0%A4%A/partitions/0/records', /not valid percent-encoding/],
      ['/api/streams?maxBytes=12', /"maxBytes" must be between 1024/],
    ];
    for (const [path, message] of cases) {
      const { status, body } = await getJson(broker, path);
      expect(status, path).toBe(400);
      expect(body.error, path).toMatch(message);
    }
    expect((await getJson(broker, '/api/topics/shapes/partitions/7/records')).status).toBe(404);
  });

  it('records: the last N, from an offset, as text or hex, values cut at maxValueBytes', async () => {
    const base = '/api/topics/shapes/partitions/0/records';
    const last = await getJson(broker, `${base}?limit=5`);
    expect(last.body).toMatchObject({ topic: 'shapes', partition: 0, highWatermark: 20, from: 15, nextOffset: 20, truncatedByBytes: false });
    expect(last.body.records.map((r: { offset: number }) => r.offset)).toEqual([15, 16, 17, 18, 19]);
    expect(last.body.records[0].value).toEqual({ size: 8, encoding: 'text', data: expect.stringMatching(/^value \d+$/), truncated: false });
    const from = await getJson(broker, `${base}?offset=2&limit=3`);
    expect(from.body.records.map((r: { offset: number }) => r.offset)).toEqual([2, 3, 4]);
    expect(from.body.nextOffset).toBe(5);
    const hex = await getJson(broker, `${base}?offset=0&limit=1&format=hex`);
    expect(hex.body.records[0].key).toEqual({ size: 2, encoding: 'hex', data: Buffer.from('k1').toString('hex'), truncated: false });
    const cut = await getJson(broker, `${base}?offset=0&limit=1&maxValueBytes=3`);
    expect(cut.body.records[0].value).toEqual({ size: 7, encoding: 'text', data: 'val', truncated: true });

    await produce('binary', [{ key: null, value: Buffer.from([0, 1, 2, 0xff]) }], CompressionTypes.GZIP);
    const bin = await getJson(broker, '/api/topics/binary/partitions/0/records');
    expect(bin.body.records[0]).toMatchObject({ offset: 0, key: null, value: { encoding: 'hex', data: '000102ff', size: 4 } });
  });

  it('records: the byte budget stops the read, and a batch larger than it is not read at all', async () => {
    // Ten batches of ~3 KB: a 10 KB budget reads only some of them.
    for (let i = 0; i < 10; i++) await produce('budget', [{ value: `${i}`.padEnd(3000, '.') }]);
    const page = await getJson(broker, '/api/topics/budget/partitions/0/records?offset=0&limit=10&maxBytes=10240');
    expect(page.body.truncatedByBytes).toBe(true);
    expect(page.body.bytesRead).toBeLessThanOrEqual(10240);
    expect(page.body.records.length).toBeGreaterThan(0);
    expect(page.body.records.length).toBeLessThan(10);
    expect(page.body.nextOffset).toBe(page.body.records.length);
    const big = await getJson(broker, '/api/topics/budget/partitions/0/records?offset=0&limit=10&maxBytes=1024');
    expect(big.body).toMatchObject({ records: [], truncatedByBytes: true, bytesRead: 0 });
  });

  it('groups: state, members, assignment, committed offsets and lag per partition', async () => {
    await createTopic(broker, 'lagging', 2);
    await produce('lagging', Array.from({ length: 40 }, (_, i) => ({ value: `m${i}`, partition: i % 2 })));
    consumer = await consumeAll(broker, 'lag-group', 'lagging', 40);
    await until(async () => (await getJson(broker, '/api/groups/lag-group')).body.partitions?.every((p: { lag: number }) => p.lag === 0) ?? false, 'the group to commit everything');
    const stable = (await getJson(broker, '/api/groups/lag-group')).body;
    expect(stable).toMatchObject({ groupId: 'lag-group', state: 'Stable', protocolType: 'consumer', totalLag: 0 });
    expect(stable.members).toHaveLength(1);
    expect(stable.members[0].subscription).toEqual(['lagging']);
    expect(stable.members[0].assignment).toEqual([{ topic: 'lagging', partitions: [0, 1] }]);
    expect(stable.partitions).toEqual([
      expect.objectContaining({ topic: 'lagging', partition: 0, committedOffset: 20, highWatermark: 20, lag: 0, memberId: stable.members[0].memberId }),
      expect.objectContaining({ topic: 'lagging', partition: 1, committedOffset: 20, highWatermark: 20, lag: 0 }),
    ]);

    await consumer.disconnect();
    consumer = undefined;
    await produce('lagging', Array.from({ length: 7 }, (_, i) => ({ value: `late${i}`, partition: i < 5 ? 0 : 1 })));
    const { body } = await getJson(broker, '/api/groups');
    const group = body.groups.find((g: { groupId: string }) => g.groupId === 'lag-group');
    expect(group).toMatchObject({ state: 'Empty', totalLag: 7, members: [] });
    expect(group.partitions.map((p: { lag: number }) => p.lag)).toEqual([5, 2]);
    expect(group.partitions.map((p: { highWatermark: number }) => p.highWatermark)).toEqual([25, 22]);
    expect((await getJson(broker, '/api/groups/nope')).status).toBe(404);
  }, 60_000);

  it('streams: per stream events and frontier; the group frontier and which stream holds it', async () => {
    await writeCapturedStreams(broker);
    const { body } = await getJson(broker, '/api/streams');
    expect(body.caughtUp).toBe(true);
    const numbat = body.groups.find((g: { name: string }) => g.name === 'numbat');
    expect(numbat).toMatchObject({ frontier: [3], complete: false, missing: [], caughtUp: true });
    expect(numbat.holdingBack).toEqual([{ topic: 'numbat-1', frontier: [3], lastProgressAt: expect.any(Number) }]);
    expect(numbat.streams.map((s: { topic: string; events: number; messages: number; progress: number; frontier: unknown[]; complete: boolean }) => [s.topic, s.events, s.messages, s.progress, s.frontier, s.complete])).toEqual([
      ['numbat-0', 4, 2, 2, [], true],
      ['numbat-1', 2, 1, 1, [3], false],
      ['numbat-2', 1, 0, 1, [7], false],
    ]);
    // Topics that are not captures (records that are not events) are not streams.
    expect(body.groups.map((g: { name: string }) => g.name)).not.toContain('shapes');
    // A gap in the indices is a stream a replay would wait for: it holds the frontier at the minimum.
    await produce('numbat-4', [{ value: encodeEvent({ kind: 'progress', updates: [[0, -1], [9, 1]] }) }]);
    const gap = (await getJson(broker, '/api/streams/numbat')).body.groups[0];
    expect(gap).toMatchObject({ missing: [3], frontier: [0] });
    expect((await getJson(broker, '/api/streams/nope')).status).toBe(404);
  });

  it('streams: a long stream is read within maxBytes per request and caught up over several', async () => {
    const producer = kafkaClient(broker, 'api-test-long').producer();
    await producer.connect();
    for (let t = 0; t < 40; t++) {
      const events = [
        { kind: 'messages' as const, time: t, data: new Float64Array(100).fill(t) },
        { kind: 'progress' as const, updates: [[t, -1], [t + 1, 1]] as [number, number][] },
      ];
      if (t === 0) events[1]!.updates = [[0, -1], [1, 1]];
      await producer.send({ topic: 'wombat-0', messages: events.map((e) => ({ value: encodeEvent(e) })) });
    }
    await producer.disconnect();
    const first = (await getJson(broker, '/api/streams/wombat?maxBytes=4096')).body;
    expect(first.bytesRead).toBeLessThanOrEqual(4096 + 2048); // at most one batch beyond the budget
    expect(first.caughtUp).toBe(false);
    const partial = first.groups[0].streams[0];
    expect(partial.caughtUp).toBe(false);
    expect(partial.events).toBeLessThan(80);
    let answer = first;
    for (let i = 0; i < 100 && !answer.caughtUp; i++) answer = (await getJson(broker, '/api/streams/wombat?maxBytes=4096')).body;
    expect(answer.caughtUp).toBe(true);
    expect(answer.groups[0].streams[0]).toMatchObject({ events: 80, messages: 40, progress: 40, frontier: [40], complete: false });
  });

  it('throughput: the sampler runs only with the HTTP endpoint and keeps a series per topic', async () => {
    const state = broker.context.services.consoleApi!;
    expect(state.sampler.running).toBe(true);
    state.sampler.sample(Date.now() + 60_000);
    const { body } = await getJson(broker, '/api/topics/shapes');
    expect(Array.isArray(body.throughput)).toBe(true);
    const plain = await startTestBroker();
    try {
      expect(plain.context.services.consoleApi).toBeUndefined();
    } finally {
      await plain.stop();
    }
  });
});

describe('console files', () => {
  it('serves the page at / and only the listed files under /console/; other paths stay 404', async () => {
    const page = await fetch(`http://${broker.http!.host}:${broker.http!.port}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('/console/app.js');
    for (const file of ['app.js', 'vendor/preact.mjs', 'vendor/preact-hooks.mjs', 'vendor/htm-preact.mjs', 'vendor/uPlot.esm.js', 'vendor/uPlot.min.css']) {
      const res = await fetch(`http://${broker.http!.host}:${broker.http!.port}/console/${file}`);
      expect(res.status, file).toBe(200);
      expect((await res.arrayBuffer()).byteLength, file).toBeGreaterThan(100);
    }
    for (const path of ['/nope', '/package.json', '/console/package.json', '/console/..%2Fpackage.json', '/console/vendor/../../package.json']) {
      expect((await fetch(`http://${broker.http!.host}:${broker.http!.port}${path}`)).status, path).toBe(404);
    }
  });
});

describe('a batch that cannot be read', () => {
  it('ends the record page with a problem and blocks only that stream, instead of failing every request', async () => {
    const dir = (await import('../broker/helpers.js')).tempDir();
    let b = await startTestBroker({ dataDir: dir, httpPort: 0 });
    const producer = kafkaClient(b, 'corrupt').producer();
    await producer.connect();
    for (const topic of ['bent-0', 'bent-1']) {
      await producer.send({ topic, messages: [{ value: encodeEvent({ kind: 'progress', updates: [[0, -1], [2, 1]] }) }] });
      await producer.send({ topic, messages: [{ value: encodeEvent({ kind: 'progress', updates: [[2, -1], [4, 1]] }) }] });
    }
    await producer.disconnect();
    await b.close(); // clean: no recovery pass at the next start, so the damage below is read as it is
    // Flip the last byte of bent-0's second batch (its last record's value): the CRC no longer matches.
    const fs = await import('node:fs');
    const path = await import('node:path');
    const segment = path.join(dir, 'bent-0-0', '00000000000000000000.log');
    const bytes = fs.readFileSync(segment);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    fs.writeFileSync(segment, bytes);
    b = await startTestBroker({ dataDir: dir, httpPort: 0 });
    try {
      const page = await getJson(b, '/api/topics/bent-0/partitions/0/records?offset=0');
      expect(page.status).toBe(200);
      expect(page.body.records.map((r: { offset: number }) => r.offset)).toEqual([0]);
      expect(page.body.problem).toMatch(/cannot be shown: .*CRC/i);
      const streams = await getJson(b, '/api/streams/bent');
      expect(streams.status).toBe(200);
      const [bent0, bent1] = streams.body.groups[0].streams;
      expect(bent0).toMatchObject({ events: 1, frontier: [2], problem: expect.stringMatching(/cannot be read/) });
      expect(bent1).toMatchObject({ events: 2, frontier: [4], problem: null });
      expect((await getJson(b, '/api/streams/bent')).status).toBe(200); // and again: no loop, no 500
    } finally {
      await b.stop();
    }
  });
});

describe('what a principal may see', () => {
  it('lists only visible topics, groups and streams; a hidden one by name is 403; offsets of hidden topics are left out', async () => {
    const b = await startTestBroker({ httpPort: 0, groupInitialRebalanceDelayMs: 0, http: { authenticate: (_user, password) => password === 'pw' } });
    try {
      // Alice may describe topics and groups starting with "alice-", nothing else; admin everything.
      b.context.services.consoleApi!.visible = (principal, resource, name) => principal === 'admin' || (resource !== 'cluster' && name.startsWith('alice-'));
      const producer = kafkaClient(b, 'visibility').producer();
      await producer.connect();
      await producer.send({ topic: 'alice-orders', messages: [{ value: 'a' }] });
      await producer.send({ topic: 'bob-orders', messages: [{ value: 'b' }] });
      await producer.send({ topic: 'alice-s-0', messages: [{ value: encodeEvent({ kind: 'progress', updates: [[0, -1]] }) }] });
      await producer.send({ topic: 'bob-s-0', messages: [{ value: encodeEvent({ kind: 'progress', updates: [[0, -1]] }) }] });
      await producer.disconnect();
      const groups = b.context.services.groups!;
      for (const group of ['alice-g', 'bob-g']) {
        groups.commitOffsets({ groupId: group, generationId: -1, memberId: '', groupInstanceId: null, offsets: [
          { topic: 'alice-orders', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null },
          { topic: 'bob-orders', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null },
        ] });
      }
      const as = async (user: string, path: string) => {
        const res = await fetch(`http://${b.http!.host}:${b.http!.port}${path}`, { headers: { authorization: `Basic ${Buffer.from(`${user}:pw`).toString('base64')}` } });
        return { status: res.status, body: (await res.json()) as any };
      };
      expect((await fetch(`http://${b.http!.host}:${b.http!.port}/api/topics`)).status).toBe(401);
      expect((await as('alice', '/api/topics')).body.topics.map((t: { name: string }) => t.name)).toEqual(['alice-orders', 'alice-s-0']);
      expect((await as('admin', '/api/topics')).body.total).toBe(4);
      const hidden = await as('alice', '/api/topics/bob-orders');
      expect(hidden.status).toBe(403);
      expect(hidden.body.error).toMatch(/alice may not describe topic "bob-orders"/);
      expect((await as('alice', '/api/topics/bob-orders/partitions/0/records')).status).toBe(403);
      expect((await as('alice', '/api/broker')).status).toBe(403);
      expect((await as('admin', '/api/broker')).status).toBe(200);
      const aliceGroups = (await as('alice', '/api/groups')).body.groups;
      expect(aliceGroups.map((g: { groupId: string }) => g.groupId)).toEqual(['alice-g']);
      expect(aliceGroups[0].partitions.map((p: { topic: string }) => p.topic)).toEqual(['alice-orders']);
      expect((await as('alice', '/api/groups/bob-g')).status).toBe(403);
      expect((await as('admin', '/api/groups/bob-g')).body.partitions).toHaveLength(2);
      expect((await as('alice', '/api/streams')).body.groups.map((g: { name: string }) => g.name)).toEqual(['alice-s']);
    } finally {
      await b.stop();
    }
  });
});
