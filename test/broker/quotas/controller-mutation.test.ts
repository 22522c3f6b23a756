/**
 * controller_mutation_rate (KIP-599) over raw requests and kafkajs's admin: a token bucket of partitions
 * created or deleted per second. Strict versions (CreateTopics v6+, DeleteTopics v5+, CreatePartitions v3+)
 * accept a topic while the bucket is not below zero (even if that topic takes it below) and refuse the
 * rest with THROTTLING_QUOTA_EXCEEDED and throttle_time_ms; older versions accept everything and are
 * answered late. validateOnly is not counted; clients without the quota are not affected.
 *
 * Windows of 2 × 500 ms make the bucket hold rate × 1 s: with a rate of 5, five partitions of credit.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientQuotas } from '../../../src/broker/quotas/client-quotas.js';
import { ControllerMutationQuotas } from '../../../src/broker/quotas/controller-mutation.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { AlterClientQuotas } from '../../../src/protocol/messages/alter-client-quotas.js';
import { CreateTopics, createCreateTopicsRequest, createCreateTopicsRequestCreatableTopic } from '../../../src/protocol/messages/create-topics.js';
import { DeleteTopics, createDeleteTopicsRequest } from '../../../src/protocol/messages/delete-topics.js';
import { CreatePartitions, createCreatePartitionsRequest } from '../../../src/protocol/messages/create-partitions.js';
import { kafkaClient, RawClient, startTestBroker, tempDir, type TestBroker } from '../helpers.js';

const RATE = 5;
let broker: TestBroker;
let admin: RawClient; // client id 'raw': no quota
const clients: RawClient[] = [];

beforeAll(async () => {
  broker = await startTestBroker({ quotaWindowNum: 3, quotaWindowSizeMs: 500 } as never);
  admin = await RawClient.connect(broker);
  const names = ['cm-tiny', 'cm-strict', 'cm-perm', 'cm-del', 'cm-del-old', 'cm-grow', 'cm-grow-old', 'cm-validate', 'cm-kafkajs'];
  const res = await admin.request(AlterClientQuotas, 1, {
    validateOnly: false,
    entries: names.map((n) => ({ entity: [{ entityType: 'client-id', entityName: n }], ops: [{ key: 'controller_mutation_rate', value: n === 'cm-tiny' ? 1e-12 : RATE, remove: false }] })),
  });
  expect(res.entries.map((e) => e.errorCode)).toEqual(names.map(() => 0));
});
afterAll(async () => {
  for (const c of clients) c.close();
  admin?.close();
  await broker?.stop();
});

async function client(id: string): Promise<RawClient> {
  const c = await RawClient.connect(broker, id);
  clients.push(c);
  return c;
}

const topic = (name: string, numPartitions: number) => createCreateTopicsRequestCreatableTopic({ name, numPartitions, replicationFactor: 1 });

function createTopics(c: RawClient, version: number, topics: [string, number][], validateOnly = false) {
  return c.request(CreateTopics, version, createCreateTopicsRequest({ topics: topics.map(([n, p]) => topic(n, p)), timeoutMs: 5_000, validateOnly }));
}

async function timed<T>(fn: () => Promise<T>): Promise<{ res: T; ms: number }> {
  const t0 = performance.now();
  const res = await fn();
  return { res, ms: performance.now() - t0 };
}

describe('controller_mutation_rate', () => {
  it('CreateTopics v7 (strict): topics past the quota get THROTTLING_QUOTA_EXCEEDED and throttle_time_ms; after it they pass', async () => {
    const c = await client('cm-strict');
    const res = await createTopics(c, 7, [['cs-a', 3], ['cs-b', 3], ['cs-c', 1]]);
    // a leaves 2 tokens; b is accepted whole (not yet exceeded) and leaves -1; c is refused.
    expect(res.topics.map((t) => [t.name, t.errorCode])).toEqual([['cs-a', 0], ['cs-b', 0], ['cs-c', ErrorCode.THROTTLING_QUOTA_EXCEEDED]]);
    expect(res.topics[2]!.errorMessage).toMatch(/controller_mutation_rate/);
    // 1 token short at 5/s: 200 ms (a little less for the refill since).
    expect(res.throttleTimeMs).toBeGreaterThan(100);
    expect(res.throttleTimeMs).toBeLessThanOrEqual(200);
    expect(broker.context.topics.get('cs-c')).toBeUndefined();
    await new Promise((r) => setTimeout(r, res.throttleTimeMs + 50));
    const again = await createTopics(c, 7, [['cs-c', 1]]);
    expect([again.topics[0]!.errorCode, again.throttleTimeMs]).toEqual([0, 0]);
    // Another client (no quota) is not slowed or refused.
    const free = await createTopics(admin, 7, [['cs-free', 50]]);
    expect([free.topics[0]!.errorCode, free.throttleTimeMs]).toEqual([0, 0]);
  });

  it('CreateTopics v5 (permissive): everything is created and the answer comes after the throttle time', async () => {
    const c = await client('cm-perm');
    const { res, ms } = await timed(() => createTopics(c, 5, [['cp-a', 4], ['cp-b', 4], ['cp-c', 4]]));
    expect(res.topics.map((t) => t.errorCode)).toEqual([0, 0, 0]);
    // 12 partitions against 5 tokens: 7 short at 5/s = 1400 ms after they were counted, less what refilled
    // while the topics were created; so the answer comes ~1400 ms after the request, however slow the disk.
    expect(res.throttleTimeMs).toBeGreaterThan(0);
    expect(res.throttleTimeMs).toBeLessThanOrEqual(1400);
    expect(ms).toBeGreaterThanOrEqual(1350);
  });

  it('a tiny rate caps throttle_time_ms at int32 (the field and the timer limit) instead of overflowing', async () => {
    const c = await client('cm-tiny');
    const res = await createTopics(c, 7, [['ct-a', 1], ['ct-b', 1]]);
    expect(res.topics.map((t) => t.errorCode)).toEqual([0, ErrorCode.THROTTLING_QUOTA_EXCEEDED]);
    expect(res.throttleTimeMs).toBe(2_147_483_647);
  });

  it('validateOnly is not counted', async () => {
    const c = await client('cm-validate');
    const check = await createTopics(c, 7, [['cv-a', 100], ['cv-b', 100]], true);
    expect([check.topics.map((t) => t.errorCode), check.throttleTimeMs]).toEqual([[0, 0], 0]);
    const real = await createTopics(c, 7, [['cv-a', 2], ['cv-b', 2]]);
    expect([real.topics.map((t) => t.errorCode), real.throttleTimeMs]).toEqual([[0, 0], 0]);
  });

  it('DeleteTopics v5 (strict) refuses past the quota; v4 (permissive) deletes everything, answered late', async () => {
    expect((await createTopics(admin, 7, [['cd-1', 4], ['cd-2', 4], ['cd-3', 1], ['co-1', 4], ['co-2', 4]])).topics.map((t) => t.errorCode)).toEqual([0, 0, 0, 0, 0]);
    const strict = await client('cm-del');
    const res = await strict.request(DeleteTopics, 5, createDeleteTopicsRequest({ topicNames: ['cd-1', 'cd-2', 'cd-3'], timeoutMs: 5_000 }));
    expect(res.responses.map((r) => [r.name, r.errorCode])).toEqual([['cd-1', 0], ['cd-2', 0], ['cd-3', ErrorCode.THROTTLING_QUOTA_EXCEEDED]]);
    // 3 short at 5/s: 600 ms, less what refilled while the deletes were written.
    expect(res.throttleTimeMs).toBeGreaterThan(0);
    expect(res.throttleTimeMs).toBeLessThanOrEqual(600);
    expect(broker.context.topics.get('cd-3')).toBeDefined();

    const old = await client('cm-del-old');
    const { res: res4, ms } = await timed(() => old.request(DeleteTopics, 4, createDeleteTopicsRequest({ topicNames: ['co-1', 'co-2'], timeoutMs: 5_000 })));
    expect(res4.responses.map((r) => r.errorCode)).toEqual([0, 0]);
    expect(res4.throttleTimeMs).toBeGreaterThan(0);
    expect(res4.throttleTimeMs).toBeLessThanOrEqual(600);
    expect(ms).toBeGreaterThanOrEqual(550); // 8 partitions against 5 tokens: 600 ms after they were counted
  });

  it('CreatePartitions v3 (strict) refuses past the quota; v1 (permissive) grows everything, answered late', async () => {
    expect((await createTopics(admin, 7, [['cg-1', 1], ['cg-2', 1], ['cg-3', 1], ['cgo-1', 1]])).topics.map((t) => t.errorCode)).toEqual([0, 0, 0, 0]);
    const strict = await client('cm-grow');
    const grow = (c: RawClient, version: number, topics: [string, number][]) =>
      c.request(CreatePartitions, version, createCreatePartitionsRequest({ topics: topics.map(([name, count]) => ({ name, count, assignments: null })), timeoutMs: 5_000 }));
    const res = await grow(strict, 3, [['cg-1', 5], ['cg-2', 5], ['cg-3', 2]]);
    expect(res.results.map((r) => [r.name, r.errorCode])).toEqual([['cg-1', 0], ['cg-2', 0], ['cg-3', ErrorCode.THROTTLING_QUOTA_EXCEEDED]]);
    expect(res.throttleTimeMs).toBeGreaterThan(0);
    expect(res.throttleTimeMs).toBeLessThanOrEqual(600);
    expect(broker.context.topics.get('cg-3')!.partitions).toBe(1);

    const old = await client('cm-grow-old');
    const { res: res1, ms } = await timed(() => grow(old, 1, [['cgo-1', 9]]));
    expect(res1.results.map((r) => r.errorCode)).toEqual([0]);
    expect(res1.throttleTimeMs).toBeGreaterThan(0); // 8 against 5: 600 ms, less the refill meanwhile
    expect(res1.throttleTimeMs).toBeLessThanOrEqual(600);
    expect(ms).toBeGreaterThanOrEqual(550);
  });

  it('kafkajs admin: createTopics past the quota succeeds, slowed by the throttle time', async () => {
    const kafka = kafkaClient(broker, 'cm-kafkajs').admin();
    await kafka.connect();
    try {
      const { res, ms } = await timed(() => kafka.createTopics({ topics: ['ck-a', 'ck-b', 'ck-c'].map((t) => ({ topic: t, numPartitions: 4 })) }));
      expect(res).toBe(true);
      // 12 partitions against 5 tokens at 5/s: answered about 1.4 s late.
      expect(ms).toBeGreaterThanOrEqual(1300);
      const listed = await kafka.listTopics();
      expect(listed).toEqual(expect.arrayContaining(['ck-a', 'ck-b', 'ck-c']));
    } finally {
      await kafka.disconnect();
    }
  });
});

describe('ControllerMutationQuotas buckets', () => {
  it('are bounded: past 10,000, buckets that refilled (idle clients) are dropped before a new one is made', async () => {
    const dir = tempDir();
    try {
      const quotas = ClientQuotas.empty(dir);
      await quotas.apply([{ entity: { clientId: null }, set: { controller_mutation_rate: 100 }, remove: [] }]);
      const m = new ControllerMutationQuotas(quotas, 3, 100); // bucket of 20 partitions
      for (let i = 0; i < 10_000; i++) m.bucketFor('u', `client-${i}`, 0)!.take(5, 0);
      expect(m.bucketCount).toBe(10_000);
      // One still in debt at t=150 ms (took 40: -20 + 15 refilled), the rest refilled to full by then.
      m.bucketFor('u', 'client-0', 0)!.take(35, 0);
      m.bucketFor('u', 'newcomer', 150);
      expect(m.bucketCount).toBe(2);
      // The indebted client keeps its debt: it was not forgotten.
      expect(m.bucketFor('u', 'client-0', 150)!.exceeded(150)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
