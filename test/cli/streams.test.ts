/**
 * `kafkaesque streams list|describe` against a real broker (issue 14): three captured streams written over the
 * wire, one left open; the CLI (a child process, as a user runs it) names the open one as holding a replay back,
 * with its frontier and since when it has not moved, and a fourth expected stream as missing.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages, progress } from '../../src/dataflow/event.js';
import { openTransport } from '../../src/transport/open-transport.js';
import { streamTopic, type EventTransport } from '../../src/transport/transport.js';
import { antichain, minimumLike, timeLessEqual } from '../../src/cli/captured-stream.js';
import { startTestBroker, type TestBroker } from '../transport/broker-helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('kafkaesque streams', { timeout: 90_000 }, () => {
  let broker: TestBroker;
  let transport: EventTransport;
  let openSince = 0;
  beforeAll(async () => {
    broker = await startTestBroker();
    transport = await openTransport({ transport: 'wire', brokers: [broker.address] });
    for (let s = 0; s < 3; s++) {
      const pusher = await transport.pusher<number, number>(streamTopic('numbat', s));
      for (let t = 0; t < 3; t++) {
        if (s === 1 && t === 2) {
          openSince = Date.now();
          break; // numbat-1 stops at time 2: open, holding 2
        }
        await pusher.push(messages(t, [s, t]));
        await pusher.push(progress([[t, -1], [t + 1, 1]]));
        await pusher.flush();
      }
      if (s !== 1) await pusher.push(progress([[3, -1]]));
      await pusher.flush();
    }
    const other = await transport.pusher<number, number>('wombat-0');
    await other.push(messages(0, [1]));
    await other.push(progress([[0, -1]]));
    await other.flush();
  });
  afterAll(async () => {
    await transport.close();
    await broker.cleanup();
  });

  it('describe: events, frontier, complete or open; the open stream holds a replay back, since its last move', async () => {
    const r = await cli('streams', 'describe', 'numbat', '--brokers', broker.address, '--json');
    expect(r.code, r.stderr).toBe(0);
    const group = JSON.parse(r.stdout) as {
      frontier: number[];
      streams: { topic: string; events: number; frontier: number[]; complete: boolean; frontierMovedAt: number }[];
      holding: { topic: string; missing: boolean; since: number }[];
    };
    expect(group.streams.map((s) => [s.topic, s.events, s.frontier, s.complete])).toEqual([
      ['numbat-0', 7, [], true],
      ['numbat-1', 4, [2], false],
      ['numbat-2', 7, [], true],
    ]);
    expect(group.frontier).toEqual([2]);
    expect(group.holding.map((h) => [h.topic, h.missing])).toEqual([['numbat-1', false]]);
    // Its frontier last moved (to 2) with its last event, written just before the test noted the time.
    expect(group.holding[0]!.since).toBeLessThanOrEqual(openSince);
    expect(openSince - group.holding[0]!.since).toBeLessThan(30_000);

    const text = await cli('streams', 'describe', 'numbat', '--brokers', broker.address);
    expect(text.stdout).toMatch(/^numbat-1 +4 +2 +open /m);
    expect(text.stdout).toMatch(/^numbat-0 +7 +- +complete /m);
    expect(text.stdout).toMatch(/numbat: a replay's frontier is 2, held by:\n {2}numbat-1, not moved since \d{4}-\d\d-\d\dT/);
  });

  it('describe --streams 4: the absent stream is missing and holds the frontier at the minimum', async () => {
    const r = await cli('streams', 'describe', 'numbat', '--streams', '4', '--brokers', broker.address);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^numbat-3 +- +0 \(implicit\) +missing/m);
    expect(r.stdout).toMatch(/frontier is 0, held by:\n {2}numbat-3 \(missing: its topic does not exist\)$/m);
    expect(r.stdout).not.toMatch(/^ {2}numbat-1/m);
  });

  it('list: names with stream and event counts; unknown names and bad usage are clear errors', async () => {
    const r = await cli('streams', 'list', '--brokers', broker.address);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^numbat +3 +18$/m);
    expect(r.stdout).toMatch(/^wombat +1 +2$/m);
    const missing = await cli('streams', 'describe', 'quokka', '--brokers', broker.address);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no captured stream named "quokka"');
    const usage = await cli('streams', 'describe', '--brokers', broker.address);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('streams describe takes one captured stream name');
  });

  it('times of other shapes: pairs in the product order, bigints', () => {
    expect(antichain([[1, 2], [2, 1], [2, 2], [3, 0]])).toEqual([[1, 2], [2, 1], [3, 0]]);
    expect(antichain([5n, 3n, 3n])).toEqual([3n]);
    expect(minimumLike([4, 7])).toEqual([0, 0]);
    expect(timeLessEqual([1, 2], [1, 3])).toBe(true);
    expect(timeLessEqual([1, 4], [2, 3])).toBe(false);
  });
});
