/**
 * The console API's bounded parts on their own: the read gate (concurrency and queue bound), the throughput
 * ring (rates, wrap-around, the topic bound) and the consumer-protocol readers on hostile bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAssignment, decodeSubscription } from '../../src/broker/http/api/consumer-protocol.js';
import { ReadGate } from '../../src/broker/http/api/read-gate.js';
import { groupView } from '../../src/broker/http/api/streams.js';
import { ThroughputSampler } from '../../src/broker/http/api/throughput.js';
import type { LogManager } from '../../src/broker/log/log-manager.js';

describe('ReadGate', () => {
  it('runs at most `concurrent` at once, queues up to `queued`, and answers 503 beyond', async () => {
    const gate = new ReadGate(1, 1);
    let release!: () => void;
    const first = gate.run(() => new Promise<string>((r) => (release = () => r('first'))));
    let secondRan = false;
    const second = gate.run(async () => {
      secondRan = true;
      return 'second';
    });
    await expect(gate.run(async () => 'third')).rejects.toMatchObject({ status: 503, message: expect.stringMatching(/too many record reads/) });
    expect(secondRan).toBe(false);
    expect(gate.inFlight).toBe(1);
    release();
    expect(await first).toBe('first');
    expect(await second).toBe('second');
    expect(gate.inFlight).toBe(0);
    // A failing read gives its slot back.
    await expect(gate.run(async () => Promise.reject(new Error('disk')))).rejects.toThrow('disk');
    expect(await gate.run(async () => 'after')).toBe('after');
  });
});

function fakeLogs(topics: { name: string; id: string; hw: number[]; size: number[] }[]): LogManager {
  return {
    topics: () => topics.map((t) => ({ name: t.name, id: t.id, partitions: t.hw.length })),
    partitions: (name: string) => {
      const t = topics.find((x) => x.name === name)!;
      return t.hw.map((hw, i) => ({ highWatermark: BigInt(hw), sizeInBytes: t.size[i]! }));
    },
  } as unknown as LogManager;
}

describe('ThroughputSampler', () => {
  it('turns cumulative samples into rates, keeps the last `samples`, and treats shrinking logs as 0', () => {
    const topic = { name: 't', id: 'a', hw: [0, 0], size: [0, 0] };
    const sampler = new ThroughputSampler(fakeLogs([topic]), { samples: 4 });
    for (let i = 0; i < 6; i++) {
      topic.hw = [i * 10, i * 5];
      topic.size = [i * 1000, 0];
      sampler.sample(i * 1000);
    }
    // 4 samples kept → 3 intervals, the most recent ones.
    expect(sampler.series('t')).toEqual([
      { t: 3000, recordsPerSec: 15, bytesPerSec: 1000 },
      { t: 4000, recordsPerSec: 15, bytesPerSec: 1000 },
      { t: 5000, recordsPerSec: 15, bytesPerSec: 1000 },
    ]);
    topic.size = [0, 0]; // retention deleted everything
    sampler.sample(6000);
    expect(sampler.series('t')!.at(-1)).toEqual({ t: 6000, recordsPerSec: 0, bytesPerSec: 0 });
  });

  it('keeps series for at most maxTopics topics, and starts over for a topic re-created under its name', () => {
    const topics = Array.from({ length: 5 }, (_, i) => ({ name: `t${i}`, id: `id${i}`, hw: [0], size: [0] }));
    const sampler = new ThroughputSampler(fakeLogs(topics), { maxTopics: 3 });
    sampler.sample(0);
    sampler.sample(1000);
    expect(sampler.trackedTopics).toBe(3);
    expect(sampler.series('t4')).toBeUndefined();
    expect(sampler.series('t0')).toHaveLength(1);
    topics[0]!.id = 'new';
    sampler.sample(2000);
    expect(sampler.series('t0')).toHaveLength(0);
    expect(sampler.trackedTopics).toBe(3);
  });
});

describe('consumer protocol readers', () => {
  it('read what a consumer sends, and never throw on arbitrary bytes', () => {
    const assignment = Buffer.from([0, 1, 0, 0, 0, 1, 0, 1, 0x61, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff]);
    expect(decodeAssignment(assignment)).toEqual([{ topic: 'a', partitions: [0, 3] }]);
    expect(decodeAssignment(Buffer.from([0, 1, 0x7f, 0xff, 0xff, 0xff]))).toBeUndefined(); // a count far beyond the bytes
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const b = Buffer.from(bytes);
        decodeAssignment(b);
        decodeSubscription(b);
      }),
    );
  });
});

describe('the console tests under CI', () => {
  it('fail rather than skip when chromium is missing', async () => {
    const { hasChromium } = await import('./console-helpers.js');
    expect(() => hasChromium({ PATH: '/nonexistent', CI: '1' })).toThrow(/chromium is required when CI is set \(apt-get install chromium/);
    expect(hasChromium({ PATH: '/nonexistent' })).toBe(false);
  });
});

describe('streams groupView', () => {
  const stream = (index: number, frontier: unknown[] | null, extra: object = {}) => ({
    topic: `s-${index}`, name: 's', index, records: 1, sizeBytes: 1, events: 1, messages: 0, progress: 1, caughtUp: true,
    readOffset: 1, highWatermark: 1, frontier, complete: frontier?.length === 0, lastProgressAt: 1000 + index, historyLost: false, problem: null, ...extra,
  });

  it('pairs: the group frontier is the minimal times over all streams, and each stream holding one of them is named', () => {
    const g = groupView('s', [stream(0, [[1, 0]]), stream(1, [[0, 2]]), stream(2, [[2, 2]]), stream(3, [])]);
    expect(g.frontier).toEqual([[1, 0], [0, 2]]);
    expect(g.holdingBack.map((h) => h.topic)).toEqual(['s-0', 's-1']);
    expect(g.complete).toBe(false);
  });

  it('complete only when every stream is and none is missing; unknown frontiers make the group unknown', () => {
    expect(groupView('s', [stream(0, []), stream(1, [])])).toMatchObject({ frontier: [], complete: true, holdingBack: [] });
    expect(groupView('s', [stream(0, []), stream(2, [])])).toMatchObject({ missing: [1], frontier: [0], complete: false });
    expect(groupView('s', [stream(0, [4]), stream(1, null, { problem: 'x' })])).toMatchObject({ frontier: null, holdingBack: [] });
  });
});
