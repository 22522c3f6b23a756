import { NEVER, Subject, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  countPerTime,
  delay,
  extract,
  extractAll,
  InputHandle,
  InvalidTimeError,
  mapData,
  merge,
  messages,
  pairTimestamp,
  probe,
  progress,
  ProgressProtocolError,
  TimestampMismatchError,
  toStream,
  validate,
  type Event,
} from '../../src/dataflow/index.js';
import { collectSync, eventsOf, fromEvents } from './helpers.js';

type Ev = Event<number, string>;

function violation(events: Ev[], strict = false): string | undefined {
  const r = collectSync(fromEvents(events).pipe(validate({ strict })));
  if (r.error === undefined) return undefined;
  expect(r.error).toBeInstanceOf(ProgressProtocolError);
  return (r.error as ProgressProtocolError).violation;
}

describe('edge cases of the progress protocol (reference §9)', () => {
  it('atomic progress: [(0,-1),(1,+1)] never exposes an empty or advanced-then-retreated frontier', () => {
    const p = probe();
    const seen: (readonly number[])[] = [];
    p.frontier$.subscribe((f) => seen.push([...f]));
    eventsOf(fromEvents<number, string>([messages(0, ['a']), progress([[0, -1], [1, 1]]), messages(1, ['b']), progress([[1, -1]])]).pipe(p));
    expect(seen).toEqual([[0], [1], []]);
    // Through merge too: the merged frontier moves 0 → 1 in one step.
    const merged = eventsOf(merge([fromEvents<number, string>([progress([[0, -1], [1, 1]]), progress([[1, -1]])])]));
    expect(merged).toEqual([progress([[0, -1], [1, 1]]), progress([[1, -1]])]);
  });

  it('Progress([]) is a no-op everywhere', () => {
    const events: Ev[] = [progress([]), messages(0, ['a']), progress([]), progress([[0, -1]])];
    expect(violation(events, true)).toBeUndefined();
    expect(eventsOf(fromEvents(events).pipe(countPerTime()))).toEqual([messages(0, [1]), progress([[0, -1]])]);
    expect(eventsOf(merge([fromEvents(events)]))).toEqual([messages(0, ['a']), progress([[0, -1]])]);
  });

  it('initial implicit count: data at the minimum needs no announcement; the first release finishes the stream', () => {
    expect(violation([messages(0, ['a']), progress([[0, -1]])])).toBeUndefined();
    expect(violation([progress([[0, -1]]), messages(0, ['late'])])).toBe('uncovered-data');
    expect(violation([progress([[0, -2]])])).toBe('negative-count');
    expect(violation([progress([[0, -1], [3, 1]]), progress([[2, 1]])])).toBe('frontier-regression');
    expect(violation([messages(0, ['a'])])).toBe('incomplete');
  });

  it('negative-first deltas: an advance is applied atomically in either order; strict mode wants it compacted', () => {
    expect(violation([progress([[1, 1], [0, -1]]), progress([[1, -1]])])).toBeUndefined();
    expect(violation([progress([[1, 1], [0, -1]]), progress([[1, -1]])], true)).toBe('not-compacted');
    expect(violation([progress([[0, -1], [0, 0], [1, 1]]), progress([[1, -1]])], true)).toBe('not-compacted');
    expect(violation([progress([[0, -1], [1, 1]]), progress([[1, -1]])], true)).toBeUndefined();
  });

  it('multi-epoch streams: each record arrives before the frontier passes its time; counts come per epoch', () => {
    const input = new InputHandle<number, string>();
    const before = probe();
    const after = probe();
    const order: string[] = [];
    input.stream
      .pipe(
        before,
        countPerTime(),
        after,
        validate({ strict: true }),
      )
      .subscribe((e) => {
        if (e.kind === 'messages') {
          expect(before.lessEqual(e.time)).toBe(false); // the input has released the epoch…
          expect(after.lessEqual(e.time)).toBe(true); // …but the output has not, yet
          order.push(`count ${e.time}=${String(e.data[0])}`);
        } else order.push(`progress ${JSON.stringify(e.updates)}`);
      });
    for (let epoch = 0; epoch < 3; epoch++) {
      input.send(Array.from({ length: epoch + 1 }, (_, i) => `r${i}`));
      input.advanceTo(epoch + 1);
    }
    input.close();
    expect(order).toEqual([
      'count 0=1',
      'progress [[0,-1],[1,1]]',
      'count 1=2',
      'progress [[1,-1],[2,1]]',
      'count 2=3',
      'progress [[2,-1],[3,1]]',
      'progress [[3,-1]]',
    ]);
  });

  it('empty streams: a finished stream with no data, and zero streams, complete at once', () => {
    expect(eventsOf(toStream([]).pipe(countPerTime()))).toEqual([progress([[0, -1]])]);
    expect(eventsOf(merge([]))).toEqual([progress([[0, -1]])]);
    expect(eventsOf(merge([toStream([]), toStream([])]))).toEqual([progress([[0, -1]])]);
  });

  it('an absent stream holds the merged frontier at the minimum, and data still flows', () => {
    const p = probe();
    const r = collectSync(merge<number, string>([NEVER, toStream(['a'])]).pipe(p, countPerTime()));
    expect(r.events).toEqual([]);
    expect(p.frontier).toEqual([0]);
    const data = collectSync(merge<number, string>([NEVER, toStream(['a'])]));
    expect(data.events).toEqual([messages(0, ['a'])]);
  });

  it('partial-order times: counts above one summed across streams, multi-element frontiers', () => {
    const ts = { timestamp: pairTimestamp };
    const split = progress<readonly [number, number]>([
      [[0, 0], -1],
      [[0, 1], 1],
      [[1, 0], 1],
    ]);
    const a = new Subject<Event<readonly [number, number], string>>();
    const b = new Subject<Event<readonly [number, number], string>>();
    const p = probe(ts);
    const out = collectSync(merge([a, b], ts).pipe(p, validate({ ...ts, strict: true })));
    a.next(split);
    expect(p.frontier).toEqual([[0, 0]]); // b still holds (0, 0)
    b.next(split);
    expect(p.frontier).toEqual([
      [0, 1],
      [1, 0],
    ]);
    a.next(progress([[[0, 1], -1]]));
    expect(p.frontier).toEqual([
      [0, 1],
      [1, 0],
    ]); // b still holds (0, 1): its count was 2
    b.next(progress([[[0, 1], -1]]));
    expect(p.frontier).toEqual([[1, 0]]);
    a.next(progress([[[1, 0], -1]]));
    b.next(progress([[[1, 0], -1]]));
    a.complete();
    b.complete();
    expect(out.error).toBeUndefined();
    expect(out.completed).toBe(true);
  });

  it('a stream that completes without releasing its frontier: merge treats it as finished, validate reports it', () => {
    const truncated = fromEvents<number, string>([messages(0, ['a']), progress([[0, -1], [1, 1]])]);
    expect(eventsOf(merge([truncated]))).toEqual([messages(0, ['a']), progress([[0, -1], [1, 1]]), progress([[1, -1]])]);
    expect(violation([messages(0, ['a']), progress([[0, -1], [1, 1]])])).toBe('incomplete');
    expect(eventsOf(truncated.pipe(countPerTime()))).toEqual([messages(0, [1]), progress([[0, -1], [1, 1]]), progress([[1, -1]])]);
  });
});

describe('errors', () => {
  it('an operator defaulting to numbers rejects other times with a TimestampMismatchError', () => {
    const r = collectSync(toStream(['a'], { timestamp: pairTimestamp }).pipe(countPerTime()));
    expect(r.error).toBeInstanceOf(TimestampMismatchError);
    expect(String(r.error)).toMatch(/pass \{ timestamp \}/);
  });

  it('delay refuses to move data back in time', () => {
    const r = collectSync(fromEvents<number, string>([messages(3, ['a']), progress([[0, -1]])]).pipe(delay((t: number) => t - 1)));
    expect(r.error).toBeInstanceOf(InvalidTimeError);
  });

  it('an exception in a user function errors the output and stops a synchronous source', () => {
    let calls = 0;
    const r = collectSync(
      toStream(new Float64Array(10_000), { batchSize: 10 }).pipe(
        mapData(() => {
          calls++;
          throw new Error('boom');
        }),
      ),
    );
    expect((r.error as Error).message).toBe('boom');
    expect(calls).toBe(1);
  });

  it('upstream errors pass through merge', () => {
    const r = collectSync(merge([throwError(() => new Error('upstream')), toStream(['a'])]));
    expect((r.error as Error).message).toBe('upstream');
  });
});

describe('extract', () => {
  it('groups per time ascending, sorts each multiset, drops empty groups', () => {
    expect(extract([messages(1, ['b']), messages(0, ['z', 'a']), messages(2, []), progress([[0, -1]]), messages(1, ['a'])])).toEqual([
      [0, ['a', 'z']],
      [1, ['a', 'b']],
    ]);
    expect(extract([messages([1, 0] as const, [3]), messages([0, 1] as const, [2, 1])], { timestamp: pairTimestamp })).toEqual([
      [[0, 1], [1, 2]],
      [[1, 0], [3]],
    ]);
  });

  it('sorts numbers numerically and tuples lexicographically; extractAll works on an Observable', async () => {
    expect(extract([messages(0, [10, 9, 100])])).toEqual([[0, [9, 10, 100]]]);
    expect(extract([messages(0, [['b', 1], ['a', 2], ['a', 1]])])).toEqual([[0, [['a', 1], ['a', 2], ['b', 1]]]]);
    const result = await new Promise((resolve) => toStream([3, 1, 2], { batchSize: 2 }).pipe(extractAll()).subscribe(resolve));
    expect(result).toEqual([[0, [1, 2, 3]]]);
  });
});
