/**
 * replay's onStall (issue 14, "why a frontier is stuck"): when the frontier has not moved for stallAfterMs, the
 * report names the streams that hold it and says whether each is missing, idle or slow. Every wait here is on
 * an event (a report, a frontier, completion); the window is short so the tests are quick, and a stall report is
 * the only thing that can resolve a wait for one.
 */
import { describe, expect, it } from 'vitest';
import { messages, progress, type Event } from '../../src/dataflow/event.js';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import type { EventPusher } from '../../src/transport/event-pusher.js';
import { replay } from '../../src/replay/replay.js';
import type { StallReport } from '../../src/replay/stall-watch.js';
import type { ProgressExchange } from '../../src/replay/progress-exchange.js';

/** A replay of `names` with onStall; `next()` resolves with the next report, `frontier(t)` when the frontier reaches t. */
function watched(transport: MemoryTransport, names: string[], stallAfterMs: number, extra: { exchange?: ProgressExchange<number> } = {}) {
  const reports: StallReport<number>[] = [];
  const waiters: ((r: StallReport<number>) => void)[] = [];
  const frontierWaiters: { at: number; resolve: () => void }[] = [];
  let frontier: number[] = [0];
  const counts = new Map<number, number>([[0, 1]]);
  const done = new Promise<void>((resolve, reject) =>
    replay(
      names.map((n) => transport.iterator<number, number>(n)),
      {
        stallAfterMs,
        ...extra,
        missingStreamWarningMs: 0,
        onStall: (report) => {
          reports.push(report);
          waiters.splice(0).forEach((w) => w(report));
        },
      },
    ).subscribe({
      next: (e: Event<number, number>) => {
        if (e.kind !== 'progress') return;
        for (const [t, d] of e.updates) counts.set(t, (counts.get(t) ?? 0) + d);
        frontier = [...counts].filter(([, c]) => c > 0).map(([t]) => t).sort((a, b) => a - b);
        for (const w of [...frontierWaiters]) if ((frontier[0] ?? Infinity) >= w.at) frontierWaiters.splice(frontierWaiters.indexOf(w), 1), w.resolve();
      },
      error: reject,
      complete: resolve,
    }),
  );
  return {
    reports,
    done,
    next: () => new Promise<StallReport<number>>((resolve) => waiters.push(resolve)),
    frontier: (at: number) => new Promise<void>((resolve) => frontierWaiters.push({ at, resolve })),
  };
}

/** Releases time t and holds t + 1. */
const step = (pusher: EventPusher<number, number>, t: number) => {
  pusher.push(messages(t, [t]));
  pusher.push(progress([[t, -1], [t + 1, 1]]));
};

describe('replay onStall', { timeout: 20_000 }, () => {
  it('three streams, one stops advancing: the report names that one, idle, at its frontier', async () => {
    const transport = new MemoryTransport();
    const names = ['numbat-0', 'numbat-1', 'numbat-2'];
    const pushers = await Promise.all(names.map((n) => transport.pusher<number, number>(n)));
    const run = watched(transport, names, 300);
    for (let t = 0; t < 3; t++) for (const p of pushers) step(p, t);
    await run.frontier(3);
    // numbat-1 stops at 3; the others go on to 10, so only numbat-1 holds the frontier.
    for (let t = 3; t < 10; t++) for (const p of [pushers[0]!, pushers[2]!]) step(p, t);
    const report = await run.next();
    expect(report.frontier).toEqual([3]);
    expect(report.stalledForMs).toBeGreaterThanOrEqual(300);
    expect(report.heldElsewhere).toBe(false);
    expect(report.holding.map((s) => [s.name, s.kind, s.frontier])).toEqual([['numbat-1', 'idle', [3]]]);
    expect(report.holding[0]!.events).toBe(6);
    expect(report.message).toMatch(/^replay frontier stuck at 3 for \d+ ms: held by "numbat-1" at 3: idle/);
    // It moves again: the replay completes, and the watch is stopped with it.
    for (let t = 3; t < 10; t++) step(pushers[1]!, t);
    for (const p of pushers) p.push(progress([[10, -1]]));
    await run.done;
  });

  it('a stream that keeps sending data at the held time without releasing it is slow; a stream with no topic is missing', async () => {
    const transport = new MemoryTransport();
    const [a, b] = await Promise.all(['s-0', 's-1'].map((n) => transport.pusher<number, number>(n)));
    const run = watched(transport, ['s-0', 's-1', 's-2'], 300);
    step(a!, 0);
    step(b!, 0);
    // The frontier stays at 0 (s-2 does not exist): s-2 is missing, and s-0/s-1 are past 0.
    const first = await run.next();
    expect(first.frontier).toEqual([0]);
    expect(first.holding.map((s) => [s.name, s.kind, s.events])).toEqual([['s-2', 'missing', 0]]);
    expect(first.holding[0]!.lastEventAgoMs).toBeUndefined();
    // s-2 appears and releases 0, then holds 1 while sending data at 1 on every report: slow.
    const c = await transport.pusher<number, number>('s-2');
    step(c, 0);
    await run.frontier(1);
    a!.push(progress([[1, -1]]));
    b!.push(progress([[1, -1]]));
    const feeding = setInterval(() => c.push(messages(1, [1])), 20);
    try {
      let report = await run.next();
      // The first report may fall in a window that began before the data did; the next one is all slow.
      if (report.holding[0]?.kind !== 'slow') report = await run.next();
      expect(report.frontier).toEqual([1]);
      expect(report.holding.map((s) => [s.name, s.kind])).toEqual([['s-2', 'slow']]);
      expect(report.holding[0]!.lastEventAgoMs).toBeLessThan(300);
    } finally {
      clearInterval(feeding);
    }
    c.push(progress([[1, -1]]));
    await run.done;
  });

  it('with an exchange, a frontier held only by other workers is reported as held elsewhere', async () => {
    const transport = new MemoryTransport();
    const own = await transport.pusher<number, number>('w0-0');
    // The other worker: one stream that never releases 0 (its initial adjustment is 0 for one stream).
    const exchange: ProgressExchange<number> = { index: 0, peers: 2, send() {}, receive: () => [], whenReady: () => new Promise(() => {}), close() {} };
    const run = watched(transport, ['w0-0'], 300, { exchange });
    step(own, 0);
    own.push(progress([[1, -1]]));
    const report = await run.next();
    expect(report.frontier).toEqual([0]);
    expect(report.holding).toEqual([]);
    expect(report.heldElsewhere).toBe(true);
    expect(report.message).toMatch(/streams on other workers hold it/);
  });

  it('no report while the frontier keeps moving, however long the replay takes', async () => {
    const transport = new MemoryTransport();
    const pusher = await transport.pusher<number, number>('s-0');
    const run = watched(transport, ['s-0'], 500);
    // Twenty steps 50 ms apart: the replay lasts twice the window, but no gap comes near it (pacing only; the
    // assertion is that no report came).
    const started = Date.now();
    for (let t = 0; t < 20; t++) {
      step(pusher, t);
      await run.frontier(t + 1);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(Date.now() - started).toBeGreaterThan(500);
    pusher.push(progress([[20, -1]]));
    await run.done;
    expect(run.reports).toEqual([]);
  });

  it('refuses a non-positive window', () => {
    const transport = new MemoryTransport();
    let error: unknown;
    replay([transport.iterator('x')], { onStall: () => {}, stallAfterMs: 0 }).subscribe({ error: (e: unknown) => (error = e) });
    expect(String(error)).toMatch(/stallAfterMs must be positive/);
  });
});
