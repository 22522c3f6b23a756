/** The README's quick start really runs, against a real broker over TCP, and prints what the README says. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { quickstart } from '../../examples/quickstart.js';

const compiled = fileURLToPath(new URL('../../dist/examples/quickstart.js', import.meta.url));

describe('README quick start', () => {
  it('captures a two-epoch stream and replays per-time counts once each time is complete', async () => {
    expect(await quickstart()).toEqual([
      [0, 2],
      [1, 1],
    ]);
  });

  // Run as a user runs it: plain node, nothing else holding the event loop. A shutdown that waits on an
  // unref'd timer or on a paused socket lets the loop drain mid-await, and Node exits with code 13.
  it('runs as a plain script, prints the counts and exits 0', () => {
    expect(existsSync(compiled), `${compiled} is missing: run npm run build`).toBe(true);
    const started = Date.now();
    const result = spawnSync(process.execPath, [compiled], { encoding: 'utf8', timeout: 60_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('[ [ 0, 2 ], [ 1, 1 ] ]');
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
