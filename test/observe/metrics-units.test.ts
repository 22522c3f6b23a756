/** Properties of the metrics' building blocks: the series bound and the record count from batch headers. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { recordsInBatches } from '../../src/broker/metrics/partition-counters.js';
import { SeriesBound } from '../../src/broker/metrics/series-bound.js';

describe('SeriesBound', () => {
  it('never admits more than max keys, keeps an admitted key while it exists, and admits up to max of the current keys', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 12 }), { maxLength: 12 }), { minLength: 1, maxLength: 8 }), (max, scrapes) => {
        const bound = new SeriesBound(max);
        let admittedBefore = new Set<string>();
        for (const keys of scrapes) {
          const current = new Set(keys.map(String));
          bound.begin(current);
          const admitted = new Set([...current].filter((k) => bound.admit(k)));
          bound.end();
          expect(admitted.size).toBeLessThanOrEqual(max);
          expect(admitted.size).toBe(Math.min(max, current.size));
          for (const k of admittedBefore) if (current.has(k)) expect(admitted.has(k)).toBe(true);
          expect(bound.refusedLastScrape).toBe(current.size - admitted.size);
          admittedBefore = admitted;
        }
      }),
    );
  });
});

describe('recordsInBatches', () => {
  it('sums the record counts of whole batches and skips a partial last one', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 6 }), fc.nat(), fc.constantFrom('none' as const, 'gzip' as const), (counts, cut, compression) => {
        const batches = counts.map((n) => encodeRecordBatch({ baseTimestamp: 0, compression, records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`) })) }));
        const all = Buffer.concat(batches);
        expect(recordsInBatches(all)).toBe(counts.reduce((a, b) => a + b, 0));
        // Fetch may end inside a batch: only whole batches count.
        const last = batches.at(-1)!;
        const truncated = all.subarray(0, all.length - 1 - (cut % (last.length - 1)));
        expect(recordsInBatches(truncated)).toBe(counts.slice(0, -1).reduce((a, b) => a + b, 0));
      }),
    );
  });
});
