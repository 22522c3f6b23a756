/**
 * exchange (issue 15): keys partitioned by Kafka's murmur2, replayed on W workers. Property: for random
 * workers, streams, writers and keyed epoch streams, each key reaches exactly one worker, nothing is lost or
 * duplicated, and every worker's frontier walks through the input's frontiers only, ending empty.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { lastValueFrom, from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/dataflow/event.js';
import { murmur2, partitionOf, workerOfKey } from '../../src/dataflow/key-partition.js';
import { exchange, splitByKey } from '../../src/capture/exchange.js';
import { replayExchange } from '../../src/replay/exchange-replay.js';
import { replay } from '../../src/replay/replay.js';
import type { ProgressExchange } from '../../src/replay/progress-exchange.js';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { Signal } from '../../src/util/signal.js';
import { checkProtocol, collect } from '../replay/helpers.js';

const require = createRequire(import.meta.url);
// kafkajs's own murmur2 (its default partitioner): an independent implementation to check ours against.
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: string | Buffer) => number;

/** An in-process progress exchange among `peers` replays, as the worker hub provides between threads. */
function progressExchanges(peers: number): ProgressExchange<number>[] {
  const queues = Array.from({ length: peers }, () => ({ items: [] as (readonly [number, number])[], signal: new Signal() }));
  return queues.map((own, index) => ({
    index,
    peers,
    send(changes) {
      for (const [i, q] of queues.entries()) {
        if (i === index) continue;
        q.items.push(...changes);
        q.signal.fire();
      }
    },
    receive: () => own.items.splice(0),
    whenReady: () => (own.items.length > 0 ? Promise.resolve() : own.signal.wait()),
    close() {},
  }));
}

type Rec = { key: string; n: number };

/** A valid stream: data at each epoch, then the frontier moves on; the input's frontiers are [t+1]... then []. */
function keyedEpochs(batches: string[][]): { events: Event<number, Rec>[]; frontiers: number[][] } {
  const events: Event<number, Rec>[] = [];
  const frontiers: number[][] = [];
  let n = 0;
  batches.forEach((keys, t) => {
    if (keys.length > 0) events.push({ kind: 'messages', time: t, data: keys.map((key) => ({ key, n: n++ })) });
    const last = t + 1 === batches.length;
    events.push({ kind: 'progress', updates: last ? [[t, -1]] : [[t, -1], [t + 1, 1]] });
    frontiers.push(last ? [] : [t + 1]);
  });
  return { events, frontiers };
}

describe('murmur2 key partitioning', () => {
  it("matches Kafka's murmur2 test vectors and kafkajs's implementation", () => {
    // Kafka's UtilsTest.testMurmur2 vectors.
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of cases) expect(murmur2(new TextEncoder().encode(key)), key).toBe(hash);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (key) => {
        expect(murmur2(new TextEncoder().encode(key))).toBe(kafkajsMurmur2(Buffer.from(key, 'utf8')) | 0);
      }),
      { numRuns: 300 },
    );
  });

  it('partitions within range and refuses bad keys and counts', () => {
    fc.assert(fc.property(fc.string(), fc.integer({ min: 1, max: 64 }), (key, n) => {
      const p = partitionOf(key, n);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(n);
    }));
    expect(partitionOf(42, 7)).toBe(partitionOf('42', 7));
    expect(() => partitionOf(Number.NaN, 3)).toThrow(/finite/);
    expect(() => splitByKey((r: string) => r, 0)).toThrow(/positive integer/);
  });
});

describe('exchange through the log', () => {
  it('gives each key to exactly one worker, loses nothing, and keeps the frontier exact (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'héllo', 'z9', ''), { maxLength: 8 }), { minLength: 1, maxLength: 6 }),
        async (workers, streams, writers, batches) => {
          const transport = new MemoryTransport();
          const { events, frontiers } = keyedEpochs(batches);
          // Each writer (a worker of the stage before) has a share of the data and the whole progress.
          await Promise.all(
            Array.from({ length: writers }, (_, w) => {
              const share = events.map((e) => (e.kind === 'messages' ? { ...e, data: (e.data as Rec[]).filter((r) => r.n % writers === w) } : e));
              return lastValueFrom(from(share).pipe(exchange((r: Rec) => r.key, { transport, topic: 'ex', streams, writer: w, writers })));
            }),
          );
          // Every stream carries every progress update: on its own, its frontier walks exactly the input's.
          for (let i = 0; i < writers * streams; i++) {
            expect(checkProtocol(await collect(replay([transport.iterator<number, Rec>(`ex-${i}`)])))).toEqual(frontiers);
          }
          const exchanges = progressExchanges(workers);
          const outputs = await Promise.all(
            exchanges.map((progress, index) =>
              collect(replayExchange<number, Rec>(transport, { topic: 'ex', streams, writers, worker: { index, peers: workers }, progress: workers > 1 ? progress : undefined })),
            ),
          );
          const owner = new Map<string, number>();
          const seen: number[] = [];
          outputs.forEach((out, worker) => {
            const walked = checkProtocol(out); // data only at held times, frontier empty at the end
            for (const f of walked) expect(frontiers).toContainEqual(f);
            expect(walked.at(-1)).toEqual([]);
            if (workers === 1) expect(walked).toEqual(frontiers); // one replay sees every step
            for (const e of out) {
              if (e.kind !== 'messages') continue;
              for (const r of e.data as Rec[]) {
                expect(owner.get(r.key) ?? worker, `key "${r.key}" on two workers`).toBe(worker);
                owner.set(r.key, worker);
                expect(worker).toBe(workerOfKey(r.key, streams, workers));
                expect(batches[e.time]![r.n - batches.slice(0, e.time).reduce((s, b) => s + b.length, 0)]).toBe(r.key);
                seen.push(r.n);
              }
            }
          });
          expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: batches.flat().length }, (_, i) => i));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a writer outside 0..writers-1 and a non-positive stream count', () => {
    const transport = new MemoryTransport();
    expect(() => exchange((r: string) => r, { transport, topic: 'x', streams: 2, writer: 2, writers: 2 })).toThrow(/writer must be in 0\.\.1/);
    expect(() => exchange((r: string) => r, { transport, topic: 'x', streams: 0 })).toThrow(/streams must be a positive integer/);
    expect(() => replayExchange(transport, { topic: 'x', streams: 1.5 })).toThrow(/streams must be a positive integer/);
  });

  it('needs a progress exchange on more than one worker', () => {
    expect(() => replayExchange(new MemoryTransport(), { topic: 'x', streams: 2, worker: { index: 0, peers: 2 } })).toThrow(/progress exchange/);
  });
});
