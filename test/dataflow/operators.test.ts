import { describe, expect, it } from 'vitest';
import {
  aggregatePerTime,
  flatMapData,
  InputHandle,
  inspect,
  mapBatch,
  mapData,
  messages,
  numberTimestamp,
  pairTimestamp,
  probe,
  progress,
  ProgressTracker,
  reducePerTime,
  tumblingWindow,
  InvalidTimeError,
  type Event,
  type Update,
} from '../../src/dataflow/index.js';
import { eventsOf, fromEvents } from './helpers.js';

type Ev = Event<number, number>;
const sample: Ev[] = [messages(0, [1, 2]), progress([[0, -1], [2, 1]]), messages(2, [3]), progress([[2, -1]])];

describe('stateless operators', () => {
  it('mapData passes the time to the projection and can fill a Float64Array', () => {
    const out = eventsOf(fromEvents(sample).pipe(mapData((x: number, t: number) => x * 10 + t, { output: 'float64' })));
    expect(out[0]).toEqual(messages(0, new Float64Array([10, 20])));
    expect(out[2]).toEqual(messages(2, new Float64Array([32])));
    expect(out[1]).toBe(sample[1]); // progress is forwarded as is
  });

  it('flatMapData expands each record and drops batches left empty', () => {
    const out = eventsOf(fromEvents(sample).pipe(flatMapData((x: number) => (x === 3 ? [] : ['a', 'b'].map((s) => `${s}${x}`)))));
    expect(out).toEqual([messages(0, ['a1', 'b1', 'a2', 'b2']), sample[1], sample[3]]);
  });

  it('mapBatch sees whole batches', () => {
    const sizes: number[] = [];
    const out = eventsOf(
      fromEvents(sample).pipe(
        mapBatch((b, t) => {
          sizes.push(b.length);
          return t === 2 ? [] : [b.length];
        }),
      ),
    );
    expect(sizes).toEqual([2, 1]);
    expect(out).toEqual([messages(0, [2]), sample[1], sample[3]]);
  });

  it('inspect calls back with batches and, given an observer, with progress', () => {
    const seen: string[] = [];
    eventsOf(fromEvents(sample).pipe(inspect((b: ArrayLike<number>, t: number) => seen.push(`data ${t}:${b.length}`))));
    eventsOf(
      fromEvents(sample).pipe(
        inspect<number>({
          data: (b, t) => seen.push(`obs ${t}:${b.length}`),
          progress: (u: ReadonlyArray<Update<number>>) => seen.push(`progress ${JSON.stringify(u)}`),
        }),
      ),
    );
    expect(seen).toEqual(['data 0:2', 'data 2:1', 'obs 0:2', 'progress [[0,-1],[2,1]]', 'obs 2:1', 'progress [[2,-1]]']);
  });
});

describe('per-time operators', () => {
  it('reducePerTime and aggregatePerTime accept seeds that depend on the time (and key)', () => {
    const sums = eventsOf(fromEvents(sample).pipe(reducePerTime((acc: number[], x: number) => [...acc, x], (t: number) => [t * 100])));
    expect(sums.filter((e) => e.kind === 'messages')).toEqual([messages(0, [[0, 1, 2]]), messages(2, [[200, 3]])]);
    const groups = eventsOf(
      fromEvents(sample).pipe(aggregatePerTime((x: number) => x % 2, (acc: string, x: number) => acc + x, (k: number, t: number) => `${k}@${t}:`)),
    );
    expect(groups.filter((e) => e.kind === 'messages')).toEqual([messages(0, [[1, '1@0:1'], [0, '0@0:2']]), messages(2, [[1, '1@2:3']])]);
  });

  it('tumblingWindow rejects a size that is not positive', () => {
    expect(() => tumblingWindow(0)).toThrow(InvalidTimeError);
    expect(() => tumblingWindow(Number.NaN)).toThrow(InvalidTimeError);
  });
});

describe('probe', () => {
  it('answers lessThan / lessEqual / done as the stream advances', () => {
    const input = new InputHandle<readonly [number, number], string>({ timestamp: pairTimestamp });
    const p = probe<readonly [number, number], string>({ timestamp: pairTimestamp });
    input.stream.pipe(p).subscribe();
    expect(p.frontier).toEqual([[0, 0]]);
    expect(p.lessThan([0, 0])).toBe(false);
    expect(p.lessThan([0, 1])).toBe(true);
    input.advanceTo([1, 1]);
    expect(p.lessEqual([0, 5])).toBe(false);
    expect(p.lessEqual([1, 1])).toBe(true);
    expect(p.done).toBe(false);
    input.close();
    expect(p.done).toBe(true);
    expect(p.lessEqual([9, 9])).toBe(false);
  });
});

describe('ProgressTracker', () => {
  it('holds the output frontier at a capability until it is released, atomically with the input change', () => {
    const tracker = new ProgressTracker(numberTimestamp, { capabilities: true });
    tracker.hold(5);
    expect(tracker.takeOutputChanges()).toEqual([]);
    tracker.applyInput([[0, -1], [7, 1]]);
    expect(tracker.takeOutputChanges()).toEqual([[0, -1], [5, 1]]); // held at 5, not 7
    tracker.release(5);
    expect(tracker.takeOutputChanges()).toEqual([[5, -1], [7, 1]]);
    tracker.closeInputs();
    expect(tracker.takeOutputChanges()).toEqual([[7, -1]]);
    expect(tracker.outputFrontier).toEqual([]);
  });

  it('maps the input frontier through a monotone time map', () => {
    const tracker = new ProgressTracker(numberTimestamp, { mapTime: (t) => Math.floor(t / 10) * 10 });
    tracker.applyInput([[0, -1], [4, 1]]);
    expect(tracker.takeOutputChanges()).toEqual([]);
    tracker.applyInput([[4, -1], [13, 1]]);
    expect(tracker.takeOutputChanges()).toEqual([[0, -1], [10, 1]]);
    expect(tracker.outputAllows(10)).toBe(true);
    expect(tracker.outputAllows(9)).toBe(false);
  });

  it('sums several inputs and compacts the changes of several steps', () => {
    const tracker = new ProgressTracker(numberTimestamp, { inputs: 2 });
    expect(tracker.applyInput([[0, -1], [1, 1]])).toEqual([]);
    expect(tracker.applyInput([[0, -1], [1, 1]])).toEqual([[0, -1], [1, 1]]);
    tracker.applyInput([[1, -1], [2, 1]]);
    tracker.applyInput([[1, -1], [2, 1]]);
    expect(tracker.takeOutputChanges()).toEqual([[0, -1], [2, 1]]);
  });
});

describe('TimeHeap', () => {
  it('pops times in ascending order', async () => {
    const fc = (await import('fast-check')).default;
    const { TimeHeap } = await import('../../src/dataflow/time-heap.js');
    fc.assert(
      fc.property(fc.array(fc.integer()), (xs) => {
        const heap = new TimeHeap<number>((a, b) => a - b);
        for (const x of xs) heap.push(x);
        const out: number[] = [];
        while (heap.size > 0) out.push(heap.pop() as number);
        expect(out).toEqual([...xs].sort((a, b) => a - b));
      }),
    );
  });

  it('lets countPerTime complete many pending times in order without rescanning them', async () => {
    const { countPerTime } = await import('../../src/dataflow/index.js');
    const events: Ev[] = [];
    const times = 20_000;
    for (let t = times - 1; t >= 0; t--) events.push(messages(t, [t]));
    for (let f = 0; f < times; f++) events.push(progress([[f, -1], [f + 1, 1]]));
    events.push(progress([[times, -1]]));
    const out = eventsOf(fromEvents(events).pipe(countPerTime()));
    const emitted = out.filter((e) => e.kind === 'messages').map((e) => e.time);
    expect(emitted).toEqual([...Array(times).keys()]);
  });
});
