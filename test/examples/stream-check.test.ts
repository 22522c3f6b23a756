/** The round trip's content check: exact per-stream digests that a lost and a duplicated number cannot fool. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messages, progress, type Event } from '../../src/dataflow/event.js';
import type { EventIterator } from '../../src/transport/event-iterator.js';
import { checkStreams, expectedDigest, NumberDigest, ReplayedStreams, StreamContentError, type StreamDigest } from '../../examples/stream-check.js';

/** 0..count-1 in batches of `batch` (a Float64Array each), in a scrambled order. */
function batches(values: readonly number[], batch = 1024): Float64Array[] {
  const out: Float64Array[] = [];
  for (let i = 0; i < values.length; i += batch) out.push(Float64Array.from(values.slice(i, i + batch)));
  return out;
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

function digestOf(stream: string, data: readonly ArrayLike<number>[]): StreamDigest {
  const d = new NumberDigest();
  for (const b of data) d.add(b);
  return d.digest(stream);
}

/** The digest computed naively with BigInt, as the reference. */
function reference(stream: string, values: readonly number[]): StreamDigest {
  let sum = 0n;
  let sumOfSquares = 0n;
  for (const v of values) {
    sum += BigInt(v);
    sumOfSquares += BigInt(v) * BigInt(v);
  }
  return { stream, count: values.length, sum, sumOfSquares, invalid: 0 };
}

describe('NumberDigest and checkStreams', () => {
  it('0..n-1 in any order and any batching matches the closed form', () => {
    const values = range(10_000).reverse();
    expect(digestOf('s-0', batches(values, 333))).toEqual(expectedDigest('s-0', 10_000));
    expect(() => checkStreams([digestOf('s-0', batches(values))], 10_000)).not.toThrow();
  });

  it('one number dropped and another duplicated: the count is right, the stream still fails, by name', () => {
    const values = range(5000);
    values[1234] = 4321; // 1234 lost, 4321 twice
    const corrupt = digestOf('numbat-3', batches(values));
    expect(corrupt.count).toBe(5000);
    const good = digestOf('numbat-0', batches(range(5000)));
    expect(() => checkStreams([good, corrupt], 5000)).toThrowError(StreamContentError);
    expect(() => checkStreams([good, corrupt], 5000)).toThrowError(/^stream "numbat-3" does not hold exactly the numbers 0\.\.4999: sum 12500587, expected 12497500; sum of squares/);
    try {
      checkStreams([good, corrupt], 5000);
    } catch (error) {
      expect((error as StreamContentError).streams).toEqual(['numbat-3']);
    }
  });

  it('two losses and two duplicates with the same sum still differ in the sum of squares', () => {
    const values = range(100);
    values[3] = 4; // 3 lost, 4 twice
    values[7] = 6; // 7 lost, 6 twice: 3 + 7 = 4 + 6
    const d = digestOf('s', batches(values));
    expect([d.count, d.sum]).toEqual([100, expectedDigest('s', 100).sum]);
    expect(() => checkStreams([d], 100)).toThrowError(/stream "s" .*sum of squares 328344, expected 328350/);
  });

  it('stays exact past 2^53 (3·10^6 numbers, sum of squares ~ 9·10^18): a difference of one is seen', () => {
    const count = 3_000_000;
    const values = Float64Array.from(range(count));
    expect(digestOf('big', [values])).toEqual(expectedDigest('big', count));
    values[count - 1] = count - 2; // the last number lost, the one before it twice
    expect(() => checkStreams([digestOf('big', [values.subarray(0, 1000), values.subarray(1000)])], count)).toThrowError(/sum 4499998499999, expected 4499998500000; sum of squares 8999995499994500003, expected 8999995500000500000/);
  });

  it('folds before its double accumulators lose precision: 5·10^6 copies of 2^32-1, and one of them 1 less', () => {
    const n = 5_000_000;
    const max = 2 ** 32 - 1;
    const values = new Float64Array(n).fill(max);
    const want = (last: number): StreamDigest => ({
      stream: 'w',
      count: n,
      sum: BigInt(n - 1) * BigInt(max) + BigInt(last),
      sumOfSquares: BigInt(n - 1) * BigInt(max) ** 2n + BigInt(last) ** 2n,
      invalid: 0,
    });
    expect(digestOf('w', [values])).toEqual(want(max));
    values[n - 1] = max - 1;
    expect(digestOf('w', [values.subarray(0, 7), values.subarray(7)])).toEqual(want(max - 1));
  });

  it('a missing tail or an extra number fails, and without --count all streams must hold the same n', () => {
    expect(() => checkStreams([digestOf('t', batches(range(999)))], 1000)).toThrowError(/stream "t" .*999 numbers, expected 1000/);
    expect(() => checkStreams([digestOf('t', batches([...range(1000), 0]))], 1000)).toThrowError(/1001 numbers, expected 1000/);
    expect(() => checkStreams([digestOf('a', batches(range(50))), digestOf('b', batches(range(49)))])).toThrowError(/^stream "b" .*49 numbers, expected 50/);
    expect(() => checkStreams([digestOf('a', batches(range(50))), digestOf('b', batches(range(50)))])).not.toThrow();
  });

  it('values that are not integers in 0..2^32-1 are invalid, in doubles and in 64-bit words', () => {
    const d = digestOf('f', [Float64Array.from([0, 1, Number.NaN, 1.5, -1, 2 ** 32])]);
    expect([d.count, d.invalid]).toEqual([6, 4]);
    expect(() => checkStreams([d], 6)).toThrowError(/4 value\(s\) that are not integers/);
    const w = digestOf('u', [BigUint64Array.from([0n, 1n, 2n ** 32n, 2n]) as unknown as ArrayLike<number>]);
    expect([w.count, w.invalid, w.sum]).toEqual([4, 1, 3n]);
  });

  it('property: equals the BigInt reference for any numbers and batching, u64 words included', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 3000 }), fc.integer({ min: 1, max: 700 }), (values, batch) => {
        const want = reference('p', values);
        expect(digestOf('p', batches(values, batch))).toEqual(want);
        const words = batches(values, batch).map((b) => BigUint64Array.from(b, (v) => BigInt(v)) as unknown as ArrayLike<number>);
        expect(digestOf('p', words)).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });

  it('property: runs of consecutive numbers (the closed-form path), mixed with broken runs, equal the reference', () => {
    const run = fc
      .record({ first: fc.integer({ min: 0, max: 2 ** 32 - 1 }), length: fc.integer({ min: 0, max: 600 }), breakAt: fc.option(fc.nat()) })
      .map(({ first, length, breakAt }) => {
        const n = Math.min(length, 2 ** 32 - first); // stays within 0..2^32-1
        const values = Array.from({ length: n }, (_, i) => first + i);
        if (breakAt !== null && n > 1) values[breakAt % n] = values[(breakAt + 1) % n]!; // a repeat: no longer consecutive
        return values;
      });
    fc.assert(
      fc.property(fc.array(run, { maxLength: 12 }), (runs) => {
        const want = reference('r', runs.flat());
        expect(digestOf('r', runs.map((r) => Float64Array.from(r)))).toEqual(want);
        expect(digestOf('r', runs.map((r) => BigUint64Array.from(r, (v) => BigInt(v)) as unknown as ArrayLike<number>))).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it('a batch that is consecutive but for one repeated number is not taken for a run', () => {
    const good = range(4096);
    const bad = [...good];
    bad[4095] = 4094;
    expect(() => checkStreams([digestOf('s-0', [Float64Array.from(bad)])], 4096)).toThrowError(StreamContentError);
    expect(() => checkStreams([digestOf('s-0', [Float64Array.from(good)])], 4096)).not.toThrow();
  });
});

/** An iterator over a fixed list of events. */
function listIterator(name: string, events: Event<number, number>[]): EventIterator<number, number> {
  let at = 0;
  return { name, present: true, ended: true, next: () => events[at++], whenReady: async () => {}, close: async () => {} };
}

describe('ReplayedStreams', () => {
  it('attributes each emitted batch to the stream it was read from', () => {
    const contents = new ReplayedStreams();
    const a = contents.track(listIterator('a', [messages(0, Float64Array.from([0, 1])), progress([[0, -1]])]));
    const b = contents.track(listIterator('b', [messages(0, Float64Array.from([1, 0, 2]))]));
    for (const it of [b, a, a, b]) {
      const event = it.next();
      if (event) contents.add(event);
    }
    expect(contents.results()).toEqual([expectedDigest('a', 2), expectedDigest('b', 3)]);
  });

  it('a batch that no tracked stream produced, or one emitted twice, is an error', () => {
    const contents = new ReplayedStreams();
    const a = contents.track(listIterator('a', [messages(0, [0])]));
    expect(() => contents.add(messages(0, [0]))).toThrowError(/no tracked stream produced/);
    const event = a.next()!;
    contents.add(event);
    expect(() => contents.add(event)).toThrowError(/no tracked stream produced/);
  });
});
