/** Segment roll and retention with small limits, seen through the protocol (log start offset, fetch). */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Fetch, type FetchResponse } from '../../src/protocol/messages/fetch.js';
import { createCreateTopicsRequest, CreateTopics } from '../../src/protocol/messages/create-topics.js';
import { fetchRequest, produceRaw, RawClient, readAll, startTestBroker } from './helpers.js';
import { until } from '../until.js';

const segments = (dir: string, topic: string) => fs.readdirSync(path.join(dir, `${topic}-0`)).filter((f) => f.endsWith('.log')).sort();

describe('segments and retention', () => {
  it('rolls segments at segment.bytes and deletes old ones by retention.bytes on the housekeeping timer', async () => {
    const b = await startTestBroker({ segmentBytes: 4096, retentionBytes: 3 * 4096, retentionCheckIntervalMs: 100 });
    const c = await RawClient.connect(b);
    await c.request(CreateTopics, 7, createCreateTopicsRequest({ topics: [{ name: 'roll', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }] }));
    for (let i = 0; i < 100; i++) await produceRaw(c, 'roll', 0, [`m${i}`.padEnd(400, '.')]);
    // ~470-byte batches into 4 KiB segments: a roll every 8 batches, so the active segment starts late.
    const names = segments(b.dataDir, 'roll');
    expect(names.length).toBeGreaterThanOrEqual(2);
    expect(Number(names.at(-1)!.slice(0, 20))).toBeGreaterThanOrEqual(88);
    // Retention runs on its timer (also while we were producing): wait until it has caught up.
    await until(() => segments(b.dataDir, 'roll').length <= 4, 'retention.bytes to leave at most 4 segments');
    await new Promise((r) => setTimeout(r, 300)); // one more run: nothing left to delete
    const res: FetchResponse = await c.request(Fetch, 11, fetchRequest('roll', 0, 99n));
    const logStart = res.responses[0]!.partitions[0]!.logStartOffset;
    expect(logStart).toBeGreaterThan(0n);
    const early: FetchResponse = await c.request(Fetch, 11, fetchRequest('roll', 0, 0n));
    expect(early.responses[0]!.partitions[0]!.errorCode).toBe(1); // OFFSET_OUT_OF_RANGE below the log start
    const kept = await readAll(b, 'roll', 0, logStart);
    expect(kept.map((r) => r.offset)).toEqual(Array.from({ length: 100 - Number(logStart) }, (_, i) => logStart + BigInt(i)));
    c.close();
    await b.stop();
  });

  it('deletes segments older than retention.ms (topic override)', async () => {
    const b = await startTestBroker({ segmentBytes: 4096, retentionCheckIntervalMs: 100 });
    const c = await RawClient.connect(b);
    await c.request(CreateTopics, 7, createCreateTopicsRequest({ topics: [{ name: 'old', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '60000' }] }] }));
    // Records stamped two minutes ago: every closed segment is past retention at once.
    for (let i = 0; i < 40; i++) await produceRaw(c, 'old', 0, [`o${i}`.padEnd(400, '.')], { timestamp: Date.now() - 120_000 });
    let logStart = 0n;
    await until(async () => {
      const res: FetchResponse = await c.request(Fetch, 11, fetchRequest('old', 0, 39n));
      logStart = res.responses[0]!.partitions[0]!.logStartOffset;
      return logStart > 0n;
    }, 'retention.ms to delete the old segments (log start offset above 0)');
    expect(logStart).toBeGreaterThan(0n);
    c.close();
    await b.stop();
  });
});
