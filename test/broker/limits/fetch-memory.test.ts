/**
 * Fetch memory is bounded by configuration, not by what clients ask (issue 10): a broker child process is
 * hit with issue 10's greedy fetch (connections × 8 pipelined Fetch requests asking for 2 GiB each) and with
 * connections that never read their responses; its peak RSS (VmHWM) stays near where it started, every
 * response is capped by fetch.max.bytes, and a fresh kafkajs client is served afterwards.
 *
 * Scaled down by default (24 MB partition, limits of a few MiB). KQ_GREEDY_FULL=1 runs issue 10's own case
 * instead: a 120 MB partition, 4 × 8 greedy fetches, the broker's default limits, peak RSS under 600 MB.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillPartition, greedyFetch } from '../../../bench/greedy-fetch.js';
import { Fetch } from '../../../src/protocol/messages/fetch.js';
import { startChildBroker, type ChildBroker } from '../child.js';
import { assertServes, fetchRequest, RawClient, tempDir } from '../helpers.js';
import { MB, memoryOf } from './proc.js';

const FULL = process.env.KQ_GREEDY_FULL === '1';
const MiB = 1 << 20;
const PARTITION_BYTES = FULL ? 120e6 : 24e6;
const FETCH_MAX = FULL ? 55 * MiB : 2 * MiB;
const LIMITS = FULL ? [] : ['--fetch-max-bytes', '2m', '--max-pending-response-bytes', '2m', '--read-memory-bytes', '16m'];
/**
 * Connections that never read, each with 16 greedy fetches (6 × 16 × 2 MiB if nothing held them back). Each
 * holds up to its limit until connections.max.idle.ms closes it; together they must leave a reader room
 * (at the defaults, 3 × 64 MiB of 256 MiB).
 */
const STALLED = FULL ? 3 : 6;
/**
 * Growth of peak RSS allowed over the level after filling the partition: measured 10-20 MB with the limits
 * below, 130-150 MB with the connection budget switched off, 700+ MB on the code before (32 × 24 MB).
 */
const ALLOWED_GROWTH = 40 * MB;
const GREEDY = 0x7fffffff;

let broker: ChildBroker;
let dataDir: string;
let filledPeak = 0;
beforeAll(async () => {
  dataDir = tempDir();
  broker = await startChildBroker(['--data-dir', dataDir, ...LIMITS]);
  await fillPartition(broker.port, broker.host, 'big', PARTITION_BYTES);
  filledPeak = memoryOf(broker.child.pid!).peak;
}, 120_000);
afterAll(async () => {
  broker?.child.kill('SIGTERM');
  await broker?.exited;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('fetch memory', () => {
  it('greedy pipelined fetches get responses capped at fetch.max.bytes, and peak RSS stays bounded', async () => {
    const r = await greedyFetch(broker.port, broker.host, 'big', { connections: 4, pipelined: 8 });
    const sizes = r.sizes.flat();
    expect(sizes).toHaveLength(32);
    // Every response full (the partition is larger than the cap), none above it (plus the response's own fields).
    for (const size of sizes) {
      expect(size).toBeGreaterThan(FETCH_MAX - MiB);
      expect(size).toBeLessThanOrEqual(FETCH_MAX + 1024);
    }
    const peak = memoryOf(broker.child.pid!).peak;
    console.log(`greedy fetch: peak RSS ${(peak / MB).toFixed(0)} MB (after filling: ${(filledPeak / MB).toFixed(0)} MB), ${r.seconds.toFixed(1)} s`);
    if (FULL) expect(peak).toBeLessThan(600 * MB);
    else expect(peak - filledPeak).toBeLessThan(ALLOWED_GROWTH);
    expect(await assertServes(broker)).toContain('big');
  });

  it('connections that never read their responses hold at most their limit; others are still served', async () => {
    const stalled = await Promise.all(Array.from({ length: STALLED }, () => RawClient.connect(broker)));
    for (const c of stalled) {
      c.socket.pause(); // never reads: responses pile up in the broker, as far as it lets them
      const req = fetchRequest('big', 0, 0n, { maxBytes: GREEDY });
      req.topics[0]!.partitions[0]!.partitionMaxBytes = GREEDY;
      for (let i = 0; i < 16; i++) c.write(c.frame(Fetch, 11, req));
    }
    // The stalled connections hold at most their limits (6 × 2 MiB of 16 MiB): a reader still gets through.
    const reader = await greedyFetch(broker.port, broker.host, 'big', { connections: 2, pipelined: 8 });
    expect(reader.sizes.flat()).toHaveLength(16);
    const peak = memoryOf(broker.child.pid!).peak;
    console.log(`stalled readers: peak RSS ${(peak / MB).toFixed(0)} MB (after filling: ${(filledPeak / MB).toFixed(0)} MB)`);
    if (FULL) expect(peak).toBeLessThan(600 * MB);
    else expect(peak - filledPeak).toBeLessThan(ALLOWED_GROWTH);
    for (const c of stalled) c.close();
    await Promise.all(stalled.map((c) => c.closedPromise));
    expect(await assertServes(broker)).toContain('big');
  });

  it('a connection that stops reading is closed after connections.max.idle.ms, freeing the memory it held', async () => {
    // Its own broker: one stalled connection can take the whole 4 MiB budget, and idleness is 1 s.
    const dir = tempDir();
    const small = await startChildBroker(['--data-dir', dir, '--fetch-max-bytes', '2m', '--max-pending-response-bytes', '4m', '--read-memory-bytes', '4m', '--connections-max-idle-ms', '1s']);
    try {
      await fillPartition(small.port, small.host, 'big', 24e6);
      const filled = memoryOf(small.child.pid!).peak;
      const stalled = await RawClient.connect(small);
      stalled.socket.pause();
      const req = fetchRequest('big', 0, 0n, { maxBytes: GREEDY });
      req.topics[0]!.partitions[0]!.partitionMaxBytes = GREEDY;
      const sentAt = Date.now();
      for (let i = 0; i < 16; i++) stalled.write(stalled.frame(Fetch, 11, req));
      // A reader is served, if need be once the stalled connection's memory is freed (its reads queue for
      // the broker's budget meanwhile).
      const reader = await Promise.race([
        greedyFetch(small.port, small.host, 'big', { connections: 1, pipelined: 4 }),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error("a reader was not served: the stalled connection's memory was never freed")), 20_000)),
      ]);
      for (const size of reader.sizes[0]!) expect(size).toBeGreaterThan(MiB);
      // The broker says why it closed the connection (the client, not reading, cannot see it yet).
      const deadline = Date.now() + 15_000;
      while (!small.stderr().includes('client stopped reading responses')) {
        if (Date.now() > deadline) throw new Error(`the stalled connection was not closed: ${small.stderr()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(Date.now() - sentAt).toBeGreaterThanOrEqual(900);
      stalled.socket.resume(); // reading again, it finds the end of the connection
      await Promise.race([stalled.closedPromise, new Promise((_, reject) => setTimeout(() => reject(new Error('no end of stream after the close')), 10_000))]);
      const peak = memoryOf(small.child.pid!).peak;
      console.log(`stalled connection closed after ${Date.now() - sentAt} ms; peak RSS ${(peak / MB).toFixed(0)} MB (after filling: ${(filled / MB).toFixed(0)} MB)`);
      expect(peak - filled).toBeLessThan(ALLOWED_GROWTH);
      expect(await assertServes(small)).toContain('big');
    } finally {
      small.child.kill('SIGTERM');
      await small.exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
