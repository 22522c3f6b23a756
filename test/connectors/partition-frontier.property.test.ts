/**
 * The frontier rule of fromKafka on generated per-partition streams: the frontier is the meet of the
 * watermarks (max time − maxOutOfOrderness) of the partitions that are not idle, never goes back, passes
 * every time seen when all are idle, and a record is late exactly when it is before the frontier.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PartitionFrontier } from '../../src/connectors/partition-frontier.js';
import { PendingOffsets } from '../../src/connectors/pending-offsets.js';

interface Step {
  partition: number;
  time: number;
  /** Clock advance before this record. */
  wait: number;
}

const steps = (partitions: number) =>
  fc.array(fc.record({ partition: fc.integer({ min: 0, max: partitions - 1 }), time: fc.integer({ min: 0, max: 2000 }), wait: fc.integer({ min: 0, max: 400 }) }), { maxLength: 80 });

describe('PartitionFrontier (property)', () => {
  it('is the meet over non-idle partitions, monotone, and decides lateness', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 300 }), fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }), fc.integer({ min: 1, max: 4 }).chain(steps), (n, ooo, idle, input) => {
        const keys = Array.from({ length: n }, (_, i) => `p${i}`);
        const f = new PartitionFrontier(ooo, idle);
        let now = 0;
        f.assign(keys, now);
        // The model: per partition, the largest accepted time and the last record's clock.
        const maxSeen = new Map<string, number>();
        const lastAt = new Map<string, number>(keys.map((k) => [k, 0]));
        let expected = 0;
        const model = (): number => {
          const active = [...lastAt].filter(([, at]) => idle === undefined || now - at < idle).map(([k]) => k);
          let candidate: number;
          if (active.length > 0) candidate = Math.min(...active.map((k) => (maxSeen.get(k) ?? -Infinity) - ooo));
          else candidate = Math.max(...[...maxSeen.values()]) + 1;
          return Number.isFinite(candidate) ? Math.max(expected, candidate) : expected;
        };
        for (const step of input) {
          const key = `p${step.partition % n}`;
          now += step.wait;
          // Idleness alone may move the frontier before the record.
          const before = f.advance(now);
          expected = model();
          expect(before).toBe(expected);
          const late = f.observe(key, step.time, now);
          lastAt.set(key, now);
          expect(late).toBe(step.time < expected);
          if (!late) maxSeen.set(key, Math.max(maxSeen.get(key) ?? -Infinity, step.time));
          const after = f.advance(now);
          expect(after).toBeGreaterThanOrEqual(before);
          expected = model();
          expect(after).toBe(expected);
        }
        // Once every partition is idle, the frontier passes every accepted time.
        if (idle !== undefined && maxSeen.size > 0) {
          now += idle;
          expect(f.advance(now)).toBe(Math.max(expected, Math.max(...maxSeen.values()) + 1));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a partition without records holds the frontier until it is idle', () => {
    const f = new PartitionFrontier(0, 100);
    f.assign(['a', 'b'], 0);
    f.observe('a', 50, 10);
    expect(f.advance(10)).toBe(0);
    expect(f.nextIdleAt(10)).toBe(100);
    expect(f.advance(100)).toBe(50);
    // b resumes at 60: it holds the frontier again while a runs ahead.
    expect(f.observe('b', 60, 120)).toBe(false);
    expect(f.observe('a', 500, 120)).toBe(false);
    expect(f.advance(120)).toBe(60);
  });
});

describe('PendingOffsets (property)', () => {
  it('gives the first offset whose time the frontier has not passed, as a scan of every record would', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 200 }), fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 30 }), (times, steps) => {
        const pending = new PendingOffsets();
        times.forEach((t, i) => pending.add(BigInt(i), t));
        let frontier = 0;
        for (const step of steps) {
          frontier += step;
          const first = times.findIndex((t) => t >= frontier);
          expect(pending.completeAt(frontier)).toBe(first < 0 ? BigInt(times.length) : BigInt(first));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('keeps one record behind a far-future one, not every record', () => {
    const pending = new PendingOffsets();
    pending.add(0n, Number.MAX_SAFE_INTEGER);
    for (let i = 1; i <= 100_000; i++) pending.add(BigInt(i), i);
    expect(pending.kept).toBe(1);
    expect(pending.completeAt(50)).toBe(0n);
  });
});
