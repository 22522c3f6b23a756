/**
 * A source that ends while it still holds times behind its frontier (0 and 1 held, frontier {0}): capture's
 * final progress must release all of them, so the replayed frontier ends empty. Releasing only the
 * frontier's times left 1 in the frontier for ever (found by the exactly-once property test).
 */
import { describe, expect, it } from 'vitest';
import { captureFrom } from '../../src/capture/capture.js';
import { messages, progress } from '../../src/dataflow/event.js';
import { replay } from '../../src/replay/replay.js';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { checkProtocol, collect, extract } from '../replay/helpers.js';

describe('capture finish', () => {
  it('releases every capability still held, not only the frontier', async () => {
    const memory = new MemoryTransport();
    const events = [messages(0, [1]), progress([[1, 1]]), messages(1, [2])];
    const result = await captureFrom(events, await memory.pusher<number, number>('held'));
    const out = await collect(replay([memory.iterator<number, number>('held')]));
    expect(extract(out)).toEqual([[0, [1]], [1, [2]]]);
    expect(checkProtocol(out)).toEqual([[]]);
    expect(result.progressEvents).toBe(1);
  });
});
