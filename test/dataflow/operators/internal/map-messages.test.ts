import { describe, expect, it } from 'vitest';
import { mapMessages } from '../../../../src/dataflow/operators/internal/map-messages.js';
import { messages, progress, type Event } from '../../../../src/dataflow/index.js';
import { eventsOf, fromEvents } from '../../helpers.js';

describe('mapMessages (shared by mapData, filterData, flatMapData, mapBatch)', () => {
  it('forwards progress events as the same objects and never calls the transform for them', () => {
    const events: Event<number, number>[] = [progress([[0, -1], [1, 1]]), progress([]), progress([[1, -1]])];
    let calls = 0;
    const out = eventsOf(fromEvents(events).pipe(mapMessages((d) => (calls++, d))));
    expect(calls).toBe(0);
    expect(out).toHaveLength(3);
    out.forEach((e, i) => expect(e).toBe(events[i]));
  });

  it('forwards the input event when the transform returns its batch, wraps a new batch at the same time, drops an empty one', () => {
    const same = messages(3, [1, 2]);
    const events: Event<number, number>[] = [same, messages(4, [1]), messages(5, [9]), progress([[0, -1]])];
    const out = eventsOf(
      fromEvents(events).pipe(mapMessages<number, number, number>((d, t) => (t === 3 ? d : t === 4 ? [t * 10] : new Float64Array(0)))),
    );
    expect(out).toHaveLength(3);
    expect(out[0]).toBe(same);
    expect(out[1]).toEqual(messages(4, [40]));
    expect(out[2]).toBe(events[3]);
  });
});
