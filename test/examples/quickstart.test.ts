/** The README's quick start really runs, against a real broker over TCP, and prints what the README says. */
import { describe, expect, it } from 'vitest';
import { quickstart } from '../../examples/quickstart.js';

describe('README quick start', () => {
  it('captures a two-epoch stream and replays per-time counts once each time is complete', async () => {
    expect(await quickstart()).toEqual([
      [0, 2],
      [1, 1],
    ]);
  });
});
