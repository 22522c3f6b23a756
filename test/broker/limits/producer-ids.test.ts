/**
 * Producer state stays bounded (issue 10): one transactional id registered 2,000 times costs one entry in
 * `producer-ids.log` (it is compacted while running, not only at start-up), and transactional ids expire
 * after transactional.id.expiration.ms.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InitProducerId } from '../../../src/protocol/messages/init-producer-id.js';
import { PRODUCER_IDS_FILE, ProducerIdManager } from '../../../src/broker/producers/producer-ids.js';
import type { ChildBroker } from '../child.js';
import { RawClient, kafkaClient, tempDir } from '../helpers.js';
import { openDescriptors, startLimitedBroker, statusKb, stopChild } from './limited-child.js';

const dirs: string[] = [];
let child: ChildBroker | undefined;
afterEach(async () => {
  if (child) await stopChild(child);
  child = undefined;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

describe('producer-ids.log', () => {
  it('stays about one entry for a 30 KB transactional id registered 2,000 times (not 60 MB)', async () => {
    const dir = dataDir();
    child = await startLimitedBroker(1024, ['--data-dir', dir]);
    const pid = child.child.pid!;
    const rssBefore = statusKb(pid, 'VmRSS');
    const txId = 'tx-'.padEnd(30 * 1024, 'x');
    const c = await RawClient.connect(child);
    let largest = 0;
    let last = { producerId: -1n, producerEpoch: -1 };
    try {
      for (let i = 0; i < 2000; i++) {
        const res = await c.request(InitProducerId, 4, { transactionalId: txId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
        expect(res.errorCode).toBe(0);
        if (i > 0) expect(res).toMatchObject({ producerId: last.producerId, producerEpoch: last.producerEpoch + 1 });
        last = res;
        if (i % 100 === 99) largest = Math.max(largest, fs.statSync(path.join(dir, PRODUCER_IDS_FILE)).size);
      }
    } finally {
      c.close();
    }
    const size = fs.statSync(path.join(dir, PRODUCER_IDS_FILE)).size;
    const rssAfter = statusKb(pid, 'VmRSS');
    console.log(`2,000 registrations of a 30 KB transactional id: producer-ids.log ${size} bytes at the end, ${largest} at most; RSS ${rssBefore} → ${rssAfter} kB`);
    // Compaction keeps it within twice the live size plus 1 MiB of garbage (the live size is one 30 KB entry).
    expect(largest).toBeLessThan(1.5 * 1024 * 1024);
    expect(rssAfter - rssBefore).toBeLessThan(100 * 1024);
    expect(openDescriptors(pid)).toBeLessThan(100);
    // The epoch survives a restart, and the broker still serves a fresh client.
    await stopChild(child);
    child = await startLimitedBroker(1024, ['--data-dir', dir]);
    expect(fs.statSync(path.join(dir, PRODUCER_IDS_FILE)).size).toBeLessThan(32 * 1024);
    const c2 = await RawClient.connect(child);
    const again = await c2.request(InitProducerId, 4, { transactionalId: txId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    c2.close();
    expect(again).toMatchObject({ errorCode: 0, producerId: last.producerId, producerEpoch: last.producerEpoch + 1 });
    const producer = kafkaClient(child, 'fresh').producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic: 'after-ids', messages: [{ value: 'ok' }] });
    await producer.disconnect();
  }, 120_000);
});

describe('transactional id expiry', () => {
  it('forgets transactional ids unused for transactional.id.expiration.ms, while running and at start-up', async () => {
    const dir = dataDir();
    let now = 1_000_000;
    const clock = () => now;
    const m = ProducerIdManager.open(dir, { transactionalIdExpirationMs: 60_000, now: clock });
    for (let i = 0; i < 100; i++) await m.initProducerId(`old-${i}`, 10_000);
    now += 30_000;
    await m.initProducerId('recent', 10_000);
    now += 40_000; // old-* unused for 70 s, recent for 40 s
    expect(m.expire()).toBe(100);
    expect(m.transactionalIds).toBe(1);
    expect(m.transactionalState('old-3')).toBeUndefined();
    // A re-registered id starts again at epoch 0 with a new producer id.
    expect(await m.initProducerId('old-3', 10_000)).toMatchObject({ producerEpoch: 0 });
    // Registrations also sweep on their own (every 1,024), with no timer.
    now += 61_000;
    for (let i = 0; i < 1024; i++) await m.initProducerId('busy', 10_000);
    expect(m.transactionalIds).toBe(1);
    await m.close();
    now += 61_000;
    const reopened = ProducerIdManager.open(dir, { transactionalIdExpirationMs: 60_000, now: clock });
    expect(reopened.transactionalIds).toBe(0);
    await reopened.close();
  });
});
