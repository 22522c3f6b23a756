import { Subject, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import {
  fromTimestamped,
  InputHandle,
  InputHandleError,
  messages,
  pairTimestamp,
  progress,
  toStream,
  validate,
  type Event,
  type LateRecord,
} from '../../src/dataflow/index.js';
import { collectSync, eventsOf } from './helpers.js';

describe('toStream', () => {
  it('emits everything at the minimum in batches, then releases the minimum', () => {
    expect(eventsOf(toStream([1, 2, 3, 4, 5], { batchSize: 2 }))).toEqual([
      messages(0, [1, 2]),
      messages(0, [3, 4]),
      messages(0, [5]),
      progress([[0, -1]]),
    ]);
  });

  it('views typed arrays without copying', () => {
    const source = new Float64Array(2500).map((_, i) => i);
    const events = eventsOf(toStream(source));
    expect(events.map((e) => (e.kind === 'messages' ? e.data.length : -1))).toEqual([1024, 1024, 452, -1]);
    const first = events[0] as unknown as { data: Float64Array };
    expect(first.data.buffer).toBe(source.buffer);
  });

  it('consumes other iterables lazily, with a partial tail batch', () => {
    function* gen(): Generator<number> {
      for (let i = 0; i < 10; i++) yield i;
    }
    const events = eventsOf(toStream(gen(), { batchSize: 4 }));
    expect(events.map((e) => (e.kind === 'messages' ? e.data : e.updates))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], [[0, -1]]]);
  });

  it('an empty source is a stream of one progress event', () => {
    expect(eventsOf(toStream([]))).toEqual([progress([[0, -1]])]);
  });

  it('uses the timestamp minimum', () => {
    expect(eventsOf(toStream(['a'], { timestamp: pairTimestamp }))).toEqual([messages([0, 0], ['a']), progress([[[0, 0], -1]])]);
  });

  it('stops a synchronous loop when the subscriber unsubscribes', () => {
    let pulled = 0;
    function* gen(): Generator<number> {
      for (;;) {
        pulled++;
        yield pulled;
      }
    }
    const taken: number[] = [];
    toStream(gen(), { batchSize: 10 })
      .pipe(take(3))
      .subscribe((e) => taken.push(e.kind === 'messages' ? e.data.length : -1));
    expect(taken).toEqual([10, 10, 10]);
    expect(pulled).toBe(30);
  });

  it('rejects a bad batch size', () => {
    expect(() => toStream([1], { batchSize: 0 })).toThrow(RangeError);
  });
});

describe('InputHandle', () => {
  it('sends at the current time, advances with [(old,-1),(new,+1)] and closes with [(t,-1)]', () => {
    const input = new InputHandle<number, string>();
    const out = collectSync(input.stream.pipe(validate({ strict: true })));
    input.send(['a']);
    input.advanceTo(1);
    input.advanceTo(1); // no-op
    input.send([]);
    input.send(['b', 'c']);
    input.advanceTo(3);
    input.close();
    expect(out.events).toEqual([
      messages(0, ['a']),
      progress([
        [0, -1],
        [1, 1],
      ]),
      messages(1, ['b', 'c']),
      progress([
        [1, -1],
        [3, 1],
      ]),
      progress([[3, -1]]),
    ]);
    expect(out.completed).toBe(true);
    expect(input.closed).toBe(true);
  });

  it('keeps events sent before the first subscription', () => {
    const input = new InputHandle<number, number>();
    input.send([1]);
    input.advanceTo(2);
    input.close();
    const out = collectSync(input.stream);
    expect(out.events.length).toBe(3);
    expect(out.completed).toBe(true);
  });

  it('refuses to go back in time or to send after close', () => {
    const input = new InputHandle<number, number>();
    input.advanceTo(5);
    expect(() => input.advanceTo(4)).toThrow(InputHandleError);
    input.close();
    expect(() => input.send([1])).toThrow(InputHandleError);
    expect(() => input.advanceTo(6)).toThrow(/after close/);
    input.close(); // idempotent
  });

  it('works with partially ordered times', () => {
    const input = new InputHandle<readonly [number, number], number>({ timestamp: pairTimestamp });
    const out = collectSync(input.stream.pipe(validate({ timestamp: pairTimestamp, strict: true })));
    input.advanceTo([0, 1]);
    expect(() => input.advanceTo([1, 0])).toThrow(InputHandleError); // not ≥ (0, 1)
    input.send([7]);
    input.close();
    expect(out.error).toBeUndefined();
    expect(out.completed).toBe(true);
  });
});

interface Click {
  t: number;
  id: string;
}

describe('fromTimestamped', () => {
  const marbles = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

  it('derives watermarks with bounded out-of-orderness, emitting data before the watermark passes it', () => {
    const late: LateRecord<Click>[] = [];
    marbles().run(({ cold, expectObservable }) => {
      const source = cold<Click>('a-----b-----c-----d-----|', { a: { t: 3, id: 'a' }, b: { t: 1, id: 'b' }, c: { t: 6, id: 'c' }, d: { t: 0, id: 'd' } });
      const { stream, late$ } = fromTimestamped(source, { time: (c) => c.t, maxOutOfOrderness: 2 });
      late$.subscribe((l) => late.push(l));
      // a (t=3): watermark 0 → 1 at once; the buffered record flushes right after the burst.
      // b (t=1) flushes after its burst; c (t=6) moves the watermark to 4; d (t=0) is late.
      expectObservable(stream.pipe(validate({ strict: true }))).toBe('(pa)--b-----(qr)--------(s|)', {
        p: progress([[0, -1], [1, 1]]),
        a: messages(3, [{ t: 3, id: 'a' }]),
        b: messages(1, [{ t: 1, id: 'b' }]),
        q: progress([[1, -1], [4, 1]]),
        r: messages(6, [{ t: 6, id: 'c' }]),
        s: progress([[4, -1]]),
      } as Record<string, Event<number, Click>>);
    });
    expect(late.map((l) => [l.value.id, l.watermark])).toEqual([['d', 4]]);
  });

  it('counts late records and routes them to late$, never into the stream', () => {
    const source = new Subject<Click>();
    const timestamped = fromTimestamped(source, { time: (c) => c.t, maxOutOfOrderness: 1, batchSize: 2 });
    const late: LateRecord<Click>[] = [];
    timestamped.late$.subscribe((l) => late.push(l));
    const out = collectSync(timestamped.stream.pipe(validate({ strict: true })));
    source.next({ t: 5, id: 'x' });
    source.next({ t: 5, id: 'y' }); // full batch: emitted at once
    source.next({ t: 2, id: 'late' });
    source.next({ t: Number.NaN, id: 'bad' });
    source.complete();
    expect(late.map((l) => [l.value.id, l.watermark])).toEqual([
      ['late', 4],
      ['bad', 4],
    ]);
    expect(timestamped.lateCount).toBe(2);
    expect(out.error).toBeUndefined();
    expect(out.completed).toBe(true);
    expect(out.events).toEqual([
      progress([[0, -1], [4, 1]]),
      messages(5, [{ t: 5, id: 'x' }, { t: 5, id: 'y' }]),
      progress([[4, -1]]),
    ]);
  });

  it('with idleTimeoutMs, releases every time seen once the source is quiet that long, and not before', () => {
    const late: LateRecord<Click>[] = [];
    marbles().run(({ cold, expectObservable }) => {
      // a (t=3) at 0, b (t=4) at 5 ms: quiet from 5 ms, so at 15 ms the watermark moves to 5 (max seen + 1).
      // c (t=4) at 20 ms is then late; d (t=9) at 30 ms is within the out-of-orderness, so only going idle
      // again (40 ms) releases it; completion at 50 ms empties the frontier.
      const source = cold<Click>('a 4ms b 14ms c 9ms d 19ms |', { a: { t: 3, id: 'a' }, b: { t: 4, id: 'b' }, c: { t: 4, id: 'c' }, d: { t: 9, id: 'd' } });
      const { stream, late$ } = fromTimestamped(source, { time: (c) => c.t, maxOutOfOrderness: 10, idleTimeoutMs: 10 });
      late$.subscribe((l) => late.push(l));
      expectObservable(stream.pipe(validate({ strict: true }))).toBe('a 4ms b 9ms p 14ms q 9ms r 9ms (s|)', {
        a: messages(3, [{ t: 3, id: 'a' }]),
        b: messages(4, [{ t: 4, id: 'b' }]),
        p: progress([[0, -1], [5, 1]]),
        q: messages(9, [{ t: 9, id: 'd' }]),
        r: progress([[5, -1], [10, 1]]),
        s: progress([[10, -1]]),
      } as Record<string, Event<number, Click>>);
    });
    expect(late.map((l) => [l.value.id, l.watermark])).toEqual([['c', 5]]);
  });

  it('rejects a negative out-of-orderness', () => {
    expect(() => fromTimestamped(new Subject<number>(), { time: (x) => x, maxOutOfOrderness: -1 })).toThrow(RangeError);
  });
});
