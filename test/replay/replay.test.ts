import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { from } from 'rxjs';
import { captureFrom } from '../../src/capture/capture.js';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { ProgressProtocolError } from '../../src/dataflow/errors.js';
import { messages, progress, type Event } from '../../src/dataflow/event.js';
import { pairTimestamp, type Pair } from '../../src/dataflow/timestamp.js';
import { MissingStreamError, replay } from '../../src/replay/replay.js';
import { checkProtocol, collect, epochStream, extract } from './helpers.js';
import { within } from '../until.js';

async function memoryStreams(streams: Event<number, number>[][]): Promise<MemoryTransport> {
  const transport = new MemoryTransport();
  await Promise.all(streams.map(async (events, i) => captureFrom(events, await transport.pusher<number, number>(`s-${i}`))));
  return transport;
}

const names = (k: number) => Array.from({ length: k }, (_, i) => `s-${i}`);

describe('replay', () => {
  it('round trip: replayed data equals the input under Extract semantics, and the output obeys the protocol', async () => {
    const input = epochStream(5, (t) => [t * 10, t * 10 + 1, t]);
    const transport = await memoryStreams([input]);
    const out = await collect(replay([transport.iterator<number, number>('s-0')]));
    expect(extract(out)).toEqual(extract(input));
    expect(checkProtocol(out)).toEqual([[1], [2], [3], [4], []]);
  });

  it('advances the frontier only once every stream released a time (multi-epoch, PR #84)', async () => {
    const transport = new MemoryTransport();
    const a = await transport.pusher<number, string>('s-0');
    const b = await transport.pusher<number, string>('s-1');
    const seen: Event<number, string>[] = [];
    const done = new Promise<void>((resolve, reject) =>
      replay([transport.iterator<number, string>('s-0'), transport.iterator<number, string>('s-1')]).subscribe({
        next: (e) => seen.push(e),
        error: reject,
        complete: resolve,
      }),
    );
    const tick = () => new Promise((r) => setImmediate(r));
    a.push(messages(0, ['a0']));
    a.push(progress([[0, -1], [1, 1]]));
    await tick(); await tick();
    expect(seen.filter((e) => e.kind === 'progress')).toEqual([]); // b still holds 0
    b.push(messages(0, ['b0']));
    b.push(progress([[0, -1], [2, 1]]));
    await tick(); await tick();
    expect(checkProtocol([...seen, progress([[1, -1]])])).toEqual([[1], []]);
    a.push(messages(1, ['a1']));
    a.push(progress([[1, -1]]));
    b.push(progress([[2, -1]]));
    await done;
    const frontiers = checkProtocol(seen);
    expect(frontiers).toEqual([[1], [2], []]);
    expect(extract(seen)).toEqual([[0, ['a0', 'b0']], [1, ['a1']]]);
  });

  it('applies a progress event atomically: [(0,-1),(1,+1)] never exposes an empty frontier', async () => {
    const transport = await memoryStreams([[progress([[0, -1], [1, 1]]), progress([]), progress([[1, -1]])]]);
    const out = await collect(replay([transport.iterator<number, number>('s-0')]));
    expect(out).toEqual([progress([[0, -1], [1, 1]]), progress([[1, -1]])]);
  });

  it('zero streams: completes at once with an empty frontier', async () => {
    expect(await collect(replay([]))).toEqual([progress([[0, -1]])]);
  });

  it('a late stream holds the frontier, is named in a warning, and its data still arrives', async () => {
    const transport = await memoryStreams([epochStream(2, () => [1])]);
    const warnings: string[][] = [];
    let warned!: () => void;
    const firstWarning = new Promise<void>((resolve) => (warned = resolve));
    const done = collect(
      replay([transport.iterator<number, number>('s-0'), transport.iterator<number, number>('s-1')], {
        missingStreamWarningMs: 30,
        onWarning: (_, streams) => (warnings.push([...streams]), warned()),
      }),
    );
    await within(firstWarning, 'the warning naming the missing stream s-1');
    expect(warnings).toEqual([['s-1']]);
    await captureFrom(epochStream(3, () => [2]), await transport.pusher<number, number>('s-1'));
    const out = await done;
    expect(extract(out)).toEqual([[0, [1, 2]], [1, [1, 2]], [2, [2]]]);
    expect(checkProtocol(out)).toEqual([[1], [2], []]);
  });

  it('a stream that never appears is an error after missingStreamTimeoutMs', async () => {
    const transport = await memoryStreams([epochStream(1, () => [1])]);
    await expect(
      collect(replay(['s-0', 'nope-7'].map((n) => transport.iterator<number, number>(n)), { missingStreamTimeoutMs: 50, missingStreamWarningMs: 0 })),
    ).rejects.toThrowError(MissingStreamError);
  });

  it('rejects protocol violations: negative count, uncovered data, early end, events after the end', async () => {
    const cases: [Event<number, number>[], RegExp, boolean][] = [
      [[progress([[0, -2]])], /count at time 0 to -1/, false],
      [[progress([[0, -1], [1, 1]]), messages(0, [1])], /data at time 0/, false],
      [[messages(0, [1])], /ended while still holding 0/, true],
      [[progress([[0, -1]]), messages(0, [1]), progress([[0, -1]])], /after the stream had released every time/, false],
      [[progress([[0, -1], [1, 1]]), progress([[0, 1]])], /adds a count at time 0/, false],
    ];
    for (const [events, message, close] of cases) {
      const transport = new MemoryTransport();
      const pusher = await transport.pusher<number, number>('bad-0');
      for (const e of events) pusher.push(e);
      if (close) await pusher.close();
      const run = collect(replay([transport.iterator<number, number>('bad-0')]));
      await expect(run).rejects.toThrowError(ProgressProtocolError);
      await expect(run).rejects.toThrowError(message);
    }
  });

  it('drains fairly: a large backlog does not delay another stream by more than one turn', async () => {
    const big = epochStream(1, () => [0]).slice(0, 1);
    const backlog: Event<number, number>[] = Array.from({ length: 5000 }, () => big[0] as Event<number, number>);
    backlog.push(progress([[0, -1]]));
    const transport = await memoryStreams([backlog, [messages(0, [42]), progress([[0, -1]])]]);
    const out = await collect(replay(names(2).map((n) => transport.iterator<number, number>(n)), { maxEventsPerTurn: 16 }));
    const position = out.findIndex((e) => e.kind === 'messages' && e.data[0] === 42);
    expect(position).toBeGreaterThanOrEqual(0);
    expect(position).toBeLessThanOrEqual(16);
  });

  it('rerunning from the beginning gives the same output', async () => {
    const transport = await memoryStreams([epochStream(3, (t) => [t]), epochStream(2, (t) => [t + 100])]);
    const run = () => collect(replay(names(2).map((n) => transport.iterator<number, number>(n))));
    expect(await run()).toEqual(await run());
  });

  it('merges partially ordered streams with multi-element frontiers and counts above one', async () => {
    const t = (a: number, b: number): Pair<number, number> => [a, b];
    const s0: Event<Pair<number, number>, string>[] = [progress([[t(0, 0), -1], [t(0, 1), 1], [t(1, 0), 1]]), messages(t(0, 1), ['x']), progress([[t(0, 1), -1], [t(1, 0), -1]])];
    const s1: Event<Pair<number, number>, string>[] = [progress([[t(0, 0), -1], [t(1, 0), 1]]), messages(t(1, 0), ['y']), progress([[t(1, 0), -1]])];
    const transport = new MemoryTransport();
    for (const [i, s] of [s0, s1].entries()) {
      const p = await transport.pusher<Pair<number, number>, string>(`p-${i}`);
      s.forEach((e) => p.push(e));
    }
    const out = await collect(replay(['p-0', 'p-1'].map((n) => transport.iterator<Pair<number, number>, string>(n)), { timestamp: pairTimestamp, maxEventsPerTurn: 1 }));
    const frontiers = checkProtocol(out, pairTimestamp);
    expect(frontiers[0]).toEqual([t(0, 1), t(1, 0)]);
    expect(frontiers.at(-1)).toEqual([]);
    expect(out.filter((e) => e.kind === 'messages').map((e) => (e.kind === 'messages' ? e.data[0] : ''))).toEqual(['x', 'y']);
  });

  it('random interleavings of valid streams stay valid and give the same multiset', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 3 }), { minLength: 1, maxLength: 4 }), { maxLength: 4 }), fc.integer({ min: 1, max: 4 }), async (streams, perTurn) => {
        const inputs = streams.map((epochs) => epochStream(epochs.length, (t) => epochs[t] ?? []));
        const transport = await memoryStreams(inputs);
        const out = await collect(replay(names(inputs.length).map((n) => transport.iterator<number, number>(n)), { maxEventsPerTurn: perTurn }));
        checkProtocol(out);
        expect(extract(out)).toEqual(extract(inputs.flat()));
      }),
      { numRuns: 60 },
    );
  });

  it('replays an Observable-captured stream through from()', async () => {
    const transport = await memoryStreams([]);
    await captureFrom(from(epochStream(2, () => [7])), await transport.pusher<number, number>('o-0'));
    expect(extract(await collect(replay([transport.iterator<number, number>('o-0')])))).toEqual([[0, [7]], [1, [7]]]);
  });
});
