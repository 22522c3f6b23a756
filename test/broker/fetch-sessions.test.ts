/**
 * Incremental fetch sessions (KIP-227) at the protocol level, raw requests through the project's codecs:
 * a new session, incremental adds and removes, wrong epoch, unknown id, a v12/v13 topic-id mismatch,
 * closing with epoch -1, a full cache, and the bytes an empty fetch of 1,000 partitions costs with and
 * without a session. Eviction's ordering rules are checked on the cache itself, with a clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/errors.js';
import { CreateTopics } from '../../src/protocol/messages/create-topics.js';
import { Fetch, type FetchRequest, type FetchResponse } from '../../src/protocol/messages/fetch.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { FetchSessionCache, type SessionPartition } from '../../src/broker/fetch-sessions/session-cache.js';
import { RawClient, startTestBroker, type TestBroker } from './helpers.js';

const ZERO = '00000000-0000-0000-0000-000000000000';
let broker: TestBroker;
let c: RawClient;
const topicIds = new Map<string, string>();

async function createTopic(client: RawClient, name: string, partitions: number): Promise<void> {
  const res = await client.request(CreateTopics, 7, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  expect(res.topics[0]!.errorCode).toBe(0);
  topicIds.set(name, res.topics[0]!.topicId);
}

async function produce(topic: string, partition: number, value: string): Promise<void> {
  const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.from(value) }] });
  const res = await c.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
}

type Parts = Array<[topic: string, partition: number, offset: bigint]>;

function request(version: number, sessionId: number, sessionEpoch: number, parts: Parts, forget: Array<[string, number]> = []): FetchRequest {
  const ids = version >= 13;
  const topics = new Map<string, FetchRequest['topics'][number]>();
  for (const [topic, partition, fetchOffset] of parts) {
    let t = topics.get(topic);
    if (!t) topics.set(topic, (t = { topic: ids ? '' : topic, topicId: ids ? topicIds.get(topic)! : ZERO, partitions: [] }));
    t.partitions.push({ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO });
  }
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 0x7fffffff,
    isolationLevel: 0,
    sessionId,
    sessionEpoch,
    topics: [...topics.values()],
    forgottenTopicsData: forget.map(([topic, p]) => ({ topic: ids ? '' : topic, topicId: ids ? topicIds.get(topic)! : ZERO, partitions: [p] })),
    rackId: '',
  };
}

/** A Fetch and the bytes it cost on the wire: request and response frames, size prefixes included. */
async function fetchSized(client: RawClient, version: number, req: FetchRequest): Promise<{ res: FetchResponse; requestBytes: number; responseBytes: number }> {
  const frame = client.frame(Fetch, version, req);
  client.write(frame);
  const reply = await client.readFrame();
  if (!reply) throw new Error('connection closed before the Fetch response');
  return { res: RawClient.decode(Fetch, version, reply).body, requestBytes: frame.length, responseBytes: reply.length + 4 };
}

async function fetch(version: number, sessionId: number, sessionEpoch: number, parts: Parts, forget: Array<[string, number]> = []): Promise<FetchResponse> {
  return (await fetchSized(c, version, request(version, sessionId, sessionEpoch, parts, forget))).res;
}

/** The partitions a response carries, as `topic:partition` (v12: names). */
function carried(res: FetchResponse): string[] {
  return res.responses.flatMap((t) => t.partitions.map((p) => `${t.topic}:${p.partitionIndex}`));
}

beforeAll(async () => {
  broker = await startTestBroker();
  c = await RawClient.connect(broker);
  await createTopic(c, 'fs-a', 3);
  await createTopic(c, 'fs-b', 1);
});
afterAll(async () => {
  c?.close();
  await broker?.stop();
});

describe('fetch sessions (KIP-227)', () => {
  it('a sessionless fetch (id 0, epoch -1) gets session id 0 and every partition', async () => {
    const res = await fetch(12, 0, -1, [['fs-a', 0, 0n], ['fs-a', 1, 0n]]);
    expect(res.sessionId).toBe(0);
    expect(carried(res)).toEqual(['fs-a:0', 'fs-a:1']);
  });

  it('epoch 0 creates a session; incremental fetches carry only what changed, add and forget partitions', async () => {
    const full = await fetch(12, 0, 0, [['fs-a', 0, 0n], ['fs-a', 1, 0n]]);
    expect(full.errorCode).toBe(0);
    expect(full.sessionId).toBeGreaterThan(0);
    expect(carried(full)).toEqual(['fs-a:0', 'fs-a:1']);
    const id = full.sessionId;

    // Nothing changed: an empty response under the same session.
    const idle = await fetch(12, id, 1, []);
    expect(idle).toMatchObject({ errorCode: 0, sessionId: id });
    expect(carried(idle)).toEqual([]);

    // New data in partition 1 only.
    await produce('fs-a', 1, 'one');
    const news = await fetch(12, id, 2, []);
    expect(carried(news)).toEqual(['fs-a:1']);
    expect(news.responses[0]!.partitions[0]!.records!.length).toBeGreaterThan(0);
    expect(news.responses[0]!.partitions[0]!.highWatermark).toBe(1n);

    // The client moves its offset on (and sends only that partition); then nothing is new.
    expect(carried(await fetch(12, id, 3, [['fs-a', 1, 1n]]))).toEqual([]);

    // Add a partition of another topic: it answers once (the session knew nothing of it).
    const added = await fetch(12, id, 4, [['fs-b', 0, 0n]]);
    expect(carried(added)).toEqual(['fs-b:0']);
    expect(carried(await fetch(12, id, 5, []))).toEqual([]);

    // Forget partition 0: data there is no longer reported; partition 1's still is.
    expect(carried(await fetch(12, id, 6, [], [['fs-a', 0]]))).toEqual([]);
    await produce('fs-a', 0, 'zero');
    await produce('fs-a', 1, 'two');
    expect(carried(await fetch(12, id, 7, []))).toEqual(['fs-a:1']);

    // A wrong epoch (a replay of 7) is refused at the top level, with no partitions and session id 0.
    const stale = await fetch(12, id, 7, []);
    expect(stale).toMatchObject({ errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: 0, responses: [] });

    // Epoch -1 closes the session (a full, sessionless answer); the id is then unknown.
    const closing = await fetch(12, id, -1, [['fs-a', 1, 0n]]);
    expect(closing).toMatchObject({ errorCode: 0, sessionId: 0 });
    expect(carried(closing)).toEqual(['fs-a:1']);
    expect((await fetch(12, id, 8, [])).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  it("a connection's new session replaces its previous one only if that was never continued", async () => {
    const unused = (await fetch(12, 0, 0, [['fs-a', 2, 0n]])).sessionId;
    const next = (await fetch(12, 0, 0, [['fs-a', 2, 0n]])).sessionId;
    expect(next).toBeGreaterThan(0);
    expect((await fetch(12, unused, 1, [])).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    expect((await fetch(12, next, 1, [])).errorCode).toBe(0); // continued: kept from now on
    const another = (await fetch(12, 0, 0, [['fs-a', 2, 0n]])).sessionId;
    expect((await fetch(12, next, 2, [])).errorCode).toBe(0);
    await fetch(12, next, -1, [['fs-a', 2, 0n]]);
    await fetch(12, another, -1, [['fs-a', 2, 0n]]);
  });

  it('an unknown session id is FETCH_SESSION_ID_NOT_FOUND', async () => {
    const res = await fetch(12, 123456, 1, [['fs-a', 0, 0n]]);
    expect(res).toMatchObject({ errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] });
  });

  it('a session left with no partitions is closed', async () => {
    const id = (await fetch(12, 0, 0, [['fs-a', 2, 0n]])).sessionId;
    expect(id).toBeGreaterThan(0);
    const emptied = await fetch(12, id, 1, [], [['fs-a', 2]]);
    expect(emptied).toMatchObject({ errorCode: 0, sessionId: 0 });
    expect((await fetch(12, id, 2, [])).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  it('sessions keyed by topic id (v13+) work by id, and a v12 request on one is FETCH_SESSION_TOPIC_ID_ERROR', async () => {
    // fs-a:0 at its high watermark (no data to return), fs-b:0 from the start.
    const full = await fetch(16, 0, 0, [['fs-a', 0, 1n], ['fs-b', 0, 0n]]);
    expect(full.sessionId).toBeGreaterThan(0);
    expect(full.responses.map((t) => t.topicId)).toEqual([topicIds.get('fs-a'), topicIds.get('fs-b')]);
    await produce('fs-b', 0, 'b-more');
    const inc = await fetch(16, full.sessionId, 1, []);
    expect(inc.responses.map((t) => [t.topicId, t.partitions.map((p) => p.partitionIndex)])).toEqual([[topicIds.get('fs-b'), [0]]]);
    expect((await fetch(12, full.sessionId, 2, [])).errorCode).toBe(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    expect((await fetch(16, full.sessionId, -1, [['fs-a', 0, 0n]])).sessionId).toBe(0); // close it
  });

  it('a full cache (max.incremental.fetch.session.cache.slots) answers epoch 0 with session id 0 when nothing may be evicted', async () => {
    const small = await startTestBroker({ maxIncrementalFetchSessionCacheSlots: 3 });
    const sc = await RawClient.connect(small);
    try {
      await createTopic(sc, 'fs-small', 2);
      await cacheFull(sc, small);
    } finally {
      sc.close();
      await small.stop();
    }
  });

  async function cacheFull(client: RawClient, small: TestBroker): Promise<void> {
    const fetch = async (version: number, sessionId: number, sessionEpoch: number, parts: Parts) => (await fetchSized(client, version, request(version, sessionId, sessionEpoch, parts))).res;
    // Three connections, one session each (a connection's unused session is replaced by its next one).
    const others = await Promise.all([0, 1, 2].map(() => RawClient.connect(small)));
    const ids: number[] = [];
    for (const o of others) ids.push((await fetchSized(o, 12, request(12, 0, 0, [['fs-small', 0, 0n]]))).res.sessionId);
    for (const o of others) o.close();
    expect(ids.every((id) => id > 0)).toBe(true);
    // All three are fresh (younger than the eviction time) and as large: no room, so no session.
    const refused = await fetch(12, 0, 0, [['fs-small', 0, 0n], ['fs-small', 1, 0n]]);
    expect(refused).toMatchObject({ errorCode: 0, sessionId: 0 });
    expect(carried(refused)).toEqual(['fs-small:0', 'fs-small:1']);
    // The existing sessions still work; closing one frees its slot.
    expect((await fetch(12, ids[0]!, 1, [])).errorCode).toBe(0);
    await fetch(12, ids[0]!, -1, [['fs-small', 0, 0n]]);
    expect((await fetch(12, 0, 0, [['fs-small', 0, 0n]])).sessionId).toBeGreaterThan(0);
  }

  it('measures an empty fetch of 1,000 partitions: full vs incremental', async () => {
    const big = await RawClient.connect(broker);
    try {
      await createTopic(big, 'fs-big', 1000);
      const parts: Parts = Array.from({ length: 1000 }, (_, p) => ['fs-big', p, 0n]);
      for (const version of [12, 16]) {
        const full = await fetchSized(big, version, request(version, 0, -1, parts));
        expect(full.res.responses[0]!.partitions).toHaveLength(1000);
        const created = await fetchSized(big, version, request(version, 0, 0, parts));
        expect(created.res.sessionId).toBeGreaterThan(0);
        const inc = await fetchSized(big, version, request(version, created.res.sessionId, 1, []));
        expect(inc.res.responses).toEqual([]);
        const fullBytes = full.requestBytes + full.responseBytes;
        const incBytes = inc.requestBytes + inc.responseBytes;
        console.log(`Fetch v${version}, 1000 empty partitions: full request ${full.requestBytes} B + response ${full.responseBytes} B = ${fullBytes} B; incremental request ${inc.requestBytes} B + response ${inc.responseBytes} B = ${incBytes} B`);
        expect(incBytes * 100).toBeLessThan(fullBytes);
        await fetchSized(big, version, request(version, created.res.sessionId, -1, [['fs-big', 0, 0n]]));
      }
    } finally {
      big.close();
    }
  });
});

describe('FetchSessionCache eviction (Kafka FetchSessionCache.tryEvict)', () => {
  const parts = (n: number): Map<string, SessionPartition> =>
    new Map(Array.from({ length: n }, (_, p) => [`t\u0000${p}`, { topic: 't', topicId: ZERO, partition: p, fetchOffset: 0n, maxBytes: 1, highWatermark: 0n, lastStableOffset: 0n, logStartOffset: 0n }]));
  let nextId = 1;
  const cache = (slots: number) => new FetchSessionCache(slots, 1000, () => nextId++);

  it('evicts a stale session first', () => {
    const c2 = cache(2);
    const a = c2.create(parts(5), false, false, 0)!;
    const b = c2.create(parts(5), false, false, 500)!;
    expect(c2.create(parts(1), false, false, 900)).toBeUndefined(); // neither stale nor old enough
    const d = c2.create(parts(1), false, false, 1001 + 0)!; // a unused for > 1000 ms
    expect(d).toBeDefined();
    expect(c2.get(a.id)).toBeUndefined();
    expect(c2.get(b.id)).toBeDefined();
  });

  it('evicts the smallest old session only for a larger newcomer; a follower evicts a consumer at once', () => {
    const c2 = cache(2);
    const small = c2.create(parts(2), false, false, 0)!;
    const large = c2.create(parts(9), false, false, 0)!;
    c2.touch(small, 1500);
    c2.touch(large, 1500); // used recently: not stale, but created > 1000 ms ago
    expect(c2.create(parts(2), false, false, 1600)).toBeUndefined(); // as small: no eviction
    const bigger = c2.create(parts(3), false, false, 1600)!;
    expect(bigger).toBeDefined();
    expect(c2.get(small.id)).toBeUndefined();
    expect(c2.get(large.id)).toBeDefined();
    // A follower's session evicts a consumer's even if it is new and small.
    const follower = c2.create(parts(1), true, false, 1700)!;
    expect(follower).toBeDefined();
    expect(c2.size).toBe(2);
    expect(c2.get(bigger.id)).toBeUndefined(); // the smallest consumer session
    // A larger consumer session evicts the old consumer one, never the young follower's.
    expect(c2.create(parts(50), false, false, 1800)).toBeDefined();
    expect(c2.get(large.id)).toBeUndefined();
    expect(c2.get(follower.id)).toBeDefined();
    expect(c2.create(parts(99), false, false, 1900)).toBeUndefined(); // the follower's and a young one remain
  });

  it('0 slots: no sessions', () => {
    expect(cache(0).create(parts(1), false, false, 0)).toBeUndefined();
  });
});
