/**
 * Property (issue 12): a random stream, captured exactly-once with a random commit cadence, cut at a random
 * event (the source fails there, so the topic keeps the prefix of the last commit and an aborted tail), and
 * resumed from the committed position, replays equal to the uncut stream under `extract`, with a valid
 * progress protocol. The random streams hold times with counts above one, so a resumed capture must restore
 * the capabilities it held, not only the frontier.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessLink } from '../../src/broker/in-process-link.js';
import { captureFrom } from '../../src/capture/capture.js';
import { messages, progress, type Event } from '../../src/dataflow/event.js';
import { replay } from '../../src/replay/replay.js';
import { EmbeddedTransport } from '../../src/transport/embedded/embedded-transport.js';
import { checkProtocol, collect, extract } from '../replay/helpers.js';
import { startTestBroker, type TestBroker } from '../transport/broker-helpers.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker.cleanup();
});

type Step = { kind: 'data'; offset: number; size: number } | { kind: 'advance'; by: number } | { kind: 'hold' } | { kind: 'release' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('data' as const), offset: fc.nat(2), size: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), by: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'hold' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'release' as const }) },
);

/** A valid stream from the steps: data at held times or later, capabilities moved, doubled and dropped. */
function build(steps: Step[]): Event<number, number>[] {
  const held = new Map<number, number>([[0, 1]]);
  const least = (): number => Math.min(...held.keys());
  const events: Event<number, number>[] = [];
  let n = 0;
  for (const s of steps) {
    if (held.size === 0) break;
    const t = least();
    if (s.kind === 'data') events.push(messages(t + s.offset, Array.from({ length: s.size }, () => n++)));
    else if (s.kind === 'advance') {
      events.push(progress([[t, -1], [t + s.by, 1]]));
      held.set(t, (held.get(t) ?? 0) - 1);
      if (held.get(t) === 0) held.delete(t);
      held.set(t + s.by, (held.get(t + s.by) ?? 0) + 1);
    } else if (s.kind === 'hold') {
      events.push(progress([[t, 1]]));
      held.set(t, (held.get(t) ?? 0) + 1);
    } else if ((held.get(t) ?? 0) > 1 || held.size > 1) {
      events.push(progress([[t, -1]]));
      held.set(t, (held.get(t) ?? 0) - 1);
      if (held.get(t) === 0) held.delete(t);
    }
  }
  return events; // capture empties the frontier at the end
}

let topics = 0;

describe('exactly-once capture, property', () => {
  it('a random stream cut at a random commit and resumed equals the uncut stream under extract', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 150, size: "large" }), fc.nat(), fc.integer({ min: 64, max: 4096 }), async (steps, cutSeed, commitBytes) => {
        const events = build(steps);
        const t0 = Date.now();
        const cut = events.length === 0 ? 0 : cutSeed % (events.length + 1);
        const topic = `prop-${topics++}`;
        const transport = new EmbeddedTransport({ link: inProcessLink(broker.broker), batchBytes: 1024 });
        const options = { exactlyOnce: true, commitBytes };
        const source = (fail: number) => (position: { events: number }) =>
          (function* () {
            for (let i = position.events; i < events.length; i++) {
              if (i === fail) throw new Error('cut');
              yield events[i] as Event<number, number>;
            }
          })();
        if (cut < events.length) {
          await expect(captureFrom(source(cut), await transport.pusher<number, number>(topic, options), { exactlyOnce: true })).rejects.toThrow('cut');
        } else {
          await captureFrom(source(-1), await transport.pusher<number, number>(topic, options), { exactlyOnce: true });
        }
        await captureFrom(source(-1), await transport.pusher<number, number>(topic, { ...options, resume: true }), { exactlyOnce: true, resume: true });
        const out = await collect(replay([transport.iterator<number, number>(topic)]));
        expect(extract(out)).toEqual(extract(events));
        if (process.env.PROP_DEBUG) console.log(events.length, cut, commitBytes, Date.now() - t0);
        checkProtocol(out); // throws on data behind the frontier, negative counts, or a frontier left open
      }),
      { numRuns: Number(process.env.PROP_RUNS ?? 40) },
    );
  }, 120_000);
});
