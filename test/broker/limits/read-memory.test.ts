/**
 * The budgets behind Fetch's memory limits (byte-budget.ts, read-memory.ts), and the fetch handler's use of
 * them: a response capped by fetch.max.bytes, read-ahead only within the connection's limit, memory held
 * until written and given back on close.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import pino from 'pino';
import { ByteBudget } from '../../../src/broker/byte-budget.js';
import { CONNECTION_READ_MEMORY, heldUntilWritten, ReadMemory } from '../../../src/broker/read-memory.js';
import { fetchHandler } from '../../../src/broker/handlers/fetch.js';
import type { RequestContext } from '../../../src/broker/context.js';
import type { FetchResponse } from '../../../src/protocol/messages/fetch.js';
import { encodeRecordBatch } from '../../../src/protocol/records.js';
import { fetchRequest, startTestBroker, type TestBroker } from '../helpers.js';

describe('ByteBudget', () => {
  it('grants while within the limit, queues in order beyond it, and lets one oversize request run alone', async () => {
    const b = new ByteBudget(100);
    expect(b.take(60)).toBeNull();
    const order: string[] = [];
    const big = b.take(500)!.then(() => order.push('big'));
    const small = b.take(10)!.then(() => order.push('small')); // fits, but waits its turn behind `big`
    expect(b.tryTake(1)).toBe(false);
    b.give(60);
    await big;
    expect(b.used).toBe(500); // alone: nothing else held
    b.give(500);
    await small;
    expect(order).toEqual(['big', 'small']);
    expect(b.used).toBe(10);
  });

  it('a waiter that gives up takes nothing and does not block those behind it', async () => {
    const b = new ByteBudget(100);
    b.take(90);
    const ac = new AbortController();
    const gaveUp = b.take(50, ac.signal)!;
    const next = b.take(10)!;
    ac.abort();
    expect(await gaveUp).toBe(false);
    expect(await next).toBe(true);
    expect(b.used).toBe(100);
  });

  it('never holds more than the limit except for a single oversize request (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 40 }), async (sizes) => {
        const b = new ByteBudget(100);
        const held: number[] = [];
        let granted = 0;
        const takes = sizes.map((n) => {
          const t = b.take(n);
          const onGrant = (): void => {
            granted++;
            held.push(n);
            expect(b.used <= 100 || held.length === 1).toBe(true);
          };
          if (t === null) {
            onGrant();
            return Promise.resolve();
          }
          return t.then(onGrant);
        });
        // Give back in grant order until everything ran: nothing deadlocks.
        for (let turns = 0; granted < sizes.length || held.length > 0; turns++) {
          if (turns > 10_000) throw new Error(`stuck: ${granted} of ${sizes.length} granted`);
          await Promise.resolve();
          const n = held.shift();
          if (n !== undefined) b.give(n);
        }
        await Promise.all(takes);
        expect(b.used).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});

describe('ConnectionReadMemory', () => {
  it('counts against the connection and the broker, and gives everything back on close', async () => {
    const broker = new ReadMemory(1000);
    const a = broker.forConnection(600);
    const b = broker.forConnection(600);
    const fa = a.startFetch();
    expect(a.reserve(fa, 500)).toBe(true);
    expect(a.tryReserve(200)).toBe(false); // beyond the connection's own limit
    const fb1 = b.startFetch();
    expect(b.reserve(fb1, 400)).toBe(true);
    const fb2 = b.startFetch();
    const waiting = b.reserve(fb2, 200); // the broker is at 900 of 1000; only an earlier fetch holds b's memory
    expect(waiting).toBeInstanceOf(Promise);
    let got: boolean | undefined;
    void (waiting as Promise<boolean>).then((ok) => (got = ok));
    await new Promise((r) => setImmediate(r));
    expect(got).toBeUndefined();
    a.close(); // a's 500 go back
    expect(await waiting).toBe(true);
    expect(broker.budget.used).toBe(600);
    a.release(fa, 500); // after close: ignored
    expect(broker.budget.used).toBe(600);
    b.release(fb1, 400);
    b.release(fb2, 200);
    expect(broker.budget.used).toBe(0);
    expect(b.bytesHeld).toBe(0);
  });

  it('an earlier fetch does not wait for memory that a later fetch on its connection holds (no deadlock)', async () => {
    const m = new ReadMemory(1 << 30).forConnection(1000);
    const parked = m.startFetch(); // e.g. a long-poll that wakes up after the next fetch read
    const later = m.startFetch();
    expect(m.reserve(later, 800)).toBe(true);
    // Waiting would never end: `later`'s response is written only after `parked` answers.
    expect(m.reserve(parked, 800)).toBe(false);
    // Room that needs no waiting is still taken.
    expect(m.reserve(parked, 200)).toBe(true);
    // A fetch after `later` waits for it instead: `later` will be written first.
    const third = m.startFetch();
    const waits = m.reserve(third, 800);
    expect(waits).toBeInstanceOf(Promise);
    m.release(later, 800);
    m.release(parked, 200);
    expect(await waits).toBe(true);
    expect(m.bytesHeld).toBe(800);
  });
});

describe('read-ahead under memory pressure', () => {
  it('is given up, on every connection, as soon as a read has to wait for memory', async () => {
    const broker = new ReadMemory(1000);
    const a = broker.forConnection(1000);
    const b = broker.forConnection(1000);
    expect(a.tryReserve(700)).toBe(true); // a's read-ahead
    let shed = 0;
    a.onShed(() => {
      shed++;
      a.release(0, 700); // what dropping the read-ahead does once its read is back
    });
    const waiting = b.reserve(b.startFetch(), 500);
    expect(shed).toBe(1);
    expect(await waiting).toBe(true);
    expect(broker.budget.used).toBe(500);
  });
});

describe('fetch handler within read memory', () => {
  let broker: TestBroker;
  const MiB = 1 << 20;
  beforeAll(async () => {
    broker = await startTestBroker({ fetchMaxBytes: 2 * MiB, maxMessageBytes: 3 * MiB, maxRequestSize: 8 * MiB, segmentBytes: 64 * MiB });
    await broker.context.topics.create('ra', 1, {});
    const log = broker.context.topics.partition('ra', 0)!;
    // 12 batches of ~512 KiB, then one 2.5 MiB batch (larger than fetch.max.bytes).
    const value = Buffer.alloc(1024, 1);
    for (let i = 0; i < 12; i++) await log.append(encodeRecordBatch({ records: Array.from({ length: 512 }, () => ({ key: null, value })) }));
    await log.append(encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(2.5 * MiB, 2) }] }));
  });
  afterAll(async () => {
    await broker?.stop();
  });

  function context(memoryLimit: number, shared = new ReadMemory(1 << 30)): { ctx: RequestContext; memory: ReturnType<ReadMemory['forConnection']> } {
    const memory = shared.forConnection(memoryLimit);
    const ctx = {
      broker: broker.context,
      logs: broker.context.logs,
      config: broker.config,
      apiKey: 1,
      apiVersion: 11,
      correlationId: 1,
      clientId: 't',
      peer: 'test',
      principal: 'User:ANONYMOUS',
      clientHost: '127.0.0.1',
      listenerName: 'PLAINTEXT',
      logger: pino({ level: 'silent' }),
      signal: new AbortController().signal,
      connectionState: new Map<string, unknown>([[CONNECTION_READ_MEMORY, memory]]),
    } satisfies RequestContext;
    return { ctx, memory };
  }

  async function fetch(ctx: RequestContext, offset: bigint, maxBytes: number): Promise<FetchResponse> {
    const req = fetchRequest('ra', 0, offset, { maxBytes });
    req.topics[0]!.partitions[0]!.partitionMaxBytes = maxBytes;
    return (await fetchHandler.handle(ctx, req, 11)) as FetchResponse;
  }

  it('caps a greedy request at fetch.max.bytes and holds exactly the response until it is written', async () => {
    const { ctx, memory } = context(64 * MiB);
    const res = await fetch(ctx, 0n, 0x7fffffff);
    const records = res.responses[0]!.partitions[0]!.records!;
    expect(records.length).toBeLessThanOrEqual(2 * MiB);
    expect(records.length).toBeGreaterThan(1.5 * MiB);
    expect(heldUntilWritten(res)?.bytes).toBe(records.length);
    // Read-ahead of the next 2 MiB fits this connection's 64 MiB, so it was taken too.
    expect(memory.bytesHeld).toBeGreaterThan(records.length);
    memory.close();
  });

  it('takes no read-ahead that would make the connection hold more than its limit (no doubling)', async () => {
    const { ctx, memory } = context(3 * MiB);
    const res = await fetch(ctx, 0n, 2 * MiB);
    const records = res.responses[0]!.partitions[0]!.records!;
    expect(memory.bytesHeld).toBe(records.length); // response only: 2 MiB + 2 MiB read-ahead > 3 MiB
    const held = heldUntilWritten(res)!;
    memory.release(held.fetch, held.bytes);
    expect(memory.bytesHeld).toBe(0);
  });

  it('returns a first batch larger than fetch.max.bytes whole, counted beyond the reservation', async () => {
    const { ctx, memory } = context(MiB);
    const res = await fetch(ctx, 12n * 512n, 0x7fffffff);
    const records = res.responses[0]!.partitions[0]!.records!;
    expect(records.length).toBeGreaterThan(2.5 * MiB);
    expect(memory.bytesHeld).toBe(records.length);
    memory.close();
  });

  it('a second fetch waits while the first response holds the connection\'s memory, and runs once it is written', async () => {
    const { ctx, memory } = context(2 * MiB);
    const first = await fetch(ctx, 0n, 2 * MiB);
    let second: FetchResponse | undefined;
    const pending = fetch(ctx, 0n, 2 * MiB).then((r) => (second = r));
    await new Promise((r) => setTimeout(r, 100));
    expect(second).toBeUndefined();
    const held = heldUntilWritten(first)!;
    memory.release(held.fetch, held.bytes); // what the connection does once the socket wrote it
    await pending;
    expect(second!.responses[0]!.partitions[0]!.records!.length).toBeGreaterThan(MiB);
    memory.close();
  });

  it('a parked long-poll does not hold up a later fetch of another topic on the same connection', async () => {
    const { ctx, memory } = context(64 * MiB);
    await broker.context.topics.create('quiet', 1, {});
    const quiet = fetchRequest('quiet', 0, 0n, { maxWaitMs: 20_000, minBytes: 1 });
    let parkedDone = false;
    const parked = fetchHandler.handle(ctx, quiet, 11) as Promise<FetchResponse>;
    void parked.then(() => (parkedDone = true));
    const other = await fetch(ctx, 0n, MiB); // answered while the first one still waits for data
    expect(other.responses[0]!.partitions[0]!.records!.length).toBeGreaterThan(0);
    expect(parkedDone).toBe(false);
    await broker.context.topics.partition('quiet', 0)!.append(encodeRecordBatch({ records: [{ key: null, value: Buffer.from('wake') }] }));
    const woken = await parked;
    expect(woken.responses[0]!.partitions[0]!.records!.length).toBeGreaterThan(0);
    memory.close();
  });

  it('a parked fetch naming one partition 200 times registers one waiter on it, gone once woken', async () => {
    const { ctx, memory } = context(64 * MiB);
    await broker.context.topics.create('dup', 1, {});
    const log = broker.context.topics.partition('dup', 0)!;
    // White-box: the log's listener set (a Set, so a woken fetch unsubscribes in O(1), without a scan).
    const listeners = (): number => (log as unknown as { appendListeners: Set<unknown> }).appendListeners.size;
    const req = fetchRequest('dup', 0, 0n, { maxWaitMs: 20_000, minBytes: 1 });
    const p = req.topics[0]!.partitions[0]!;
    req.topics[0]!.partitions = Array.from({ length: 200 }, () => ({ ...p }));
    const parked = fetchHandler.handle(ctx, req, 11) as Promise<FetchResponse>;
    for (let i = 0; i < 100 && listeners() === 0; i++) await new Promise((r) => setImmediate(r));
    expect(listeners()).toBe(1);
    await log.append(encodeRecordBatch({ records: [{ key: null, value: Buffer.from('x') }] }));
    const res = await parked;
    expect(res.responses[0]!.partitions).toHaveLength(200);
    expect(listeners()).toBe(0);
    memory.close();
  });

  it('a long-poll woken while a later fetch holds the memory answers at once with less, not at max_wait', async () => {
    const { ctx, memory } = context(2 * MiB);
    await broker.context.topics.create('late', 1, {});
    const parked = fetchHandler.handle(ctx, fetchRequest('late', 0, 0n, { maxWaitMs: 30_000, minBytes: 1 }), 11) as Promise<FetchResponse>;
    const later = await fetch(ctx, 0n, 2 * MiB); // holds the connection's 2 MiB until "written"
    await broker.context.topics.partition('late', 0)!.append(encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(MiB, 3) }] }));
    const res = await Promise.race([parked, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the woken fetch waited for memory only a later response holds')), 10_000))]);
    const p = res.responses[0]!.partitions[0]!;
    expect(p.records!.length).toBe(0); // no memory for it now: the high watermark says there is more
    expect(p.highWatermark).toBe(1n);
    const held = heldUntilWritten(later)!;
    memory.release(held.fetch, held.bytes);
    // Once the later response is written, the client's next fetch gets the data.
    const again = (await fetchHandler.handle(ctx, fetchRequest('late', 0, 0n), 11)) as FetchResponse;
    expect(again.responses[0]!.partitions[0]!.records!.length).toBeGreaterThan(MiB);
    memory.close();
  });
});
